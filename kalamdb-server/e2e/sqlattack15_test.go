//go:build sqlattack15

// What is left of the differential findings of the fifteenth SQL attack
// session (23 differences from PostgreSQL 15; the others are fixed, and
// their tests live with the code, in kalamdb-core/executor): each test
// states PostgreSQL 15's answer for a statement where KalamDB-Go answers
// otherwise. They fail, so they are kept behind the sqlattack15 build tag:
// \m, \M and to_char's TZ are differences docs/sql.md states. (jsonb's
// ordering, once here, is implemented; its tests are in
// kalamdb-core/executor/pgjsonb_test.go.)
//
//	go test -tags sqlattack15 ./e2e/ -run SQLAttack15
package e2e_test

import (
	"net/http"
	"testing"
)

// attackCase is one statement and PostgreSQL's rows for it, as the
// harness's rows() prints them (no rows is "null").
type attackCase struct{ sql, want string }

// checkRows runs every case and reports each wrong answer or failure
// without stopping, so one run shows the whole extent of a finding.
func checkRows(t *testing.T, s *server, phase string, cases []attackCase, params ...any) {
	t.Helper()
	for _, c := range cases {
		r := s.sql(root, c.sql, params...)
		if r.httpStatus != http.StatusOK || r.Status != "success" {
			t.Errorf("%s: %s: failed: %s, want rows %s", phase, c.sql, r, c.want)
			continue
		}
		if got := r.rows(t); got != c.want {
			t.Errorf("%s: %s: got %s, want %s", phase, c.sql, got, c.want)
		}
	}
}

// TestSQLAttack15WordStartAndEnd: PostgreSQL's \m and \M (the start and
// end of a word) need lookaround, which RE2 does not have; they are
// refused as UNSUPPORTED, naming \y (docs/sql.md).
func TestSQLAttack15WordStartAndEnd(t *testing.T) {
	s := startServer(t, t.TempDir())
	checkRows(t, s, "regex", []attackCase{
		{`SELECT 'foo bar' ~ '\mbar', 'foo bar' ~ 'o\M'`, `[[true,true]]`},
	})
}

// TestSQLAttack15ToCharZone: to_char(timestamp, 'TZ') is empty in
// PostgreSQL for a timestamp without time zone; KalamDB writes UTC, as
// every time here is UTC (docs/sql.md).
func TestSQLAttack15ToCharZone(t *testing.T) {
	s := startServer(t, t.TempDir())
	checkRows(t, s, "to_char", []attackCase{
		{"SELECT to_char(TIMESTAMP '2024-03-01 09:05:03', 'TZ')", `[[""]]`},
	})
}
