package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
)

// An answer is counted in the server's memory account but never refused:
// by the time it is encoded its statements have run and committed, and a
// 429 "retry shortly" would have the client apply them twice. What the
// request reserved comes back once it has answered.
func TestAnswersOfCommittedStatementsAreNotRefused(t *testing.T) {
	e := newEnv(t)
	acct := memory.NewAccount(4096)
	e.srv.memory = acct
	var others memory.Charge
	others.Reset(acct)
	defer others.Release()
	if !others.Reserve(3000) {
		t.Fatal("refused")
	}
	big := strings.Repeat("\u0001", 800) // 4.8 KB of JSON for 800 bytes of rows
	e.exec.reply = func(_ context.Context, req executor.Request) ([]executor.Result, error) {
		if req.Memory == nil || !req.Memory.Reserve(int64(len(big))) {
			t.Errorf("the request's reservation: %v", req.Memory)
		}
		return []executor.Result{{Schema: []executor.Column{{Name: "b", DataType: "Text"}}, Rows: [][]any{{big}}, RowCount: 1}}, nil
	}
	w := e.sql(t, `{"sql":"INSERT INTO t VALUES (1); SELECT b FROM t"}`, withAuth(basic("alice", "pw-alice")))
	if w.Code != http.StatusOK {
		t.Fatalf("HTTP %d %.200s, want 200", w.Code, w.Body.String())
	}
	if got := acct.Used(); got != 3000 {
		t.Fatalf("after the answer the account holds %d, want the others' 3000", got)
	}
	// A body that does not fit is refused before anything runs.
	others.Reserve(4096 - 3000 - 10)
	calls := len(e.exec.calls())
	if w := e.sql(t, `{"sql":"SELECT 1"}`, withAuth(basic("alice", "pw-alice"))); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("HTTP %d, Retry-After %q, want 429 and 1", w.Code, w.Header().Get("Retry-After"))
	}
	if len(e.exec.calls()) != calls {
		t.Fatal("a refused request reached the executor")
	}
}
