#!/usr/bin/env bash
# pgdiff-infoschema.sh: a differential check of information_schema and
# pg_catalog between a running KalamDB-Go server and a PostgreSQL 15
# server. The same table (every KalamDB type, declared with PostgreSQL's
# name of it) and view are created on both sides, then the information
# schema is asked the same questions: the columns of its own tables, and
# what it says of the table, its columns, its primary key and the view.
# Prints one line per difference and "N passed, N failed" last; exits
# non-zero on a difference.
#
# Usage: KALAM_URL=http://127.0.0.1:8080 KALAM_AUTH=root: \
#        PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres scripts/pgdiff-infoschema.sh
# Needs curl, python3 and psql. It creates the namespace pgdiff (KalamDB)
# and the schema pgdiff (PostgreSQL), dropping them first.
#
# Documented differences are left out of the questions: owners (KalamDB
# has none: NULL), the catalog's name (kalamdb, PostgreSQL's database
# name), KalamDB's system columns _seq and _deleted, and NOT NULL, which
# PostgreSQL lists as a CHECK constraint.
set -euo pipefail
# shellcheck source=pgdiff-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/pgdiff-lib.sh"

pass=0 fail=0
same() { # label, kalam output, pg output
	if [[ "$2" == "$3" ]]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		printf 'DIFF %s\n  kalamdb:    %s\n  postgresql: %s\n' "$1" "${2//$'\n'/ ; }" "${3//$'\n'/ ; }"
	fi
}

kalam "DROP NAMESPACE IF EXISTS pgdiff CASCADE" >/dev/null
pg "DROP SCHEMA IF EXISTS pgdiff CASCADE" >/dev/null
kalam "CREATE NAMESPACE pgdiff" >/dev/null
pg "CREATE SCHEMA pgdiff" >/dev/null
cols="id BIGINT PRIMARY KEY, s SMALLINT NOT NULL, i INT DEFAULT 7, b BOOLEAN, r REAL, d %DOUBLE%, n NUMERIC(10,2), tx TEXT,
	v VARCHAR(20), bt %BYTES%, j %JSON%, ts TIMESTAMP, tz %TSTZ%, dt DATE, tm TIME, u UUID"
kcols=${cols//%DOUBLE%/DOUBLE}; kcols=${kcols//%BYTES%/BYTES}; kcols=${kcols//%JSON%/JSON}; kcols=${kcols//%TSTZ%/DATETIME}
pcols=${cols//%DOUBLE%/DOUBLE PRECISION}; pcols=${pcols//%BYTES%/BYTEA}; pcols=${pcols//%JSON%/JSONB}; pcols=${pcols//%TSTZ%/TIMESTAMPTZ}
out=$(kalam "CREATE SHARED TABLE pgdiff.t ($kcols)"); [[ -z "$out" ]] || { echo "kalamdb: $out"; exit 2; }
out=$(pg "CREATE TABLE pgdiff.t ($pcols)"); [[ -z "$out" ]] || { echo "postgresql: $out"; exit 2; }
# A view PostgreSQL cannot update either (KalamDB's views are read-only).
kalam "CREATE VIEW pgdiff.v AS SELECT DISTINCT tx, n FROM pgdiff.t" >/dev/null
pg "CREATE VIEW pgdiff.v AS SELECT DISTINCT tx, n FROM pgdiff.t" >/dev/null

questions=(
	"SELECT table_schema, table_name, string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'information_schema' AND table_name IN ('schemata', 'tables', 'columns', 'views', 'table_constraints', 'key_column_usage') GROUP BY table_schema, table_name ORDER BY table_name"
	"SELECT table_schema, table_name, string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'pg_catalog' AND table_name IN ('pg_tables', 'pg_views') GROUP BY table_schema, table_name ORDER BY table_name"
	"SELECT column_name, ordinal_position, column_default, is_nullable, data_type, character_maximum_length, character_octet_length, numeric_precision, numeric_precision_radix, numeric_scale, datetime_precision, interval_type, interval_precision, character_set_name, collation_name, domain_name, udt_schema, udt_name, scope_name, maximum_cardinality, dtd_identifier, is_self_referencing, is_identity, identity_generation, identity_cycle, is_generated, generation_expression, is_updatable FROM information_schema.columns WHERE table_schema = 'pgdiff' AND column_name NOT LIKE '\\_%' ORDER BY table_name, ordinal_position"
	"SELECT table_schema, table_name, table_type, self_referencing_column_name, reference_generation, user_defined_type_name, is_insertable_into, is_typed, commit_action FROM information_schema.tables WHERE table_schema = 'pgdiff' ORDER BY table_name"
	"SELECT constraint_schema, constraint_name, table_schema, table_name, constraint_type, is_deferrable, initially_deferred, enforced, nulls_distinct FROM information_schema.table_constraints WHERE table_schema = 'pgdiff' AND constraint_type <> 'CHECK'"
	"SELECT constraint_schema, constraint_name, table_name, column_name, ordinal_position, position_in_unique_constraint FROM information_schema.key_column_usage WHERE table_schema = 'pgdiff'"
	"SELECT table_schema, table_name, check_option, is_updatable, is_insertable_into, is_trigger_updatable, is_trigger_deletable, is_trigger_insertable_into FROM information_schema.views WHERE table_schema = 'pgdiff'"
	"SELECT view_definition IS NOT NULL FROM information_schema.views WHERE table_schema = 'pgdiff'"
	"SELECT schema_name, default_character_set_catalog, default_character_set_schema, default_character_set_name, sql_path FROM information_schema.schemata WHERE schema_name IN ('pgdiff', 'information_schema', 'pg_catalog') ORDER BY schema_name"
	"SELECT schemaname, tablename, tablespace, hasindexes, hasrules, hastriggers, rowsecurity FROM pg_catalog.pg_tables WHERE schemaname = 'pgdiff'"
	"SELECT schemaname, viewname, definition IS NOT NULL FROM pg_catalog.pg_views WHERE schemaname = 'pgdiff'"
	"SELECT engine FROM information_schema.tables"
)
for q in "${questions[@]}"; do
	same "$q" "$(kalam "$q")" "$(pg "$q")"
done
kalam "DROP NAMESPACE pgdiff CASCADE" >/dev/null
pg "DROP SCHEMA pgdiff CASCADE" >/dev/null
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
