package engine

import (
	"github.com/dolthub/go-mysql-server/sql"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Session is the engine session of one request. It carries the effective
// identity that every table provider is built for.
type Session struct {
	*sql.BaseSession
	// UserID and Role are the effective user: the caller, or the target
	// of EXECUTE AS USER.
	UserID string
	Role   systable.Role
	// tx collects the statement's (or the open transaction's) writes.
	tx *Tx
	// showDeleted is set when the statement filters on _deleted: only then
	// do soft-deleted rows appear (API.md "Tables and system columns").
	showDeleted bool
}

// sessionOf returns the KalamDB session behind an engine context. Every
// context the engine runs with is created by Engine.NewContext, so a
// missing session is a bug, reported as an internal error rather than a
// panic.
func sessionOf(ctx *sql.Context) (*Session, error) {
	if ctx != nil {
		if s, ok := ctx.Session.(*Session); ok {
			return s, nil
		}
	}
	return nil, apierror.New(apierror.InternalError, "query context has no KalamDB session")
}
