package pgsql

import (
	"errors"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// pgTypeWords maps the names PostgreSQL's grammar gives built-in types
// (INTEGER becomes pg_catalog.int4, CHARACTER VARYING pg_catalog.varchar)
// to words of KalamDB's type table.
var pgTypeWords = map[string]string{
	"bool": "BOOLEAN", "int2": "SMALLINT", "int4": "INT", "int8": "BIGINT",
	"float4": "FLOAT", "float8": "DOUBLE", "numeric": "DECIMAL",
	"varchar": "VARCHAR", "bpchar": "CHAR", "text": "TEXT", "bytea": "BYTES",
	"json": "JSON", "jsonb": "JSON", "timestamp": "TIMESTAMP", "timestamptz": "DATETIME",
	"date": "DATE", "time": "TIME", "uuid": "UUID",
}

// castType resolves the target type of a cast through KalamDB's type
// table. interval reports INTERVAL, which is a type only inside timestamp
// arithmetic.
func (t *translator) castType(tn *pg.TypeName) (dt dialect.DataType, interval bool, err error) {
	if len(tn.ArrayBounds) > 0 {
		return dt, false, t.unsupported(tn.Location, "array types are not supported")
	}
	if tn.Setof || tn.PctType {
		return dt, false, t.errorAt(tn.Location, "invalid type name")
	}
	var names []string
	for _, n := range tn.Names {
		names = append(names, n.GetString_().GetSval())
	}
	word := names[len(names)-1]
	switch {
	case len(names) == 2 && names[0] == "pg_catalog":
		w, ok := pgTypeWords[word]
		if !ok && word != "interval" {
			return dt, false, t.unsupported(tn.Location, "type %s is not supported", word)
		}
		if word == "float8" && t.writtenAsBareFloat(tn.Location) {
			// FLOAT alone is KalamDB's 32-bit FLOAT (PostgreSQL reads it
			// as double precision); FLOAT(p) keeps PostgreSQL's choice.
			w = "FLOAT"
		}
		word = w
		if names[1] == "interval" {
			word = "interval"
		}
	case len(names) == 1 && word != strings.ToLower(word):
		// The parser folds an unquoted name to lower case: this one was
		// quoted, and PostgreSQL matches it as written, which no type is.
		return dt, false, t.errorAt(tn.Location, "type \"%s\" does not exist", word)
	case len(names) == 1:
		if w, ok := pgTypeWords[strings.ToLower(word)]; ok && strings.ToLower(word) != "float8" {
			word = w
		}
	default:
		return dt, false, t.errorAt(tn.Location, "type \"%s\" does not exist", strings.Join(names, "."))
	}
	var params []int64
	for _, m := range tn.Typmods {
		c := m.GetAConst()
		if c == nil || c.GetIval() == nil {
			return dt, false, t.errorAt(tn.Location, "type modifiers must be integer constants")
		}
		params = append(params, int64(c.GetIval().GetIval()))
	}
	switch strings.ToLower(word) {
	case "interval":
		if len(params) > 0 || tn.Typemod != -1 {
			return dt, false, t.unsupported(tn.Location, "INTERVAL with a field or precision is not supported; write INTERVAL '5 minutes'")
		}
		return dt, true, nil
	case "timestamp", "datetime", "time":
		if len(params) > 0 {
			return dt, false, t.unsupported(tn.Location, "a precision for %s is not supported (values keep microseconds)", strings.ToUpper(word))
		}
	case "timetz":
		return dt, false, t.unsupported(tn.Location, "TIME WITH TIME ZONE is not supported")
	}
	dt, err = dialect.ResolveType(word, params)
	var unsupported dialect.UnsupportedTypeError
	if errors.As(err, &unsupported) {
		return dt, false, t.unsupported(tn.Location, "%s", err.Error())
	}
	if err != nil {
		return dt, false, t.errorAt(tn.Location, "%s", err.Error())
	}
	return dt, false, nil
}

// writtenAsBareFloat reports whether the type at loc is written FLOAT
// without a precision.
func (t *translator) writtenAsBareFloat(loc int32) bool {
	if loc < 0 {
		return false
	}
	src := t.pre.src[t.pre.srcOffset(int(loc)):]
	if len(src) < 5 || !strings.EqualFold(src[:5], "float") {
		return false
	}
	rest := strings.TrimLeft(src[5:], " \t\r\n")
	return !(len(src) > 5 && isIdentByte(src[5])) && !strings.HasPrefix(rest, "(")
}
