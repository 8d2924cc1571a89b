package app

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// limits.max_statement_target_entries reaches the engine, and its default
// is the engine's (the config package cannot import the engine's
// constant).
func TestStatementTargetEntriesReachTheEngine(t *testing.T) {
	l := config.Default().Limits
	if got := statementLimits(l).MaxStatementTargetEntries; got != engine.DefaultMaxStatementTargetEntries {
		t.Fatalf("default: %d, the engine's is %d", got, engine.DefaultMaxStatementTargetEntries)
	}
	l.MaxStatementTargetEntries = config.MinStatementTargetEntries
	if got := statementLimits(l).MaxStatementTargetEntries; got != config.MinStatementTargetEntries {
		t.Fatalf("set to %d: the engine gets %d", config.MinStatementTargetEntries, got)
	}
}
