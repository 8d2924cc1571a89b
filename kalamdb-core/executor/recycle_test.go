package executor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
)

// TestRecycledResultsStayTheirs: results from ExecuteRecycling keep their
// rows, whatever other statements run and give theirs back, until their
// own done; readers recycling at the same time each get their own answer
// (-race). The answers are those of Execute and of an unindexed table.
func TestRecycledResultsStayTheirs(t *testing.T) {
	e, alice := indexedAndPlain(t, "id BIGINT PRIMARY KEY, conv BIGINT, body TEXT, at TIMESTAMP")
	var sb strings.Builder
	for id := 1; id <= 600; id++ {
		if sb.Len() > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "(%d, %d, 'message %d %s', '2024-05-%02d 12:00:%02d')", id, id%5, id, strings.Repeat("x", id%90), 1+id%28, id%60)
	}
	for _, tbl := range []string{"ns.ci", "ns.cr"} {
		alice.must("INSERT INTO " + tbl + " (id, conv, body, at) VALUES " + sb.String())
	}
	const recent = "SELECT id, conv, body, at FROM $T WHERE conv = $1 ORDER BY id DESC LIMIT $2"
	recycled := func(conv, limit int) ([]executor.Result, func()) {
		t.Helper()
		res, done, err := e.db.Executor.ExecuteRecycling(context.Background(), executor.Request{UserID: alice.user, Role: alice.role,
			SQL: strings.ReplaceAll(recent, "$T", "ns.ci"), Params: []any{conv, limit}})
		if err != nil {
			t.Fatal(err)
		}
		return res, done
	}
	marshal := func(res []executor.Result) string {
		raw, err := json.Marshal(res[0].Rows)
		if err != nil {
			t.Error(err)
		}
		return string(raw)
	}
	want := func(conv, limit int) string {
		return alice.rows(strings.ReplaceAll(recent, "$T", "ns.cr"), conv, limit)
	}

	// A result kept while others are taken and given back.
	kept, keptDone := recycled(1, 50)
	keptWant := want(1, 50)
	if got := marshal(kept); got != keptWant {
		t.Fatalf("recycled answer differs:\n%.300s\nwant %.300s", got, keptWant)
	}
	for i := range 40 {
		res, done := recycled(i%5, 1+i*3)
		if got, w := marshal(res), want(i%5, 1+i*3); got != w {
			t.Fatalf("conv %d: %.300s\nwant %.300s", i%5, got, w)
		}
		done()
		if got := marshal(kept); got != keptWant {
			t.Fatalf("a kept result changed after another was given back (%d):\n%.300s\nwant %.300s", i, got, keptWant)
		}
	}
	keptDone()
	keptDone() // twice does nothing

	// Readers recycling at the same time.
	answers := map[[2]int]string{}
	for conv := range 5 {
		for _, limit := range []int{7, 50, 130} {
			answers[[2]int{conv, limit}] = want(conv, limit)
		}
	}
	concurrently(t, 4, 200, func(r, n int) error {
		conv, limit := (r+n)%5, []int{7, 50, 130}[n%3]
		res, done, err := e.db.Executor.ExecuteRecycling(context.Background(), executor.Request{UserID: alice.user, Role: alice.role,
			SQL: strings.ReplaceAll(recent, "$T", "ns.ci"), Params: []any{conv, limit}})
		if err != nil {
			return err
		}
		raw, err := json.Marshal(res[0].Rows)
		done()
		if err == nil && string(raw) != answers[[2]int{conv, limit}] {
			err = fmt.Errorf("reader %d, read %d, conv %d, limit %d:\n%.300s\nwant %.300s", r, n, conv, limit, raw, answers[[2]int{conv, limit}])
		}
		return err
	})
}
