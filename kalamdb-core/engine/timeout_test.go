package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestWithTimeoutNests: under a context that already ends sooner, the
// statement keeps that end (and its cause); under a later or no end, its
// own limit ends it with QUERY_TIMEOUT naming the limit.
func TestWithTimeoutNests(t *testing.T) {
	outer, cancelOuter := engine.WithTimeout(context.Background(), time.Millisecond)
	defer cancelOuter()
	inner, cancelInner := engine.WithTimeout(outer, time.Hour)
	defer cancelInner()
	<-inner.Done()
	err, stopped := engine.StoppedError(inner)
	if !stopped || apierror.CodeOf(err) != apierror.QueryTimeout {
		t.Fatalf("under a sooner end: %v %v", err, stopped)
	}

	late, cancelLate := context.WithTimeout(context.Background(), time.Hour)
	defer cancelLate()
	own, cancelOwn := engine.WithTimeout(late, time.Millisecond)
	defer cancelOwn()
	<-own.Done()
	err, stopped = engine.StoppedError(own)
	e, ok := apierror.As(err)
	if !stopped || !ok || e.Code != apierror.QueryTimeout || e.Message != "statement cancelled: it ran longer than the time limit of 1ms (statement_timeout)" {
		t.Fatalf("own limit: %v %v", err, stopped)
	}
	if late.Err() != nil {
		t.Fatal("the statement's limit ended its caller's context")
	}
}
