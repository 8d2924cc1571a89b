package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackText18UpdateTextComparisonsStop: the engine analyzes a
// single-table UPDATE or DELETE with a short rule list of its own, which
// skipped the rule reading text comparisons through kdb_text_order, so
// SET same = a IN (b, b, ... 1,000 times) over texts of 16 MiB compared
// runes for about ten minutes under a time limit of one second (and a
// DELETE's WHERE as long). Compared by their bytes, the 16 GB the list
// reads still outlast the limit, and the statement stops there.
func TestAttackText18UpdateTextComparisonsStop(t *testing.T) {
	e, root, alice := newEnvAliceLimited(t)
	root.must("CREATE NAMESPACE app; CREATE TABLE app.big (id BIGINT PRIMARY KEY, a TEXT, b TEXT, same BOOLEAN)")
	// Writing texts of 16 MiB takes more than a second under the race
	// detector: alice's row is written by a caller with her id and the
	// role (service) whose time limit is the default hour.
	long := strings.Repeat("x", 16000000)
	e.as("alice", systable.RoleService).must("INSERT INTO app.big VALUES (1, $1, $2, NULL)", long+"a", long+"b")
	cols := strings.TrimSuffix(strings.Repeat("b, ", 1000), ", ")
	withinMinutes(t, "an UPDATE comparing long texts", func() {
		alice.failsNaming(apierror.QueryTimeout, "1s", "UPDATE app.big SET same = a IN ("+cols+") WHERE id = 1")
	})
	withinMinutes(t, "a DELETE comparing long texts", func() {
		alice.failsNaming(apierror.QueryTimeout, "1s", "DELETE FROM app.big WHERE id = 1 AND a IN ("+cols+")")
	})
	withinMinutes(t, "an UPDATE returning a comparison of long texts", func() {
		alice.failsNaming(apierror.QueryTimeout, "1s", "UPDATE app.big SET same = NULL WHERE id = 1 RETURNING a IN ("+cols+")")
	})
	// Short texts: the rewritten comparisons still give the right answers.
	// The DELETE reads the 16 MiB row too, which under the race detector
	// and a loaded machine can take more than alice's second: answers are
	// checked under the service role's hour.
	slow := e.as("alice", systable.RoleService)
	slow.must("INSERT INTO app.big VALUES (2, 'p', 'q', NULL), (3, 'r', 's', NULL)")
	slow.must("UPDATE app.big SET same = a IN (b, a) WHERE id = 2")
	slow.must("UPDATE app.big SET same = a IN (b, 'x') WHERE id = 3")
	slow.must("DELETE FROM app.big WHERE id = 1 OR a IN (b, 'r')")
	if got := slow.rows("SELECT id, same FROM app.big ORDER BY id"); got != `[[2,true]]` {
		t.Fatalf("after the UPDATE: %s", got)
	}
}
