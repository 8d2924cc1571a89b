//go:build attacktext18

package executor_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackText18UpdateTextComparisonsStop (open finding): an UPDATE's
// new values are not read through kdb_text_order (the rule covers the
// plan's Project, GroupBy, Sort, TopN, Window, Filter, Having, JoinNode
// and UpdateSource, but the UPDATE's SET expressions evidently run
// elsewhere): SET same = a IN (b, b, ... 1,000 times) over texts of 16 MiB
// compares runes for about ten minutes under a time limit of one second.
// Behind the build tag attacktext18: it takes five minutes to fail.
func TestAttackText18UpdateTextComparisonsStop(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{Timeout: engine.Timeouts{Default: time.Hour, User: time.Second}})
	root := e.root()
	root.must(`CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user`)
	alice := e.as("alice", systable.RoleUser)
	root.must("CREATE NAMESPACE app; CREATE TABLE app.big (id BIGINT PRIMARY KEY, a TEXT, b TEXT, same BOOLEAN)")
	alice.must("INSERT INTO app.big VALUES (1, repeat('x', 16000000) || 'a', repeat('x', 16000000) || 'b', NULL)")
	cols := strings.TrimSuffix(strings.Repeat("b, ", 1000), ", ")
	withinMinutes(t, "an UPDATE comparing long texts", func() {
		alice.failsNaming(apierror.QueryTimeout, "1s", "UPDATE app.big SET same = a IN ("+cols+") WHERE id = 1")
	})
}
