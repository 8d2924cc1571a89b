package live_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestSystemTableSubscriptionJobs: a dba subscribes to system.jobs and
// receives a job's insert and its status changes as they are recorded.
// The job waits for the test, so the running state is seen before the
// completed one.
func TestSystemTableSubscriptionJobs(t *testing.T) {
	e := newEnv(t, live.Options{})
	ops := e.connect("ops", systable.RoleDBA)
	ack, rows := ops.subscribeAll("jobs", "SELECT job_id, job_type, status FROM system.jobs WHERE job_type = 'compact'", live.SubscriptionOptions{})
	if len(rows) != 0 || ack.BatchControl.LastSeqID != 0 || fmt.Sprint(ack.Schema) != "[{job_id Text 0} {job_type Text 1} {status Text 2}]" {
		t.Fatalf("ack %s, rows %v", ack.raw, rows)
	}
	release := make(chan struct{})
	started := make(chan struct{})
	id, err := e.db.Jobs.Submit(jobs.Spec{Type: "compact", NamespaceID: "chat", TableName: "messages"},
		func(ctx context.Context, _ *jobs.Progress) (any, error) {
			close(started)
			<-release
			return map[string]int{"files": 0}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	// The insert shows the job queued or already running; then it is
	// running, whatever the insert showed.
	m := ops.expect("change", "jobs")
	if m.ChangeType != "insert" || m.Rows[0]["job_id"] != id {
		t.Fatalf("first change: %s", m.raw)
	}
	status := m.Rows[0]["status"]
	if status == "queued" {
		if got := ops.change("jobs"); got != fmt.Sprintf("update [map[job_id:%s job_type:compact status:running]] <- [map[job_id:%s job_type:compact status:queued]]", id, id) {
			t.Fatalf("to running: %s", got)
		}
	} else if status != "running" {
		t.Fatalf("inserted as %v", status)
	}
	close(release)
	if got := ops.change("jobs"); got != fmt.Sprintf("update [map[job_id:%s job_type:compact status:completed]] <- [map[job_id:%s job_type:compact status:running]]", id, id) {
		t.Fatalf("to completed: %s", got)
	}
	// A job of another type is outside the WHERE: nothing is sent; the
	// next matching job is.
	other, err := e.db.Jobs.Submit(jobs.Spec{Type: "flush"}, func(context.Context, *jobs.Progress) (any, error) { return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Jobs.Wait(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	marker, err := e.db.Jobs.Submit(jobs.Spec{Type: "compact"}, func(context.Context, *jobs.Progress) (any, error) { return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	m = ops.expect("change", "jobs")
	if m.ChangeType != "insert" || m.Rows[0]["job_id"] != marker {
		t.Fatalf("after a job outside the WHERE: %s", m.raw)
	}
}

// TestSystemTableSubscriptionDiffs: inserts, updates and deletes of
// system rows reach a dba's subscription as changes keyed by the table's
// key, and the subscription is a row of system.live_queries like others.
func TestSystemTableSubscriptionDiffs(t *testing.T) {
	e := newEnv(t, live.Options{})
	ops := e.connect("ops", systable.RoleDBA)
	root := func(q string) { e.sql("root", systable.RoleSystem, q) }
	_, rows := ops.subscribeAll("ns", "SELECT namespace_id, description FROM system.namespaces", live.SubscriptionOptions{BatchSize: 1})
	if fmt.Sprint(rows) != "[map[description:<nil> namespace_id:chat]]" {
		t.Fatalf("initial: %v", rows)
	}
	root("CREATE NAMESPACE app")
	if got := ops.change("ns"); got != "insert [map[description:<nil> namespace_id:app]]" {
		t.Fatal(got)
	}
	root("ALTER NAMESPACE app SET DESCRIPTION 'the app'")
	if got := ops.change("ns"); got != "update [map[description:the app namespace_id:app]] <- [map[description:<nil> namespace_id:app]]" {
		t.Fatal(got)
	}
	root("DROP NAMESPACE app")
	if got := ops.change("ns"); got != "delete [map[description:the app namespace_id:app]]" {
		t.Fatal(got)
	}
	// A change that leaves the result as it was sends nothing: the next
	// message is the next real change.
	root("CREATE TABLE chat.notes (id INT PRIMARY KEY)")
	root("CREATE NAMESPACE b")
	if got := ops.change("ns"); got != "insert [map[description:<nil> namespace_id:b]]" {
		t.Fatal(got)
	}
	// Composite keys (table_schemas: table id and version).
	_, rows = ops.subscribeAll("schemas", "SELECT table_id, version FROM system.table_schemas WHERE table_id = 'chat:notes'", live.SubscriptionOptions{})
	if fmt.Sprint(rows) != "[map[table_id:chat:notes version:1]]" {
		t.Fatalf("schemas: %v", rows)
	}
	root("ALTER TABLE chat.notes ADD COLUMN body TEXT")
	if got := ops.change("schemas"); got != "insert [map[table_id:chat:notes version:2]]" {
		t.Fatal(got)
	}
	// system.live_queries: other subscriptions come and go as rows.
	_, rows = ops.subscribeAll("lq", "SELECT subscription_id, table_name FROM system.live_queries WHERE user_id = '"+e.uid("alice")+"'", live.SubscriptionOptions{})
	if len(rows) != 0 {
		t.Fatalf("live queries: %v", rows)
	}
	alice := e.connect("alice", systable.RoleUser)
	alice.subscribeAll("mine", "SELECT * FROM chat.messages", live.SubscriptionOptions{})
	if got := ops.change("lq"); got != "insert [map[subscription_id:mine table_name:messages]]" {
		t.Fatal(got)
	}
	if err := alice.c.Unsubscribe("mine"); err != nil {
		t.Fatal(err)
	}
	if got := ops.change("lq"); got != "delete [map[subscription_id:mine table_name:messages]]" {
		t.Fatal(got)
	}
	got := e.sql("root", systable.RoleSystem, "SELECT subscription_id, namespace_id, table_name FROM system.live_queries ORDER BY subscription_id")[0].Rows
	if fmt.Sprint(got) != "[[lq system live_queries] [ns system namespaces] [schemas system table_schemas]]" {
		t.Fatalf("system subscriptions in system.live_queries: %v", got)
	}
	// Options that need _seq do not apply: the initial data is the result.
	_, rows = ops.subscribeAll("all", "SELECT namespace_id FROM system.namespaces", live.SubscriptionOptions{FromSeqID: 1 << 62, LastRows: 1})
	if len(rows) != 2 {
		t.Fatalf("from_seq_id and last_rows on a system table: %v", rows)
	}
}

// TestSystemTableSubscriptionLimits: only dba and system may subscribe to
// system tables, subscriptions count against the usual limits, and a
// query matching more than MaxSystemRows rows fails.
func TestSystemTableSubscriptionLimits(t *testing.T) {
	e := newEnv(t, live.Options{MaxSubscriptionsPerConnection: 2, MaxSystemRows: 3})
	e.connect("alice", systable.RoleUser).subscribeFails(apierror.Unauthorized, "j", "SELECT * FROM system.jobs", live.SubscriptionOptions{})
	e.connect("svc", systable.RoleService).subscribeFails(apierror.Unauthorized, "j", "SELECT * FROM system.jobs", live.SubscriptionOptions{})
	ops := e.connect("ops", systable.RoleDBA)
	ops.subscribeAll("a", "SELECT * FROM system.jobs", live.SubscriptionOptions{})
	ops.subscribeAll("b", "SELECT * FROM system.namespaces", live.SubscriptionOptions{})
	ops.subscribeFails(apierror.SubscriptionLimitExceeded, "c", "SELECT * FROM system.users", live.SubscriptionOptions{})
	root := e.connect("root", systable.RoleSystem)
	// users: root, alice, bob, svc: four rows, over the limit of three.
	err := root.c.Subscribe(context.Background(), "u", "SELECT user_id FROM system.users", live.SubscriptionOptions{})
	if !apierror.Is(err, apierror.SubscriptionFailed) || !strings.Contains(err.Error(), "at most 3 rows") {
		t.Fatalf("too many rows: %v", err)
	}
	// A subscription whose result grows past the limit ends.
	e.sql("root", systable.RoleSystem, "CREATE NAMESPACE n2")
	if got := ops.change("b"); !strings.HasPrefix(got, "insert") || !strings.Contains(got, "namespace_id:n2") {
		t.Fatal(got)
	}
	e.sql("root", systable.RoleSystem, "CREATE NAMESPACE n3; CREATE NAMESPACE n4")
	m := ops.expect("error", "b")
	if m.Code != string(apierror.SubscriptionFailed) || !strings.Contains(m.Message, "at most 3 rows") {
		t.Fatalf("grown past the limit: %s", m.raw)
	}
}
