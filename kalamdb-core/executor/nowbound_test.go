package executor_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestNowInTransactionDateBound: now() is the transaction's start in
// every statement of a transaction, also in a DATE column's bound
// `d > now() + x`. The bound rewrite for dates outside 0001..9999 once
// folded now() with the wall clock at planning time, so when the
// transaction's now() + x and the planning time's fell on different
// dates, the comparison selected other rows. x is chosen so that the
// transaction's bound lands just before midnight; the INSERT between
// BEGIN and the SELECT makes the planning time later than the start.
// The rows wanted are computed from the transaction's own bound, so the
// test holds whatever the timing, and catches the folding when the two
// straddle midnight.
func TestNowInTransactionDateBound(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE app; CREATE TABLE app.nd (id BIGINT PRIMARY KEY, d DATE, k INT)")
	alice := e.as("alice", systable.RoleUser)
	const delta = 20 * time.Millisecond
	before := time.Now().UTC()
	midnight := before.Add(delta).Truncate(24 * time.Hour).Add(24 * time.Hour)
	x := midnight.Sub(before.Add(delta)) // now() + x is just before midnight when now() is before+delta
	day := midnight.Add(-24 * time.Hour)
	var rows []string
	for i := range 3 {
		rows = append(rows, fmt.Sprintf("(%d, '%s', 0)", i+1, day.AddDate(0, 0, i).Format("2006-01-02")))
	}
	alice.must("INSERT INTO app.nd VALUES " + strings.Join(rows, ", "))
	var filler []string
	for i := range 3000 {
		filler = append(filler, fmt.Sprintf("(%d, NULL, 0)", 100+i))
	}
	res := alice.must(fmt.Sprintf(`BEGIN; SELECT now();
		INSERT INTO app.nd VALUES %s;
		SELECT id FROM app.nd WHERE d > now() + INTERVAL '%d microseconds' ORDER BY id;
		SELECT now() + INTERVAL '%d microseconds'; ROLLBACK`,
		strings.Join(filler, ", "), x.Microseconds(), x.Microseconds()))
	var got []string
	for _, r := range res[3].Rows {
		got = append(got, fmt.Sprint(r[0]))
	}
	bound := res[4].Rows[0][0]
	t.Logf("tx now() %v, bound %v, midnight %v, rows %v", res[1].Rows[0][0], bound, midnight, got)
	ms, ok := bound.(int64) // the wire form: milliseconds since the epoch
	if !ok {
		t.Fatalf("bound %T", bound)
	}
	bt := time.UnixMilli(ms).UTC()
	var want []string
	for i := range 3 {
		if day.AddDate(0, 0, i).After(bt) {
			want = append(want, fmt.Sprint(i+1))
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("d > now() + x in a transaction (now() + x = %v): ids %v, want %v", bt, got, want)
	}
}

// TestScalarSubqueryTimeOutsideYears: a DATE computed by a scalar
// subquery past 9999-12-31 is refused as INVALID_INPUT naming the column,
// as the same value computed any other way is (rangeChecked wraps only
// functions and columns), and nothing is written.
func TestScalarSubqueryTimeOutsideYears(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE app; CREATE TABLE app.w (id BIGINT PRIMARY KEY, d DATE)")
	alice := e.as("alice", systable.RoleUser)
	alice.must("INSERT INTO app.w VALUES (1, '9999-12-31')")
	for _, q := range []string{
		"UPDATE app.w SET d = d + 1",
		"UPDATE app.w SET d = (SELECT max(d) + 1 FROM app.w)",
		"INSERT INTO app.w VALUES (2, (SELECT max(d) + 1 FROM app.w))",
		"INSERT INTO app.w SELECT 2, (SELECT max(d) + 1 FROM app.w)",
	} {
		alice.fails(apierror.InvalidInput, q)
	}
	if got := alice.rows("SELECT id, d FROM app.w ORDER BY id"); !strings.Contains(got, "9999") || strings.Count(got, "[") > 3 {
		t.Errorf("rows changed: %s", got)
	}
}
