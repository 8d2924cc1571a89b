package catalog

import (
	"fmt"
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Placeholders of a storage path template.
const (
	PlaceholderNamespace = "{namespace}"
	PlaceholderTable     = "{tableName}"
	PlaceholderUser      = "{userId}"
)

// maxLiteralSegment bounds a literal template segment: a file name longer
// than 255 bytes fails on every common file system.
const maxLiteralSegment = 255

// Template is a parsed storage path template: the segments of a
// partition's directory below the storage base, each either a placeholder
// (a whole segment) or a literal.
//
// Why the rules make partitions disjoint: a namespace, table or user id
// never contains '/' and is never "", "." or ".." (the dialect's name rule
// and keyenc.ValidateUserID), so a placeholder always fills exactly one
// segment. Two partitions of one template then have directories of the
// same depth that differ in the segment of some placeholder: neither
// directory is the other or inside it. A storage's two templates put
// {namespace} and {tableName} at the same segment positions (CheckTemplates),
// so a USER and a SHARED table, which never have the same (namespace,
// table), differ at one of those positions too, whatever the templates'
// lengths and literals. Files live directly in a partition's directory, so
// no file of one partition is in, or is, another's directory. Storages
// themselves never overlap (the path rules), which extends this to every
// partition of every table on the server.
type Template struct {
	Segments []string
	// NamespacePos, TablePos and UserPos are the segment indexes of the
	// placeholders; UserPos is -1 in a SHARED template.
	NamespacePos, TablePos, UserPos int
}

// ParseTemplate checks one template. user tells whether it is the
// template of USER tables (which must contain {userId}) or of SHARED ones
// (which must not). name is the property named in errors.
func ParseTemplate(name, tmpl string, user bool) (Template, error) {
	bad := func(format string, args ...any) (Template, error) {
		return Template{}, apierror.New(apierror.InvalidInput, "%s %q: %s", name, tmpl, fmt.Sprintf(format, args...))
	}
	switch {
	case tmpl == "":
		return bad("must not be empty")
	case strings.HasPrefix(tmpl, "/"):
		return bad("must be relative to the storage PATH, not start with '/'")
	case strings.ContainsAny(tmpl, "\\\x00"):
		return bad("must not contain a backslash or NUL byte")
	}
	t := Template{Segments: strings.Split(tmpl, "/"), NamespacePos: -1, TablePos: -1, UserPos: -1}
	for i, seg := range t.Segments {
		var pos *int
		switch seg {
		case "":
			return bad("has an empty path segment (a leading, trailing or doubled '/')")
		case ".", "..":
			return bad("must not contain '.' or '..' segments")
		case PlaceholderNamespace:
			pos = &t.NamespacePos
		case PlaceholderTable:
			pos = &t.TablePos
		case PlaceholderUser:
			if !user {
				return bad("%s has no place in a SHARED table's path", PlaceholderUser)
			}
			pos = &t.UserPos
		}
		if pos != nil {
			if *pos >= 0 {
				return bad("contains %s more than once", seg)
			}
			*pos = i
			continue
		}
		if strings.ContainsAny(seg, "{}") {
			return bad("segment %q: each placeholder (%s, %s, %s) must be a whole path segment, separated from the next by '/'",
				seg, PlaceholderNamespace, PlaceholderTable, PlaceholderUser)
		}
		if err := checkLiteralSegment(seg); err != "" {
			return bad("segment %q: %s", seg, err)
		}
	}
	need := []struct {
		pos int
		ph  string
	}{{t.NamespacePos, PlaceholderNamespace}, {t.TablePos, PlaceholderTable}}
	if user {
		need = append(need, struct {
			pos int
			ph  string
		}{t.UserPos, PlaceholderUser})
	}
	for _, n := range need {
		if n.pos < 0 {
			return bad("must contain %s so that partitions never share files", n.ph)
		}
	}
	return t, nil
}

// checkLiteralSegment returns why a literal segment is refused, or "".
// A leading '.' is reserved for the storage's own names (temporary files,
// the STORAGE CHECK probe).
func checkLiteralSegment(seg string) string {
	if len(seg) > maxLiteralSegment {
		return fmt.Sprintf("longer than %d bytes", maxLiteralSegment)
	}
	if seg[0] == '.' {
		return "must not start with '.'"
	}
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return fmt.Sprintf("character %q not allowed (use letters, digits, '_', '-', '.')", c)
		}
	}
	return ""
}

// CheckTemplates checks a storage's two templates, each alone and against
// each other: {namespace} and {tableName} must sit at the same segment
// positions in both, which keeps every USER partition apart from every
// SHARED one (see Template).
func CheckTemplates(userTmpl, sharedTmpl string) (user, shared Template, err error) {
	if user, err = ParseTemplate("USER_TABLES_TEMPLATE", userTmpl, true); err != nil {
		return Template{}, Template{}, err
	}
	if shared, err = ParseTemplate("SHARED_TABLES_TEMPLATE", sharedTmpl, false); err != nil {
		return Template{}, Template{}, err
	}
	if user.NamespacePos != shared.NamespacePos || user.TablePos != shared.TablePos {
		return Template{}, Template{}, apierror.New(apierror.InvalidInput,
			"USER_TABLES_TEMPLATE %q and SHARED_TABLES_TEMPLATE %q must put %s and %s at the same path segments "+
				"(e.g. 'users/{namespace}/{tableName}/{userId}' and 'shared/{namespace}/{tableName}'), "+
				"or a USER and a SHARED table could map to the same directory", userTmpl, sharedTmpl, PlaceholderNamespace, PlaceholderTable)
	}
	return user, shared, nil
}

// TableLayout is where one table's partitions live in its storage: its
// template with the namespace and table filled in. It is what the cleanup
// of a dropped table walks, so it is recorded at the drop: the storage's
// templates may change once no table uses it.
type TableLayout struct {
	// Segments of a partition directory; the user's segment, if any, is
	// PlaceholderUser.
	Segments []string `json:"segments"`
	// TableDepth is the index of the first segment whose directory (and
	// everything below it) belongs to this table alone: the deeper of
	// {namespace} and {tableName}.
	TableDepth int `json:"table_depth"`
	// NamespaceDepth likewise for the namespace: below it, only this
	// namespace's tables have directories.
	NamespaceDepth int `json:"namespace_depth"`
}

// Layout fills a table's namespace and name into the template.
func (t Template) Layout(namespace, table string) TableLayout {
	segs := make([]string, len(t.Segments))
	copy(segs, t.Segments)
	segs[t.NamespacePos], segs[t.TablePos] = namespace, table
	return TableLayout{Segments: segs, TableDepth: max(t.NamespacePos, t.TablePos), NamespaceDepth: t.NamespacePos}
}

// TemplateOf returns the parsed template a table's partitions use in a
// storage. It fails for a storage whose templates break the rules (one
// created before they existed).
func TemplateOf(st *systable.Storage, t *Table) (Template, error) {
	user, shared, err := CheckTemplates(st.UserTablesTemplate, st.SharedTablesTemplate)
	if err != nil {
		return Template{}, err
	}
	if t.Meta.TableType == dialect.TableTypeUser {
		return user, nil
	}
	return shared, nil
}
