package engine

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// PostgreSQL's interval input forms beyond units and a lone clock: a
// number before a clock is days ('1 12:00:00'), a clock whose second part
// has a fraction is minutes and seconds ('1:30.5'), signs on each part,
// and ISO 8601's designators ('P1DT2H'). Each answer is PostgreSQL 15's;
// before, every one of these inputs was invalid.
func TestIntervalInputForms(t *testing.T) {
	const (
		sec  = 1_000_000
		min  = 60 * sec
		hour = 60 * min
	)
	for s, want := range map[string]interval{
		"1 12:00:00":         {days: 1, micros: 12 * hour},
		"1:30.5":             {micros: 90*sec + sec/2},
		"-1:30.5":            {micros: -(90*sec + sec/2)},
		"1 1:30.5":           {days: 1, micros: 90*sec + sec/2},
		"1 day 02:03:04":     {days: 1, micros: 2*hour + 3*min + 4*sec},
		"1 day 1:30.5":       {days: 1, micros: 90*sec + sec/2},
		"-1 12:00":           {days: -1, micros: 12 * hour},
		"1 -12:00:00":        {days: 1, micros: -12 * hour},
		"-1 day -02:03:04":   {days: -1, micros: -(2*hour + 3*min + 4*sec)},
		"1 2:03":             {days: 1, micros: 2*hour + 3*min},
		"1.5 12:00":          {days: 1, micros: 24 * hour},
		"1.5 -12:00":         {days: 1},
		"+1 +1:00":           {days: 1, micros: hour},
		"1 day 1":            {days: 1, micros: sec},
		"1 12:00:00 ago":     {days: -1, micros: -12 * hour},
		"1 01:02:03.1234567": {days: 1, micros: hour + 2*min + 3*sec + 123457},
		"P1DT2H":             {days: 1, micros: 2 * hour},
		"P1Y2M3DT4H5M6.5S":   {months: 14, days: 3, micros: 4*hour + 5*min + 6*sec + sec/2},
		"PT1.5H":             {micros: 90 * min},
		"PT":                 {},
		"P1DT":               {days: 1},
		"P1W":                {days: 7},
		"P-1D":               {days: -1},
		"PT-1H":              {micros: -hour},
		"P1.5D":              {days: 1, micros: 12 * hour},
		"P1.5Y":              {months: 18},
		"P1.5M":              {months: 1, days: 15},
		"P1D1D":              {days: 2},
		"PT1S1H":             {micros: hour + sec},
		"P1e2D":              {days: 100},
		" P1D ":              {days: 1},
		// Every unit once: the most fields valid text has.
		"1 year 1 mon 1 day 1 hour 1 min 1 sec 1 ms 1 us 1 week 1 decade 1 century 1 millennium ago": {
			months: -(1111*12 + 1), days: -8, micros: -(hour + min + sec + 1000 + 1)},
		"P1.D": {days: 1},
	} {
		if got, err := parseInterval(s); err != nil || got != want {
			t.Errorf("%q: got %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{
		strings.Repeat("1 ", 30), "1 2", "2 1 day", "12:00:00 1", "1:2:3:4", "1:30.5:00", "1 12:00 13:00",
		"P", "P1D2H", "p1dt2h", "P 1D", "P1D ago", "P+1D", "P1DT2H 3 hours", "1 day P1D",
		"PT1D", "P1H", "P1DTT1H", "P.D", "P1", "PT1e999999S",
	} {
		if iv, err := parseInterval(s); err == nil || !strings.Contains(err.Error(), `invalid input syntax for type interval: "`+dialect.Snippet(s)+`"`) {
			t.Errorf("%q: got %+v, %v; want invalid input", s, iv, err)
		}
	}
	for _, s := range []string{
		"1:99", "1:00:99", "2147483648 days", "99999999999:00:00", "2147483648 12:00",
		"P2147483648D", "P99999999999Y", "PT9999999999999H", "P1e300D",
	} {
		if iv, err := parseInterval(s); err == nil || !strings.Contains(err.Error(), "interval field value out of range") {
			t.Errorf("%q: got %+v, %v; want out of range", s, iv, err)
		}
	}
}

// Hostile input fails at once, with a message that quotes a snippet of
// it: a megabyte of digits or of designators is one scan.
func TestIntervalInputHostile(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("9", 1<<20) + " days",
		"P" + strings.Repeat("9", 1<<20) + "D",
		"P" + strings.Repeat("9999D", 1<<18),
		strings.Repeat("1 ", 1<<19) + "12:00",
	} {
		iv, err := parseInterval(s)
		if err == nil {
			t.Errorf("%.20s...: got %+v, want an error", s, iv)
			continue
		}
		if len(err.Error()) > 200 {
			t.Errorf("%.20s...: the message is %d bytes", s, len(err.Error()))
		}
	}
}
