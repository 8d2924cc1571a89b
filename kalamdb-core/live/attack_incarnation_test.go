package live_test

import (
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestRestoredTableEndsSubscriptionsOfTheDroppedOne: a namespace dropped
// and restored from a backup brings its tables back with the ids and
// creation times they had, but each is another table (another
// incarnation): rows written before the drop and after the backup are
// gone without a change telling a subscriber. A subscription of the
// dropped table must end, as for a table created again under the name,
// not go on with the restored table's changes.
func TestRestoredTableEndsSubscriptionsOfTheDroppedOne(t *testing.T) {
	// The periodic check never runs: what ends the subscription is the
	// first change of the restored table, as for a re-created one.
	e, backups, waitJob := restoreEnv(t, live.Options{CheckInterval: time.Hour})
	root := func(q string) { e.sql("root", systable.RoleSystem, q) }
	root("INSERT INTO chat.rooms VALUES (1, 'backed up')")
	waitJob("BACKUP DATABASE chat TO '" + backups + "/b'")
	root("INSERT INTO chat.rooms VALUES (2, 'after the backup')")

	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("r", "SELECT * FROM chat.rooms", live.SubscriptionOptions{})
	root("DROP NAMESPACE chat CASCADE")
	waitJob("RESTORE DATABASE chat FROM '" + backups + "/b'")
	root("INSERT INTO chat.rooms VALUES (3, 'restored table')")
	if m := c.expect("error", "r"); m.Code != "SUBSCRIPTION_FAILED" {
		t.Fatalf("after drop and restore: %s", m.raw)
	}
}
