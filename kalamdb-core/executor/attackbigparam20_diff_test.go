package executor_test

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// outcome is what a statement answers, the rows digested so that large
// answers compare cheaply, or its error's code and message size.
func (c *caller) outcome(sqlText string, params ...any) (names, rows string) {
	c.e.t.Helper()
	res, err := c.exec(sqlText, params...)
	if err != nil {
		ae, _ := apierror.As(err)
		msg := err.Error()
		if len(msg) > 4<<10 {
			return "", fmt.Sprintf("error %v with a message of %d bytes", ae.Code, len(msg))
		}
		if ae != nil {
			return "", fmt.Sprintf("error %v", ae.Code)
		}
		return "", "error " + msg
	}
	var n strings.Builder
	var b strings.Builder
	for _, r := range res {
		names := make([]string, len(r.Schema))
		for i, col := range r.Schema {
			names[i] = col.Name
		}
		raw, _ := json.Marshal(r.Rows)
		fmt.Fprintf(&n, "%q; ", names)
		fmt.Fprintf(&b, "%d %x; ", len(raw), sha256.Sum256(raw))
		if len(raw) < 200 {
			b.Write(raw)
		}
	}
	return n.String(), b.String()
}

// quoted is v as a SQL string literal.
func quoted(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }

// TestAttackLargeParameterAsLiteral: a large text parameter answers as the
// same value written in the statement, and as a value just under the size
// from which it is planned by its size.
func TestAttackLargeParameterAsLiteral(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, v TEXT, w TEXT, j JSON, b BYTEA);
		CREATE INDEX t_w ON app.t (w);
		CREATE TABLE app.k (k TEXT PRIMARY KEY, n BIGINT)`)
	// Multi-byte characters across the threshold (16 KiB): 3-byte runes
	// put a character over byte 16384.
	const threshold = 16 << 10
	values := map[string]string{
		"just under": strings.Repeat("€", (threshold-1)/3) + "ab"[:(threshold-1)%3],
		"at":         strings.Repeat("€", threshold/3) + "a",
		"over":       strings.Repeat("é", threshold/2) + "€" + strings.Repeat("x", 5),
	}
	for name, v := range values {
		t.Logf("%s: %d bytes", name, len(v))
	}
	root.must("INSERT INTO app.t VALUES (1, 'a', 'a', '{}', '\\x00'), (2, 'zz', 'zz', '[]', '\\x01')")
	shapes := []string{
		"SELECT $1",
		"SELECT $1 AS v, $1 || 'x', length($1), octet_length($1)",
		"SELECT substr($1, 5460, 3), upper($1) = upper($1), md5($1), concat($1, 'x') = $1 || 'x'",
		"SELECT lower($1), left($1, 2), right($1, 2), reverse($1) = $1, position('x' IN $1)",
		"SELECT DISTINCT $1 FROM app.t",
		"SELECT $1, count(*) FROM app.t GROUP BY 1",
		"SELECT id FROM app.t ORDER BY $1, id",
		"SELECT CASE WHEN id = 1 THEN $1 ELSE 'a' END FROM app.t ORDER BY id",
		"SELECT COALESCE(NULL, $1), NULLIF($1, 'a'), GREATEST($1, 'a'), LEAST($1, 'zzz')",
		"WITH c AS (SELECT $1 AS x) SELECT length(x), x FROM c",
		"SELECT (SELECT $1)",
		"SELECT id FROM app.t WHERE v BETWEEN 'a' AND $1 ORDER BY id",
		"SELECT id FROM app.t WHERE v NOT IN ($1) ORDER BY id",
		"SELECT id FROM app.t WHERE $1 LIKE v || '%' ORDER BY id",
		"SELECT id FROM app.t WHERE v ILIKE $1",
		"SELECT $1 LIKE '%x', $1 ILIKE '%X', $1 ~ 'x$', $1 SIMILAR TO '%x'",
		"SELECT string_agg($1, ',') FROM app.t",
		"SELECT length(string_agg($1 || v, ',' ORDER BY id)) FROM app.t",
		"SELECT a.id FROM app.t a JOIN app.t b ON a.v < $1 AND a.id = b.id ORDER BY 1",
		"SELECT v, count(*) FROM app.t GROUP BY v HAVING max(v) < $1 ORDER BY v",
		"SELECT id, row_number() OVER (PARTITION BY $1 ORDER BY id) FROM app.t",
		"SELECT $1::json",
		"SELECT $1::bigint",
		"SELECT $1::int + 1",
		"SELECT $1::numeric",
		"SELECT $1::date",
		"SELECT $1::uuid",
		"SELECT $1::boolean",
		"SELECT $1::bytea",
		"SELECT $1::varchar(10)",
		"SELECT CAST($1 AS varchar(20000))",
		"SELECT $1::text = $1",
		"SELECT id FROM app.t WHERE id = $1",
		"SELECT id FROM app.t WHERE b = $1",
		"SELECT id FROM app.t WHERE j = $1",
		"SELECT json_typeof($1), json_build_array($1), to_json($1)",
		"SELECT $1 -> 'a', $1 ->> 'a'",
		"SELECT json_build_object('k', $1)",
		"SELECT id FROM app.t WHERE v = ANY(ARRAY[$1, 'a'])",
		"SELECT $1 UNION SELECT 'a' ORDER BY 1",
		"SELECT $1 IN (SELECT v FROM app.t)",
		"SELECT EXISTS (SELECT 1 FROM app.t WHERE v = $1)",
		"SELECT id FROM app.t WHERE w = $1",
		"SELECT id FROM app.t WHERE w IN ($1, 'a')",
		"SELECT id FROM app.t WHERE w > $1 ORDER BY id",
		"SELECT id FROM app.t WHERE w BETWEEN $1 AND 'zzzz' ORDER BY id",
		"SELECT id FROM app.t WHERE w LIKE $1",
		"SELECT n FROM app.k WHERE k = $1",
		"SELECT n FROM app.k WHERE k >= $1 ORDER BY n",
		"SELECT replace($1, 'x', 'y'), translate($1, 'x', 'y'), trim($1), lpad($1, 3), split_part($1, 'x', 1)",
		"SELECT encode(convert_to($1, 'UTF8'), 'hex')",
		"SELECT sha256($1::bytea), decode($1, 'escape')",
		"SELECT regexp_replace($1, 'x', 'y'), regexp_match($1, '(x+)$')",
		"SELECT starts_with($1, 'é'), strpos($1, '€'), ascii($1), initcap($1)",
		"SELECT format('%s', $1), quote_literal($1), quote_ident($1)",
		"SELECT $1 IS NULL, $1 IS DISTINCT FROM 'a', $1 = $1",
		"SELECT count(*) FILTER (WHERE v < $1) FROM app.t",
		"SELECT array_agg($1) FROM app.t",
		"SELECT max($1), min($1 || v) FROM app.t",
		"EXPLAIN SELECT id FROM app.t WHERE v = $1",
	}
	for name, v := range values {
		// A row keyed by the value, to look up by its primary key.
		root.must("INSERT INTO app.k VALUES ($1, 1)", v)
		root.must("INSERT INTO app.t VALUES (10, $1, $1, NULL, NULL)", v)
		for _, q := range shapes {
			names, asParam := root.outcome(q, v)
			if smallNames, _ := root.outcome(q, "s"); names != "" && smallNames != "" && names != smallNames {
				t.Errorf("%s value, %s: columns %.300s, a small value's %.300s", name, q, names, smallNames)
			}
			if strings.HasPrefix(q, "EXPLAIN") || strings.Contains(q, "ORDER BY $1") {
				continue
			}
			_, asText := root.outcome(strings.ReplaceAll(q, "$1", quoted(v)))
			if asParam != asText {
				t.Errorf("%s value, %s:\n param:   %.300s\n literal: %.300s", name, q, asParam, asText)
			}
		}
		root.must("DELETE FROM app.k WHERE k = $1", v)
		root.must("DELETE FROM app.t WHERE id = 10")
	}
}
