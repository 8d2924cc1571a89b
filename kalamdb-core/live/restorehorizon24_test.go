package live_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// restoreEnv is an env whose namespace chat can be backed up and
// restored (waitJob runs BACKUP or RESTORE and waits for its job).
func restoreEnv(t *testing.T, o live.Options) (e *env, backups string, waitJob func(q string)) {
	backups = t.TempDir()
	e = newEnv(t, o, func(c *database.Config) { c.BackupRoots = []string{backups} })
	return e, backups, func(q string) {
		t.Helper()
		res := e.sql("root", systable.RoleSystem, q)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		j, err := e.db.Jobs.Wait(ctx, res[0].Rows[0][0].(string))
		if err != nil || j.Status != systable.JobCompleted {
			t.Fatalf("%s: %v %v", q, j, err)
		}
	}
}

// resumeFrom is the resume point of the messages: the newest _seq among
// their rows and batches.
func resumeFrom(from int64, ms ...*msg) int64 {
	for _, m := range ms {
		from = max(from, m.BatchControl.LastSeqID)
		for _, s := range append(append([]int64(nil), m.seqs...), m.oldSeqs...) {
			from = max(from, s)
		}
	}
	return from
}

// TestRestoreHorizonIsPerPartition: docs/live.md, "Resuming across a
// RESTORE". A resume point below the restore's restored_seq is judged by
// the subscriber's partition alone, by the newest _seq the restore wrote
// into it: at or below it the client's history is the backup's, and the
// resume is exact however the partition changed since (before: refused
// once a later write replaced the partition's newest restored version);
// above it the client saw commits the backup lacks, and is refused. A
// partition the backup has no rows of refuses every point below
// restored_seq.
func TestRestoreHorizonIsPerPartition(t *testing.T) {
	e, backups, waitJob := restoreEnv(t, live.Options{})
	bob := func(q string) { e.sql("bob", systable.RoleUser, q) }
	const q = "SELECT id, body FROM chat.messages"
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a1')")
	bob("INSERT INTO chat.messages (id, conv, body) VALUES (10, 7, 'b10')")

	a := e.connect("alice", systable.RoleUser)
	a.subscribe("m", q, live.SubscriptionOptions{})
	a.expect("subscription_ack", "m")
	aliceFrom := resumeFrom(0, a.expect("initial_data_batch", "m"))
	b := e.connect("bob", systable.RoleUser)
	b.subscribe("m", q, live.SubscriptionOptions{})
	b.expect("subscription_ack", "m")
	bobFrom := resumeFrom(0, b.expect("initial_data_batch", "m"))
	svc := e.connect("svc", systable.RoleService)
	svc.subscribe("m", q, live.SubscriptionOptions{})
	svc.expect("subscription_ack", "m")
	svc.expect("initial_data_batch", "m")

	waitJob("BACKUP DATABASE chat TO '" + backups + "/b'")
	e.sql("svc", systable.RoleService, "INSERT INTO chat.messages (id, conv, body) VALUES (20, 7, 's20 lost')")
	svcFrom := resumeFrom(0, svc.expect("change", "m"))
	e.alice("UPDATE chat.messages SET body = 'a1 lost' WHERE id = 1")
	aliceEarly := aliceFrom
	aliceFrom = resumeFrom(aliceFrom, a.expect("change", "m"))
	e.sql("root", systable.RoleSystem, "DROP NAMESPACE chat CASCADE")
	waitJob("RESTORE DATABASE chat FROM '" + backups + "/b'")
	bob("UPDATE chat.messages SET body = 'b10 new' WHERE id = 10")
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (2, 7, 'a2')")

	c := e.connect("bob", systable.RoleUser)
	if _, rows := c.subscribeAll("m", q, live.SubscriptionOptions{FromSeqID: bobFrom}); fmt.Sprint(rows) != "[map[body:b10 new id:10]]" {
		t.Fatalf("bob resumed: %v", rows)
	}
	c = e.connect("alice", systable.RoleUser)
	c.subscribeFails(apierror.SubscriptionFailed, "m", q, live.SubscriptionOptions{FromSeqID: aliceFrom})
	// Any point past her partition's horizon is refused, even one below
	// the commit she saw: the restore cannot tell which she saw.
	c.subscribeFails(apierror.SubscriptionFailed, "m1", q, live.SubscriptionOptions{FromSeqID: aliceFrom - 1})
	// From before the backup, alice's history is the backup's.
	if _, rows := c.subscribeAll("m2", q, live.SubscriptionOptions{FromSeqID: aliceEarly}); fmt.Sprint(rows) != "[map[body:a2 id:2]]" {
		t.Fatalf("alice resumed from before the lost update: %v", rows)
	}
	// svc's partition is not in the backup (its only row came after).
	c = e.connect("svc", systable.RoleService)
	c.subscribeFails(apierror.SubscriptionFailed, "m", q, live.SubscriptionOptions{FromSeqID: svcFrom})
}

// TestRestoreHorizonOfASharedTable: a SHARED table is one partition, so
// its horizon is the table's newest restored _seq. A point of the backup's
// history resumes even after every restored version was replaced (before:
// refused); one of a commit the backup lacks is refused.
func TestRestoreHorizonOfASharedTable(t *testing.T) {
	e, backups, waitJob := restoreEnv(t, live.Options{})
	root := func(q string) { e.sql("root", systable.RoleSystem, q) }
	const q = "SELECT id, name FROM chat.rooms"
	root("INSERT INTO chat.rooms VALUES (1, 'r1'), (2, 'r2')")
	c := e.connect("alice", systable.RoleUser)
	c.subscribe("r", q, live.SubscriptionOptions{})
	c.expect("subscription_ack", "r")
	early := resumeFrom(0, c.expect("initial_data_batch", "r"))
	waitJob("BACKUP DATABASE chat TO '" + backups + "/b'")
	root("DELETE FROM chat.rooms WHERE id = 2")
	late := resumeFrom(early, c.expect("change", "r"))
	root("DROP NAMESPACE chat CASCADE")
	waitJob("RESTORE DATABASE chat FROM '" + backups + "/b'")
	root("UPDATE chat.rooms SET name = 'r1 new' WHERE id = 1")
	root("UPDATE chat.rooms SET name = 'r2 new' WHERE id = 2")

	c = e.connect("alice", systable.RoleUser)
	if _, rows := c.subscribeAll("r", q, live.SubscriptionOptions{FromSeqID: early}); fmt.Sprint(rows) != "[map[id:1 name:r1 new] map[id:2 name:r2 new]]" {
		t.Fatalf("resumed from before the backup: %v", rows)
	}
	c.subscribeFails(apierror.SubscriptionFailed, "r2", q, live.SubscriptionOptions{FromSeqID: late})

	// The horizon goes with the table.
	tbl, _ := e.db.Catalog.Snapshot().Table("chat", "rooms")
	restored := tbl.Meta.RestoredSeq
	if h, ok, err := txn.RestoreHorizon(e.kv, "chat", "rooms", "", restored); !ok || err != nil || h < early || h >= late {
		t.Fatalf("horizon %d %v %v, want in [%d, %d)", h, ok, err, early, late)
	}
	root("DROP NAMESPACE chat CASCADE")
	if h, ok, err := txn.RestoreHorizon(e.kv, "chat", "rooms", "", restored); ok || err != nil {
		t.Fatalf("after DROP NAMESPACE: horizon %d %v %v", h, ok, err)
	}
}
