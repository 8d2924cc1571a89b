package executor_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackCold22Literals: comparisons of TIMESTAMP, DATETIME and DATE
// columns with every kind of constant the engine takes (text it converts,
// with a time of day, a zone, half microseconds; typed constants of the
// other time types; before 1970; the ends of the range; NULLs; NOT, IS NOT
// TRUE, COALESCE, BETWEEN SYMMETRIC) answer the same, or fail the same,
// over one flushed file as over the same rows kept hot.
func TestAttackCold22Literals(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c")
	alice := e.as("alice", systable.RoleUser)
	for _, tb := range []string{"c.h", "c.k"} {
		e.root().must("CREATE TABLE " + tb + " (id BIGINT PRIMARY KEY, at TIMESTAMP, z DATETIME, d DATE, n INT, tag TEXT)")
	}
	rows := []string{
		"(1, '2024-01-01 00:00:00', '2024-01-01 00:00:00+00', '2024-01-01', 1, 'a')",
		"(2, '2024-01-01 00:00:00.000001', '2024-01-01 02:00:00+02', '2024-01-02', 2, 'b')",
		"(3, '2024-01-01 23:59:59.999999', '2024-01-01 23:59:59.999999-05', '2023-12-31', 3, 'c')",
		"(4, '1969-12-31 23:59:59.999999', '1969-12-31 23:59:59.999999+00', '1969-12-31', 4, 'd')",
		"(5, '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', '1970-01-01', 5, 'e')",
		"(6, NULL, NULL, NULL, NULL, NULL)",
		"(7, '0001-01-01 00:00:00', '0001-01-01 00:00:00+00', '0001-01-01', 7, 'g')",
		"(8, '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999999+00', '9999-12-31', 8, 'h')",
		"(9, '2024-01-01 12:00:00', '2024-01-01 12:00:00+00', '2024-01-01', 9, 'i')",
	}
	for _, tb := range []string{"c.h", "c.k"} {
		alice.must("INSERT INTO " + tb + " (id, at, z, d, n, tag) VALUES " + strings.Join(rows, ", "))
	}
	flushTable(t, e, "c.k")
	qs := []string{
		"SELECT id FROM %s WHERE d = '2024-01-01 12:00' ORDER BY id",
		"SELECT id FROM %s WHERE d <= '2024-01-01 12:00' ORDER BY id",
		"SELECT id FROM %s WHERE d < '2024-01-01 12:00' ORDER BY id",
		"SELECT id FROM %s WHERE d > '2024-01-01 12:00' ORDER BY id",
		"SELECT id FROM %s WHERE d >= '2024-01-01 12:00' ORDER BY id",
		"SELECT id FROM %s WHERE d = '2024-01-02 00:00+05' ORDER BY id",
		"SELECT id FROM %s WHERE d <= '2024-01-02 03:00+05' ORDER BY id",
		"SELECT id FROM %s WHERE d >= '2024-01-02 03:00-05' ORDER BY id",
		"SELECT id FROM %s WHERE d = '1969-12-31 12:00' ORDER BY id",
		"SELECT id FROM %s WHERE d < '1970-01-01 12:00' ORDER BY id",
		"SELECT id FROM %s WHERE d > '1969-12-31 12:00' ORDER BY id",
		"SELECT id FROM %s WHERE d IN ('1969-12-31 12:00', '2024-01-02 23:00') ORDER BY id",
		"SELECT id FROM %s WHERE at = '2024-01-01 02:00:00+02' ORDER BY id",
		"SELECT id FROM %s WHERE at <= '2024-01-01 00:00:00+02' ORDER BY id",
		"SELECT id FROM %s WHERE at = '2024-01-01 00:00:00.0000005' ORDER BY id",
		"SELECT id FROM %s WHERE at = '2024-01-01 00:00:00.0000015' ORDER BY id",
		"SELECT id FROM %s WHERE at < '2024-01-01 00:00:00.0000005' ORDER BY id",
		"SELECT id FROM %s WHERE at > '2024-01-01 00:00:00.0000005' ORDER BY id",
		"SELECT id FROM %s WHERE at < '1970-01-01 00:00:00.0000005' ORDER BY id",
		"SELECT id FROM %s WHERE at <= '1969-12-31 23:59:59.9999995' ORDER BY id",
		"SELECT id FROM %s WHERE at >= '1969-12-31 23:59:59.9999995' ORDER BY id",
		"SELECT id FROM %s WHERE z = '2024-01-01 02:00:00+02' ORDER BY id",
		"SELECT id FROM %s WHERE z IN ('2024-01-01 02:00:00+02', '2024-01-02 04:59:59.999999+00') ORDER BY id",
		"SELECT id FROM %s WHERE z = TIMESTAMP '2024-01-01 00:00:00' ORDER BY id",
		"SELECT id FROM %s WHERE z < TIMESTAMP '2024-01-01 00:00:00.000001' ORDER BY id",
		"SELECT id FROM %s WHERE at = TIMESTAMPTZ '2024-01-01 02:00:00+02' ORDER BY id",
		"SELECT id FROM %s WHERE at < TIMESTAMPTZ '2024-01-01 02:00:00+02' ORDER BY id",
		"SELECT id FROM %s WHERE d = DATE '2024-01-01' ORDER BY id",
		"SELECT id FROM %s WHERE d = TIMESTAMP '2024-01-01 00:00' ORDER BY id",
		"SELECT id FROM %s WHERE d < TIMESTAMP '2024-01-01 12:00' ORDER BY id",
		"SELECT id FROM %s WHERE at = DATE '2024-01-01' ORDER BY id",
		"SELECT id FROM %s WHERE at < DATE '2024-01-02' ORDER BY id",
		"SELECT id FROM %s WHERE d = CAST('2024-01-01 12:00' AS DATE) ORDER BY id",
		"SELECT id FROM %s WHERE d BETWEEN '2023-12-31' AND '2024-01-01' ORDER BY id",
		"SELECT id FROM %s WHERE d BETWEEN SYMMETRIC '2024-01-01' AND '2023-12-31' ORDER BY id",
		"SELECT id FROM %s WHERE at BETWEEN SYMMETRIC '2024-01-02' AND '2023-12-31' ORDER BY id",
		"SELECT id FROM %s WHERE d NOT BETWEEN '2023-12-31' AND '2024-01-01' ORDER BY id",
		"SELECT id FROM %s WHERE NOT (d > '2000-01-01') ORDER BY id",
		"SELECT id FROM %s WHERE d > '2000-01-01' IS NOT TRUE ORDER BY id",
		"SELECT id FROM %s WHERE (d > '2000-01-01') = false ORDER BY id",
		"SELECT id FROM %s WHERE d IS NULL OR d > '2024-01-01' ORDER BY id",
		"SELECT id FROM %s WHERE coalesce(d, '2030-01-01') > '2024-01-01' ORDER BY id",
		"SELECT id FROM %s WHERE d IN ('infinity', '2024-01-01') ORDER BY id",
		"SELECT id FROM %s WHERE d < 'infinity' ORDER BY id",
		"SELECT id FROM %s WHERE d > '-infinity' ORDER BY id",
		"SELECT id FROM %s WHERE at < 'infinity' ORDER BY id",
		"SELECT id FROM %s WHERE at > '-infinity' ORDER BY id",
		"SELECT id FROM %s WHERE at > 'epoch' ORDER BY id",
		"SELECT id FROM %s WHERE d = 'epoch' ORDER BY id",
		"SELECT id FROM %s WHERE d < '0001-01-01 BC' ORDER BY id",
		"SELECT id FROM %s WHERE d > '0001-01-01 BC' ORDER BY id",
		"SELECT id FROM %s WHERE at > '0001-01-01 BC' ORDER BY id",
		"SELECT id FROM %s WHERE d < '20000-01-01' ORDER BY id",
		"SELECT id FROM %s WHERE at < '20000-01-01' ORDER BY id",
		"SELECT id FROM %s WHERE at < '294246-12-31' ORDER BY id",
		"SELECT id FROM %s WHERE d < '5874897-12-31' ORDER BY id",
		"SELECT id FROM %s WHERE d > '4713-11-24 BC' ORDER BY id",
		"SELECT id FROM %s WHERE d = '2024-01-01'::timestamptz ORDER BY id",
		"SELECT id FROM %s WHERE z = '2024-01-01'::date ORDER BY id",
		"SELECT id FROM %s WHERE z >= '2024-01-01'::date ORDER BY id",
		"SELECT id FROM %s WHERE at = now() ORDER BY id",
		"SELECT id FROM %s WHERE at < now() ORDER BY id",
		"SELECT id FROM %s WHERE d < current_date ORDER BY id",
		"SELECT id FROM %s WHERE d IN (NULL) ORDER BY id",
		"SELECT id FROM %s WHERE d NOT IN ('2024-01-01', NULL) ORDER BY id",
		"SELECT id FROM %s WHERE d NOT IN ('2024-01-01') ORDER BY id",
		"SELECT id FROM %s WHERE d <> '2024-01-01' ORDER BY id",
		"SELECT id FROM %s WHERE d = '2024-01-01' AND d = '2024-01-02' ORDER BY id",
		"SELECT id FROM %s WHERE d IN ('2024-01-01', '2024-01-01', '2023-12-31') ORDER BY id DESC",
		"SELECT id FROM %s WHERE tag = 'a' COLLATE \"C\" ORDER BY id",
		"SELECT id FROM %s WHERE d IN ('2024-01-01', TIMESTAMP '2024-01-01 12:00') ORDER BY id",
		"SELECT id FROM %s WHERE d IN (DATE '2023-12-31', TIMESTAMP '2024-01-01 00:00', '2024-01-02') ORDER BY id",
		"SELECT id FROM %s WHERE at IN (DATE '2024-01-01', '2024-01-01 12:00') ORDER BY id",
		"SELECT id FROM %s WHERE z IN (TIMESTAMP '2024-01-01 00:00', TIMESTAMPTZ '2024-01-01 02:00+02', '2024-01-01 12:00', '1970-01-01 01:00+01') ORDER BY id",
		"SELECT id FROM %s WHERE at IN (TIMESTAMPTZ '2024-01-01 02:00+02', '1970-01-01') OR at = DATE '1969-12-31' ORDER BY id",
		"SELECT id FROM %s WHERE n IN (1, 2.0, 3.5) ORDER BY id",
		"SELECT id FROM %s WHERE n IN (1, '2', NULL) ORDER BY id",
		"SELECT id FROM %s WHERE n NOT IN (1, 2.0) ORDER BY id",
		"SELECT id FROM %s WHERE tag IN ('a', 5) ORDER BY id",
		"SELECT id FROM %s WHERE tag IN ('a', 'b'::varchar, NULL) ORDER BY id",
		"SELECT id FROM %s WHERE d = $1 ORDER BY id",
	}
	for _, q := range qs {
		var params []any
		if strings.Contains(q, "$1") {
			params = []any{time.Date(2024, 1, 2, 3, 0, 0, 0, time.FixedZone("", 5*3600))}
		}
		h, herr := alice.exec(fmt.Sprintf(q, "c.h"), params...)
		k, kerr := alice.exec(fmt.Sprintf(q, "c.k"), params...)
		hs, ks := fmt.Sprint(herr), fmt.Sprint(kerr)
		if herr == nil {
			hs = alice.rowsOf(q, h)
		}
		if kerr == nil {
			ks = alice.rowsOf(q, k)
		}
		if hs != ks {
			t.Errorf("%s\n hot:  %s\n cold: %s", q, hs, ks)
		}
	}
}
