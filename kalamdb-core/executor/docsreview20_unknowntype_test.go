package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// A MySQL column type with a value list, or MySQL's KEY line in CREATE
// TABLE (read as a column "key" of type "idx"), said "expected ENUM length"
// or "expected IDX length": the parser read the parentheses as the
// parameters of a type it does not know. It names the unknown type.
func TestDocsReview20UnknownTypeWithParentheses(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app`)
	for q, want := range map[string]string{
		`CREATE TABLE app.m (id INT PRIMARY KEY, e ENUM('a', 'b'))`:   `type "enum" does not exist`,
		`CREATE TABLE app.m (id INT PRIMARY KEY, c INT, KEY idx (c))`: `type "idx" does not exist`,
		`CREATE TABLE app.m (id INT PRIMARY KEY, s SET('a'))`:         `type "set" does not exist`,
	} {
		if ae := root.fails(apierror.InvalidSQL, q); ae.Message != want {
			t.Errorf("%s: %q, want %q", q, ae.Message, want)
		}
	}
}
