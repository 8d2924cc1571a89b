package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestStatementCachesStartEmpty: go-mysql-server's memory manager is
// kept with the pooled session; a statement that left a cache in it
// does not hand it to the next statement, which starts with none.
func TestStatementCachesStartEmpty(t *testing.T) {
	db := openDatabase(t)
	for i := range 200 {
		n, err := engine.StatementCachesAtStart(db.Engine, i%3 == 0)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("statement %d started with %d caches of an earlier one", i, n)
		}
	}
}

// TestTimeoutErrorsAreTheirOwn: contexts with the same limit share the
// cause they end with; each StoppedError is a copy, so a caller that
// changes its error (a position, details) changes no other's.
func TestTimeoutErrorsAreTheirOwn(t *testing.T) {
	var errs []*apierror.Error
	for range 2 {
		ctx, cancel := engine.WithTimeout(context.Background(), time.Nanosecond)
		<-ctx.Done()
		err, stopped := engine.StoppedError(ctx)
		cancel()
		e, ok := apierror.As(err)
		if !stopped || !ok || e.Code != apierror.QueryTimeout {
			t.Fatalf("stopped %v: %v", stopped, err)
		}
		errs = append(errs, e)
	}
	if errs[0] == errs[1] {
		t.Fatal("two statements got the same error value")
	}
	errs[0].Details = map[string]any{"position": 3}
	errs[0].Message = "changed"
	ctx, cancel := engine.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	err, _ := engine.StoppedError(ctx)
	if e, _ := apierror.As(err); e == nil || e.Details != nil || e.Message != "statement cancelled: it ran longer than the time limit of 1ns (statement_timeout)" || errs[1].Details != nil {
		t.Fatalf("a changed error showed in another: %v", err)
	}
}
