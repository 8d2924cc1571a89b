package schema

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// Every type of the type table has PostgreSQL's names, and no two types
// that PostgreSQL tells apart share them.
func TestEveryTypeHasPostgreSQLsNames(t *testing.T) {
	seen := map[string]dialect.TypeName{}
	for n, info := range typeTable {
		if info.pg == "" || info.udt == "" {
			t.Errorf("%s has no PostgreSQL name", n)
		}
		if other, ok := seen[info.udt]; ok {
			t.Errorf("%s and %s are both %s", n, other, info.udt)
		}
		seen[info.udt] = n
	}
}

// The facets PostgreSQL 15 shows for the same declared types.
func TestPostgresTypeFacets(t *testing.T) {
	for _, tc := range []struct {
		dt   dialect.DataType
		want PGType
	}{
		{dialect.DataType{Name: dialect.TypeDecimal, Precision: 10, Scale: 2}, PGType{"numeric", "numeric", NoFacet, NoFacet, 10, 10, 2, NoFacet}},
		{dialect.DataType{Name: dialect.TypeText}, PGType{"text", "text", NoFacet, 1 << 30, NoFacet, NoFacet, NoFacet, NoFacet}},
		{dialect.DataType{Name: dialect.TypeText, MaxLength: 20}, PGType{"character varying", "varchar", 20, 80, NoFacet, NoFacet, NoFacet, NoFacet}},
		{dialect.DataType{Name: dialect.TypeText, MaxLength: 1<<31 - 1}, PGType{"character varying", "varchar", 1<<31 - 1, 1 << 30, NoFacet, NoFacet, NoFacet, NoFacet}},
		{dialect.DataType{Name: dialect.TypeFloat}, PGType{"real", "float4", NoFacet, NoFacet, 24, 2, NoFacet, NoFacet}},
		{dialect.DataType{Name: dialect.TypeInt}, PGType{"integer", "int4", NoFacet, NoFacet, 32, 2, 0, NoFacet}},
		{dialect.DataType{Name: dialect.TypeDate}, PGType{"date", "date", NoFacet, NoFacet, NoFacet, NoFacet, NoFacet, 0}},
		{dialect.DataType{Name: dialect.TypeDateTime}, PGType{"timestamp with time zone", "timestamptz", NoFacet, NoFacet, NoFacet, NoFacet, NoFacet, 6}},
		{dialect.DataType{Name: dialect.TypeJSON}, PGType{"jsonb", "jsonb", NoFacet, NoFacet, NoFacet, NoFacet, NoFacet, NoFacet}},
	} {
		if got := PostgresType(tc.dt); got != tc.want {
			t.Errorf("%v: %+v, want %+v", tc.dt, got, tc.want)
		}
	}
}
