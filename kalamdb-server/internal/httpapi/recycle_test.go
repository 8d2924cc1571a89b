package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// recyclingFake is an executor whose results' rows are given back (done):
// done empties them, as a reused buffer would be overwritten.
type recyclingFake struct {
	rows  [][]any
	err   error
	dones int
}

func (f *recyclingFake) Execute(context.Context, executor.Request) ([]executor.Result, error) {
	panic("the handler must use ExecuteRecycling")
}

func (f *recyclingFake) ExecuteRecycling(context.Context, executor.Request) ([]executor.Result, func(), error) {
	done := func() {
		f.dones++
		for _, r := range f.rows {
			clear(r)
		}
	}
	if f.err != nil {
		return nil, done, f.err
	}
	return []executor.Result{{Schema: []executor.Column{{Name: "id", DataType: "BIGINT"}, {Name: "body", DataType: "TEXT", Index: 1}},
		Rows: f.rows, RowCount: int64(len(f.rows))}}, done, nil
}

// TestSQLGivesResultsBackAfterTheAnswer: the handler gives a recycling
// executor's results back exactly once per request, and only after the
// answer holding their rows is written (the fake empties the rows then);
// also when the statement failed.
func TestSQLGivesResultsBackAfterTheAnswer(t *testing.T) {
	e := newEnv(t)
	f := &recyclingFake{rows: [][]any{{int64(1), "first"}, {int64(2), strings.Repeat("long text ", 500)}}}
	e.srv.exec = f
	w := e.sql(t, `{"sql":"SELECT id, body FROM ns.t"}`)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `[[1,"first"],[2,"long text long text`) {
		t.Fatalf("HTTP %d: %.300s", w.Code, w.Body)
	}
	if f.dones != 1 {
		t.Fatalf("results given back %d times, want 1", f.dones)
	}
	f.err = apierror.New(apierror.SQLExecutionError, "boom")
	if w := e.sql(t, `{"sql":"SELECT id, body FROM ns.t"}`); w.Code == http.StatusOK || f.dones != 2 {
		t.Fatalf("failed statement: HTTP %d, results given back %d times in all, want 2", w.Code, f.dones)
	}
}
