package systable

import (
	"math"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// Stored durations past the bound (an older version stored any int64)
// read as the bound, never as what their nanoseconds wrap to: a wrapped
// retention purged every deleted row, a wrapped TTL expired every event.
func TestStoredDurationsSaturate(t *testing.T) {
	const century = 100 * 365 * 24 * time.Hour
	hrs := func(h int64) *int64 { return &h }
	def := 7 * 24 * time.Hour
	for _, c := range []struct {
		hours *int64
		want  time.Duration
	}{
		{nil, def},
		{hrs(0), 0},
		{hrs(48), 48 * time.Hour},
		{hrs(dialect.MaxDeletedRetentionHours), century},
		{hrs(dialect.MaxDeletedRetentionHours + 1), century},
		{hrs(3_000_000), century}, // wrapped to about -2.1M hours
		{hrs(math.MaxInt64), century},
		{hrs(-1), century}, // damaged: the reading that loses nothing
		{hrs(math.MinInt64), century},
	} {
		m := &TableMeta{DeletedRetentionHrs: c.hours}
		if got := m.DeletedRetention(def); got != c.want {
			t.Errorf("DeletedRetention(%v) = %v, want %v", deref(c.hours), got, c.want)
		}
	}
	for _, c := range []struct {
		secs int64
		want time.Duration
	}{
		{0, 0},
		{-5, 0},
		{math.MinInt64, 0},
		{60, time.Minute},
		{dialect.MaxTTLSeconds, century},
		{9_300_000_000, century},          // wrapped to about -290 years
		{9_300_000_000_000_000, century},  // wrapped, in milliseconds, negative
		{18_446_744_073_709_552, century}, // wrapped, in milliseconds, to 384
		{math.MaxInt64, century},
	} {
		m := &TableMeta{TTLSeconds: c.secs, FlushIntervalSeconds: c.secs}
		if got := m.TTL(); got != c.want {
			t.Errorf("TTL(%d) = %v, want %v", c.secs, got, c.want)
		}
		if got := m.FlushInterval(); got != c.want {
			t.Errorf("FlushInterval(%d) = %v, want %v", c.secs, got, c.want)
		}
		if ms := m.TTL().Milliseconds(); ms < 0 || ms > dialect.MaxTTLSeconds*1000 {
			t.Errorf("TTL(%d) in ms = %d", c.secs, ms)
		}
	}
	m := &TableMeta{DeletedRetentionHrs: hrs(dialect.MaxDeletedRetentionHours), TTLSeconds: dialect.MaxTTLSeconds,
		FlushIntervalSeconds: dialect.MaxFlushIntervalSeconds}
	if got := m.OutOfRange(); got != nil {
		t.Errorf("values at the bound: %q", got)
	}
	m = &TableMeta{DeletedRetentionHrs: hrs(-1), TTLSeconds: math.MaxInt64}
	if got := m.OutOfRange(); len(got) != 2 || got[0] != "DELETED_RETENTION_HOURS = -1 (read as 876000)" ||
		got[1] != "TTL_SECONDS = 9223372036854775807 (read as 3153600000)" {
		t.Errorf("OutOfRange = %q", got)
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
