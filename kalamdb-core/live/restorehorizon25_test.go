package live_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// readJSON decodes the JSON file p keeping numbers exact (a _seq does not
// fit a float64).
func readJSON(t *testing.T, p string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func writeJSON(t *testing.T, p string, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return raw
}

// editedBackup copies the backup at from to to and edits its catalog.json
// and backup.json, the sizes and checksums backup.json lists made to
// agree: what anyone who may write where backups are can do (the backups
// of these tests are unsigned, so nothing else tells).
func editedBackup(t *testing.T, from, to string, editCat, editMan func(map[string]any)) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	cat := readJSON(t, filepath.Join(to, "catalog.json"))
	editCat(cat)
	raw := writeJSON(t, filepath.Join(to, "catalog.json"), cat)
	man := readJSON(t, filepath.Join(to, "backup.json"))
	for _, f := range man["files"].([]any) {
		if f := f.(map[string]any); f["path"] == "catalog.json" {
			sum := sha256.Sum256(raw)
			f["size"], f["sha256"] = len(raw), hex.EncodeToString(sum[:])
		}
	}
	editMan(man)
	writeJSON(t, filepath.Join(to, "backup.json"), man)
}

// fileEntries calls edit with each Parquet file entry of the catalog's
// manifests.
func fileEntries(cat map[string]any, edit func(f map[string]any)) {
	for _, mf := range cat["manifests"].([]any) {
		for _, f := range mf.(map[string]any)["files"].([]any) {
			edit(f.(map[string]any))
		}
	}
}

// subscribedAlice subscribes a client of alice to q ("m") and returns it
// with its resume point after the initial data (one batch).
func subscribedAlice(e *env, q string) (*client, int64) {
	e.t.Helper()
	a := e.connect("alice", systable.RoleUser)
	a.subscribe("m", q, live.SubscriptionOptions{})
	a.expect("subscription_ack", "m")
	return a, resumeFrom(0, a.expect("initial_data_batch", "m"))
}

func seqJSON(seq int64) json.Number { return json.Number(fmt.Sprint(seq)) }

// TestRestoreHorizonIsOfTheRestoredRows: docs/live.md, "Resuming across
// a RESTORE". A partition's horizon is the newest _seq of the rows the
// restore wrote into it, not a number the backup states. A backup is
// input (anyone who may write where backups are can edit one, and an
// unsigned backup's checksums are theirs to recompute): a Parquet file
// entry whose max_seq was raised past the rows made the horizon cover
// commits the backup lacks, and alice, resuming from such a commit (her
// row 3, which the restored table does not have), was accepted, to keep
// row 3 for ever (before: the restore completed and the resume was
// accepted). A file entry whose range is not its rows' is refused, the
// restore changing nothing; backup.json's max_seq, raised or lowered,
// moves no horizon: resumes at and around the true newest _seq are
// judged as for the backup as written.
func TestRestoreHorizonIsOfTheRestoredRows(t *testing.T) {
	e, backups, waitJob := restoreEnv(t, live.Options{})
	const q = "SELECT id, body FROM chat.messages"
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a1')")
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (2, 7, 'a2')")
	waitJob("STORAGE FLUSH TABLE chat.messages")
	a, newest := subscribedAlice(e, q)
	waitJob("BACKUP DATABASE chat TO '" + backups + "/b'")
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (3, 7, 'a3 lost')")
	lost := resumeFrom(newest, a.expect("change", "m"))
	e.sql("root", systable.RoleSystem, "DROP NAMESPACE chat CASCADE")
	if lost <= newest+1 {
		t.Fatalf("the lost commit's _seq %d is not past the backup's newest %d + 1", lost, newest)
	}

	// restore restores the backup at name, returning the job's error
	// message ("" when it completed).
	restore := func(name string) string {
		t.Helper()
		res, err := e.exec("root", systable.RoleSystem, "RESTORE DATABASE chat FROM '"+backups+"/"+name+"'")
		if err != nil {
			return err.Error()
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		j, err := e.db.Jobs.Wait(ctx, res[0].Rows[0][0].(string))
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == systable.JobCompleted {
			return ""
		}
		return j.ErrorMessage
	}
	noOp := func(map[string]any) {}

	for _, c := range []struct {
		name string
		edit func(f map[string]any)
	}{
		{"max-up", func(f map[string]any) { f["max_seq"] = seqJSON(lost) }},
		{"min-down", func(f map[string]any) { f["min_seq"] = seqJSON(1) }},
		{"max-down", func(f map[string]any) { f["max_seq"] = seqJSON(newest - 1) }},
	} {
		editedBackup(t, backups+"/b", backups+"/"+c.name, func(cat map[string]any) { fileEntries(cat, c.edit) },
			func(man map[string]any) { man["max_seq"] = seqJSON(lost) })
		msg := restore(c.name)
		if msg == "" {
			cl := e.connect("alice", systable.RoleUser)
			_, rows := cl.subscribeAll("m", q, live.SubscriptionOptions{FromSeqID: lost})
			t.Fatalf("%s: restored; alice resumed from %d, of a commit the backup lacks (newest %d), with %v: she keeps row 3",
				c.name, lost, newest, rows)
		}
		if !strings.Contains(msg, "_seq range") {
			t.Fatalf("%s: restore failed with %q, want a refusal naming the _seq range", c.name, msg)
		}
		if _, ok := e.db.Catalog.Snapshot().Namespace("chat"); ok {
			t.Fatalf("%s: namespace chat exists after a refused restore", c.name)
		}
	}

	for i, maxSeq := range []int64{lost, 1} {
		name := fmt.Sprint("man-", i)
		editedBackup(t, backups+"/b", backups+"/"+name, noOp, func(man map[string]any) { man["max_seq"] = seqJSON(maxSeq) })
		if msg := restore(name); msg != "" {
			t.Fatalf("backup.json max_seq %d: %s", maxSeq, msg)
		}
		tbl, _ := e.db.Catalog.Snapshot().Table("chat", "messages")
		if h, ok, err := txn.RestoreHorizon(e.kv, "chat", "messages", e.uid("alice"), tbl.Meta.RestoredSeq); !ok || err != nil || h != newest {
			t.Fatalf("backup.json max_seq %d: horizon %d %v %v, want %d", maxSeq, h, ok, err, newest)
		}
		e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (4, 7, 'a4')")
		c := e.connect("alice", systable.RoleUser)
		if _, rows := c.subscribeAll("m", q, live.SubscriptionOptions{FromSeqID: newest}); fmt.Sprint(rows) != "[map[body:a4 id:4]]" {
			t.Fatalf("backup.json max_seq %d: resumed from the newest restored _seq: %v", maxSeq, rows)
		}
		if _, rows := c.subscribeAll("m1", q, live.SubscriptionOptions{FromSeqID: newest - 1}); fmt.Sprint(rows) != "[map[body:a2 id:2] map[body:a4 id:4]]" {
			t.Fatalf("backup.json max_seq %d: resumed from below the newest restored _seq: %v", maxSeq, rows)
		}
		c.subscribeFails(apierror.SubscriptionFailed, "m2", q, live.SubscriptionOptions{FromSeqID: newest + 1})
		c.subscribeFails(apierror.SubscriptionFailed, "m3", q, live.SubscriptionOptions{FromSeqID: lost})
		e.sql("root", systable.RoleSystem, "DROP NAMESPACE chat CASCADE")
	}
}

// TestRestoreWithoutAHorizonKeepsTheOldCheck: a table restored by a build
// that recorded no horizons (made here by deleting the partition's
// horizon after the restore; no upgrade fixture holds such a table) is
// judged as that build judged it: a resume point below restored_seq is
// accepted while the partition still has a version at or above it from
// before restored_seq, so up to the newest restored version that no later
// write replaced.
func TestRestoreWithoutAHorizonKeepsTheOldCheck(t *testing.T) {
	e, backups, waitJob := restoreEnv(t, live.Options{})
	const q = "SELECT id, body FROM chat.messages"
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a1')")
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (2, 7, 'a2')")
	_, newest := subscribedAlice(e, q)
	waitJob("BACKUP DATABASE chat TO '" + backups + "/b'")
	e.sql("root", systable.RoleSystem, "DROP NAMESPACE chat CASCADE")
	waitJob("RESTORE DATABASE chat FROM '" + backups + "/b'")

	cf, ok := e.kv.LookupColumnFamily(txn.RestoreHorizonsFamily)
	if !ok {
		t.Fatal("no restore_horizons family after a restore")
	}
	var b kv.Batch
	b.Delete(cf, keyenc.CounterKey("chat", "messages", e.uid("alice")))
	if err := e.kv.Write(&b); err != nil {
		t.Fatal(err)
	}
	tbl, _ := e.db.Catalog.Snapshot().Table("chat", "messages")
	if _, ok, err := txn.RestoreHorizon(e.kv, "chat", "messages", e.uid("alice"), tbl.Meta.RestoredSeq); ok || err != nil {
		t.Fatalf("the horizon is still there (%v %v)", ok, err)
	}

	c := e.connect("alice", systable.RoleUser)
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (3, 7, 'a3')")
	if _, rows := c.subscribeAll("m", q, live.SubscriptionOptions{FromSeqID: newest}); fmt.Sprint(rows) != "[map[body:a3 id:3]]" {
		t.Fatalf("resumed from the newest restored version: %v", rows)
	}
	c.subscribeFails(apierror.SubscriptionFailed, "m1", q, live.SubscriptionOptions{FromSeqID: newest + 1})
	// Once alice replaced her newest restored version, the old check has
	// nothing to accept that point by (what the horizons were made for).
	e.alice("UPDATE chat.messages SET body = 'a2 new' WHERE id = 2")
	c.subscribeFails(apierror.SubscriptionFailed, "m2", q, live.SubscriptionOptions{FromSeqID: newest})
}
