package engine

import (
	"strings"
	"testing"
)

// An interval's time part past its range is "interval field value out of
// range", as in PostgreSQL 15 (each input below was checked against it),
// never what the microseconds wrap to. Before,
// '5124095577:00' read as 58 minutes, a minutes field past int64 as a
// small number, and two parts each in range as about -266 years.
func TestIntervalTimePartNeverWraps(t *testing.T) {
	for _, s := range []string{
		"5124095577:00",
		"0:153722867280912931",
		"99999999999999999999:00",
		"5000000000000000000 microseconds 5000000000000000000 microseconds",
		"5000000000000000000 microseconds 2000000000:00",
		"1 day 5124095577:00",
	} {
		iv, err := parseInterval(s)
		if err == nil || !strings.Contains(err.Error(), "interval field value out of range") {
			t.Errorf("%.40s: got %+v, %v; want out of range", s, iv, err)
		}
	}
	// Clock parts each in range whose sum is not: PostgreSQL 15 refuses
	// a second clock part before it adds anything.
	if iv, err := parseInterval(strings.Repeat("2562047:00 ", 1000)); err == nil || !strings.Contains(err.Error(), "invalid input syntax for type interval") {
		t.Errorf("repeated clock: got %+v, %v; want invalid input", iv, err)
	}
	for s, want := range map[string]interval{
		"2562047:00":     {micros: 2562047 * 3_600_000_000},
		"-1:30":          {micros: -90 * 60_000_000},
		"1:00:30.5":      {micros: 3630_500_000},
		"1 day 1:00 ago": {days: -1, micros: -3_600_000_000},
	} {
		if got, err := parseInterval(s); err != nil || got != want {
			t.Errorf("%s: got %+v, %v; want %+v", s, got, err, want)
		}
	}
}
