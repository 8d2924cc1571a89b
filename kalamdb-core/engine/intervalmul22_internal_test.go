package engine

import (
	"strings"
	"testing"
)

// An interval times or divided by a number has PostgreSQL 15's value,
// shown as PostgreSQL shows it (each case was checked against it):
// months and days are scaled apart and their fractions cascade down, a
// month as 30 days and a day as 24 hours. Before, g * INTERVAL '1 hour'
// was UNSUPPORTED.
func TestIntervalMulDiv(t *testing.T) {
	for _, c := range []struct {
		iv   string
		f    float64
		div  bool
		want string
	}{
		{"1 month 1 day", 1.5, false, "1 mon 16 days 12:00:00"},
		{"1 hour", 3, false, "03:00:00"},
		{"1 day", 4, true, "06:00:00"},
		{"1 mon", 3, true, "10 days"},
		{"1 year", 0.5, false, "6 mons"},
		{"1 mon", 1.1, false, "1 mon 3 days"},
		{"1 day 2 hours", -1, false, "-1 days -02:00:00"},
		{"1 year 2 months 3 days 04:05:06.5", 2, false, "2 years 4 mons 6 days 08:10:13"},
		{"1 day", 0.3, false, "07:12:00"},
		{"1 second", 3, true, "00:00:00.333333"},
		{"1 mon -1 days", 1, false, "1 mon -1 days"},
		{"-1 days 1 hour", 1, false, "-1 days +01:00:00"},
		{"1 hour", 0, false, "00:00:00"},
		{"7 days", 2.5, true, "2 days 19:12:00"},
	} {
		iv, err := parseInterval(c.iv)
		if err != nil {
			t.Fatal(err)
		}
		var got interval
		if c.div {
			got, err = intervalDiv(iv, c.f)
		} else {
			got, err = intervalMul(iv, c.f)
		}
		if err != nil || formatInterval(got) != c.want {
			t.Errorf("'%s' by %v (div %v): got %q, %v; want %q", c.iv, c.f, c.div, formatInterval(got), err, c.want)
			continue
		}
		// The text is how the value travels: it must read back exactly.
		if back, err := parseInterval(formatInterval(got)); err != nil || back != got {
			t.Errorf("%q read back as %+v, %v; want %+v", formatInterval(got), back, err, got)
		}
	}
}

func TestIntervalMulOutOfRange(t *testing.T) {
	for _, c := range []struct {
		iv   string
		f    float64
		div  bool
		want string
	}{
		{"1 month", 3e9, false, "interval out of range"},
		{"1 day", -3e9, false, "interval out of range"},
		{"2000000000 hours", 5, false, "interval out of range"},
		{"2000000000 days", 1.5, false, "interval out of range"},
		{"1 hour", 0, true, "division by zero"},
		{"1 month", 1e-10, true, "interval out of range"},
	} {
		iv, err := parseInterval(c.iv)
		if err != nil {
			t.Fatal(err)
		}
		if c.div {
			_, err = intervalDiv(iv, c.f)
		} else {
			_, err = intervalMul(iv, c.f)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("'%s' by %v: got %v; want %q", c.iv, c.f, err, c.want)
		}
	}
}
