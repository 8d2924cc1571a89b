package executor_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestPL14DropIndexDuringReads: the fallback's index is dropped and
// created again while top-Ns that switch to it run (the table's rows do
// not change): every answer is the table without indexes'.
func TestPL14DropIndexDuringReads(t *testing.T) {
	slowParallel(t)
	for _, ordinary := range []bool{true, false} {
		t.Run(fmt.Sprint("ordinary ", ordinary), func(t *testing.T) {
			t.Parallel() // each has its own environment
			pl14DropIndexDuringReads(t, ordinary)
		})
	}
}

// pl14DropIndexDuringReads drops and creates b_conv_c while top-Ns run:
// ordinary, read through it alone (ns.m without its order index); else
// read through a_conv_id with b_conv_c the fallback.
func pl14DropIndexDuringReads(t *testing.T, ordinary bool) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 1})
	a := e.as("alice", systable.RoleUser)
	vals := pl14Ints(20)
	pl14Tables(t, e, "USER", "BIGINT", 400, vals, a)
	if ordinary {
		e.root().must("DROP INDEX ns.a_conv_id")
	}
	qs := []string{
		"SELECT id, c FROM $T WHERE conv = 1 AND c IN (3, 5) ORDER BY id DESC LIMIT 4",
		"SELECT id, c FROM $T WHERE conv = 1 AND c BETWEEN 3 AND 4 ORDER BY id LIMIT 4",
		"SELECT id, c FROM $T WHERE conv = 1 AND (c = 3 OR c > 18) ORDER BY id DESC LIMIT 4",
	}
	want := map[string]string{}
	for _, q := range qs {
		want[q] = a.rows(strings.ReplaceAll(q, "$T", "ns.r"))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := e.root().exec("DROP INDEX ns.b_conv_c"); err != nil {
				t.Errorf("drop: %v", err)
				return
			}
			if _, err := e.root().exec("CREATE INDEX b_conv_c ON ns.m (conv, c)"); err != nil {
				t.Errorf("create: %v", err)
				return
			}
		}
	}()
	bad := 0
	for i := 0; i < 600 && bad < 5; i++ {
		q := qs[i%len(qs)]
		got, err := a.exec(strings.ReplaceAll(q, "$T", "ns.m"))
		if err != nil {
			t.Errorf("%s: %v", q, err)
			bad++
			continue
		}
		if g := a.rows(strings.ReplaceAll(q, "$T", "ns.m")); g != want[q] {
			t.Errorf("%s:\n got  %s\n want %s", q, g, want[q])
			bad++
		}
		_ = got
	}
	close(stop)
	wg.Wait()
	t.Logf("fallbacks %d", e.db.Engine.OrderIndexFallbacks())
}
