package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// PostgreSQL's date/time format patterns for to_char, to_timestamp and
// to_date: YYYY YYY YY Y, MM, MONTH Month month MON Mon mon, DD DDD D ID,
// DAY Day day DY Dy dy, HH HH12 HH24, MI, SS, MS, US, AM PM am pm A.M.
// P.M., Q, WW IW, J, TZ tz OF; the FM prefix drops padding; text in
// double quotes and any other character are copied.

type fmtToken struct {
	pat     string // the pattern, "" for literal text
	literal string
	fm      bool
}

// patterns, longest first so that HH24 wins over HH.
var patterns = []string{
	"YYYY", "MONTH", "Month", "month", "HH24", "HH12", "A.M.", "P.M.", "a.m.", "p.m.",
	"YYY", "MON", "Mon", "mon", "DAY", "Day", "day", "DDD",
	"YY", "MM", "DD", "DY", "Dy", "dy", "HH", "MI", "SS", "MS", "US", "AM", "PM", "am", "pm",
	"ID", "WW", "IW", "TZ", "tz", "OF",
	"Y", "D", "Q", "J",
}

func tokenizeFormat(f string) []fmtToken {
	var out []fmtToken
	for i := 0; i < len(f); {
		fm := false
		if strings.HasPrefix(f[i:], "FM") || strings.HasPrefix(f[i:], "fm") {
			fm, i = true, i+2
		}
		if i < len(f) && f[i] == '"' {
			j := i + 1
			var b strings.Builder
			for j < len(f) && f[j] != '"' {
				if f[j] == '\\' && j+1 < len(f) {
					j++
				}
				b.WriteByte(f[j])
				j++
			}
			out = append(out, fmtToken{literal: b.String()})
			i = j + 1
			continue
		}
		matched := false
		for _, p := range patterns {
			if strings.HasPrefix(f[i:], p) {
				out = append(out, fmtToken{pat: p, fm: fm})
				i += len(p)
				matched = true
				break
			}
		}
		if !matched && i < len(f) {
			out = append(out, fmtToken{literal: f[i : i+1]})
			i++
		}
	}
	return out
}

func padNum(n int, width int, fm bool) string {
	s := strconv.Itoa(n)
	if fm {
		return s
	}
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for len(s) < width {
		s = "0" + s
	}
	if neg {
		s = "-" + s
	}
	return s
}

func padName(s string, fm bool) string {
	if fm {
		return s
	}
	return fmt.Sprintf("%-9s", s)
}

func caseAs(p, s string) string {
	switch {
	case p == strings.ToUpper(p):
		return strings.ToUpper(s)
	case p == strings.ToLower(p):
		return strings.ToLower(s)
	}
	return s
}

// formatWithPattern is to_char(timestamp, format).
func formatWithPattern(t time.Time, f string) string {
	var b strings.Builder
	h12 := t.Hour() % 12
	if h12 == 0 {
		h12 = 12
	}
	for _, tk := range tokenizeFormat(f) {
		if tk.pat == "" {
			b.WriteString(tk.literal)
			continue
		}
		switch tk.pat {
		case "YYYY":
			b.WriteString(padNum(t.Year(), 4, tk.fm))
		case "YYY":
			b.WriteString(padNum(t.Year()%1000, 3, tk.fm))
		case "YY":
			b.WriteString(padNum(t.Year()%100, 2, tk.fm))
		case "Y":
			b.WriteString(strconv.Itoa(t.Year() % 10))
		case "MM":
			b.WriteString(padNum(int(t.Month()), 2, tk.fm))
		case "MONTH", "Month", "month":
			b.WriteString(padName(caseAs(tk.pat, t.Month().String()), tk.fm))
		case "MON", "Mon", "mon":
			b.WriteString(caseAs(tk.pat, t.Month().String()[:3]))
		case "DD":
			b.WriteString(padNum(t.Day(), 2, tk.fm))
		case "DDD":
			b.WriteString(padNum(t.YearDay(), 3, tk.fm))
		case "D":
			b.WriteString(strconv.Itoa(int(t.Weekday()) + 1))
		case "ID":
			b.WriteString(strconv.Itoa((int(t.Weekday())+6)%7 + 1))
		case "DAY", "Day", "day":
			b.WriteString(padName(caseAs(tk.pat, t.Weekday().String()), tk.fm))
		case "DY", "Dy", "dy":
			b.WriteString(caseAs(tk.pat, t.Weekday().String()[:3]))
		case "HH", "HH12":
			b.WriteString(padNum(h12, 2, tk.fm))
		case "HH24":
			b.WriteString(padNum(t.Hour(), 2, tk.fm))
		case "MI":
			b.WriteString(padNum(t.Minute(), 2, tk.fm))
		case "SS":
			b.WriteString(padNum(t.Second(), 2, tk.fm))
		case "MS":
			b.WriteString(padNum(t.Nanosecond()/1_000_000, 3, tk.fm))
		case "US":
			b.WriteString(padNum(t.Nanosecond()/1000, 6, tk.fm))
		case "AM", "PM", "am", "pm", "A.M.", "P.M.", "a.m.", "p.m.":
			m := "AM"
			if t.Hour() >= 12 {
				m = "PM"
			}
			if strings.Contains(tk.pat, ".") {
				m = m[:1] + "." + m[1:] + "."
			}
			b.WriteString(caseAs(tk.pat, m))
		case "Q":
			b.WriteString(strconv.Itoa((int(t.Month())-1)/3 + 1))
		case "WW":
			b.WriteString(padNum((t.YearDay()-1)/7+1, 2, tk.fm))
		case "IW":
			_, w := t.ISOWeek()
			b.WriteString(padNum(w, 2, tk.fm))
		case "J":
			b.WriteString(strconv.FormatInt(t.Unix()/86400+2440588, 10))
		case "TZ":
			b.WriteString("UTC")
		case "tz":
			b.WriteString("utc")
		case "OF":
			b.WriteString("+00")
		}
	}
	return b.String()
}

// parseWithFormat is to_timestamp(text, format): the numeric fields and
// month names of the pattern read from the text, other characters of the
// pattern skipped one for one.
func parseWithFormat(s, f string) (any, error) {
	bad := func(what string) error {
		return execError("invalid value %q for %q in to_timestamp", s, what)
	}
	year, month, day := 1, 1, 1
	hour, minute, second, nanos := 0, 0, 0, 0
	pm, hasAMPM, hour12 := false, false, false
	i := 0
	skipSpaces := func() {
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	readInt := func(maxDigits int, what string) (int, error) {
		skipSpaces()
		j := i
		if j < len(s) && (s[j] == '-' || s[j] == '+') {
			j++
		}
		for j < len(s) && j-i < maxDigits && unicode.IsDigit(rune(s[j])) {
			j++
		}
		n, err := strconv.Atoi(s[i:j])
		if err != nil {
			return 0, bad(what)
		}
		i = j
		return n, nil
	}
	for _, tk := range tokenizeFormat(f) {
		var err error
		switch tk.pat {
		case "":
			for range tk.literal {
				if i < len(s) {
					i++
				}
			}
		case "YYYY":
			year, err = readInt(6, tk.pat)
		case "YY":
			year, err = readInt(2, tk.pat)
			year += 2000
			if year > 2069 {
				year -= 100
			}
		case "MM":
			month, err = readInt(2, tk.pat)
		case "DD":
			day, err = readInt(2, tk.pat)
		case "HH", "HH12":
			hour, err = readInt(2, tk.pat)
			hour12 = true
		case "HH24":
			hour, err = readInt(2, tk.pat)
		case "MI":
			minute, err = readInt(2, tk.pat)
		case "SS":
			second, err = readInt(2, tk.pat)
		case "MS":
			var ms int
			ms, err = readInt(3, tk.pat)
			nanos += ms * 1_000_000
		case "US":
			var us int
			us, err = readInt(6, tk.pat)
			nanos += us * 1000
		case "AM", "PM", "am", "pm":
			skipSpaces()
			if i+2 > len(s) {
				return nil, bad(tk.pat)
			}
			m := strings.ToUpper(s[i : i+2])
			if m != "AM" && m != "PM" {
				return nil, bad(tk.pat)
			}
			pm, hasAMPM = m == "PM", true
			i += 2
		case "MON", "Mon", "mon", "MONTH", "Month", "month":
			skipSpaces()
			found := false
			for mo := time.January; mo <= time.December; mo++ {
				name := mo.String()
				for _, cand := range []string{name, name[:3]} {
					if len(tk.pat) == 3 && len(cand) != 3 {
						continue
					}
					if i+len(cand) <= len(s) && strings.EqualFold(s[i:i+len(cand)], cand) {
						month, found = int(mo), true
						i += len(cand)
						break
					}
				}
				if found {
					break
				}
			}
			if !found {
				return nil, bad(tk.pat)
			}
		default:
			return nil, execError("format pattern %q is not supported in to_timestamp", tk.pat)
		}
		if err != nil {
			return nil, err
		}
	}
	if hasAMPM || hour12 {
		if hour < 1 || hour > 12 {
			return nil, bad("HH12")
		}
		hour %= 12
		if pm {
			hour += 12
		}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, nanos, time.UTC)
	if t.Month() != time.Month(month) || t.Day() != day || hour > 23 || minute > 59 || second > 59 {
		return nil, execError("date/time field value out of range: %q", s)
	}
	return t, nil
}
