package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// PostgreSQL's date/time format patterns for to_char, to_timestamp and
// to_date: YYYY YYY YY Y Y,YYY, IYYY IYY IY I, MM, MONTH Month month MON Mon
// mon, RM rm, DD DDD D ID, DAY Day day DY Dy dy, W WW IW, HH HH12 HH24, MI,
// SS SSSS SSSSS, MS US FF1-FF6, AM PM am pm A.M. P.M., BC AD B.C. A.D.
// (and lower case), CC, Q, J, TZ tz OF, IDDD, FX (nothing); the numeric
// patterns in lower case too (dd, hh24, yyyy), as PostgreSQL's keyword table
// has them. One prefix: FM drops padding, TM writes names unpadded (the
// translated names, which are the English ones here); a TH or th suffix
// writes a number's ordinal ending (1st, 2ND); text in double quotes and
// any other character are copied.

type fmtToken struct {
	pat     string // the pattern, "" for literal text
	literal string
	fm      bool
	tm      bool   // TM prefix: names unpadded
	th      string // "TH" or "th" after a number's pattern, else ""
}

// patterns, longest first so that HH24 wins over HH.
var patterns = []string{
	"Y,YYY", "SSSSS", "B.C.", "A.D.", "b.c.", "a.d.",
	"YYYY", "IYYY", "IDDD", "SSSS", "MONTH", "Month", "month", "HH24", "HH12", "A.M.", "P.M.", "a.m.", "p.m.",
	"YYY", "IYY", "MON", "Mon", "mon", "DAY", "Day", "day", "DDD", "TZH", "TZM", "FF1", "FF2", "FF3", "FF4", "FF5", "FF6",
	"YY", "IY", "MM", "DD", "DY", "Dy", "dy", "HH", "MI", "SS", "MS", "US", "AM", "PM", "am", "pm",
	"BC", "AD", "bc", "ad", "CC", "RM", "rm",
	"ID", "WW", "IW", "TZ", "tz", "OF", "FX",
	"Y", "I", "D", "Q", "J", "W",
}

// numericPatterns take a TH or th suffix.
var numericPatterns = map[string]bool{
	"YYYY": true, "YYY": true, "YY": true, "Y": true, "IYYY": true, "IYY": true, "IY": true, "I": true,
	"MM": true, "DD": true, "DDD": true, "D": true, "ID": true, "HH": true, "HH12": true, "HH24": true,
	"MI": true, "SS": true, "SSSS": true, "SSSSS": true, "MS": true, "US": true, "CC": true, "Q": true,
	"W": true, "WW": true, "IW": true, "J": true, "IDDD": true,
}

// lowerPatterns are the patterns PostgreSQL also reads in lower case,
// meaning the same (its keyword table lists "dd", "hh24", "yyyy", ...).
var lowerPatterns = func() map[string]bool {
	m := map[string]bool{"Y,YYY": true, "FF1": true, "FF2": true, "FF3": true, "FF4": true, "FF5": true, "FF6": true, "FX": true,
		"OF": true, "TZH": true, "TZM": true}
	for p := range numericPatterns {
		m[p] = true
	}
	return m
}()

func tokenizeFormat(f string) []fmtToken {
	var out []fmtToken
	for i := 0; i < len(f); {
		fm, tm := false, false
		switch {
		case strings.HasPrefix(f[i:], "FM") || strings.HasPrefix(f[i:], "fm"):
			fm, i = true, i+2
		case strings.HasPrefix(f[i:], "TM") || strings.HasPrefix(f[i:], "tm"):
			tm, i = true, i+2
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
			if strings.HasPrefix(f[i:], p) || lowerPatterns[p] && strings.HasPrefix(f[i:], strings.ToLower(p)) {
				tk := fmtToken{pat: p, fm: fm, tm: tm}
				i += len(p)
				if numericPatterns[p] && (strings.HasPrefix(f[i:], "TH") || strings.HasPrefix(f[i:], "th")) {
					tk.th, i = f[i:i+2], i+2
				}
				out = append(out, tk)
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

// ordinal is n's English ordinal ending, in the case of th (TH or th).
func ordinal(n int, th string) string {
	if n < 0 {
		n = -n
	}
	end := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			end = "st"
		case 2:
			end = "nd"
		case 3:
			end = "rd"
		}
	}
	if th == "TH" {
		return strings.ToUpper(end)
	}
	return end
}

// romanMonths are the months in Roman numerals (RM).
var romanMonths = [...]string{"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"}

// formatWithPattern is to_char(timestamp, format).
func formatWithPattern(t time.Time, f string) string {
	var b strings.Builder
	h12 := t.Hour() % 12
	if h12 == 0 {
		h12 = 12
	}
	isoYear, isoWeek := t.ISOWeek()
	for _, tk := range tokenizeFormat(f) {
		if tk.pat == "" {
			b.WriteString(tk.literal)
			continue
		}
		start := b.Len()
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
			b.WriteString(padName(caseAs(tk.pat, t.Month().String()), tk.fm || tk.tm))
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
		case "IDDD":
			b.WriteString(padNum((isoWeek-1)*7+(int(t.Weekday())+6)%7+1, 3, tk.fm))
		case "DAY", "Day", "day":
			b.WriteString(padName(caseAs(tk.pat, t.Weekday().String()), tk.fm || tk.tm))
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
			b.WriteString(padNum(isoWeek, 2, tk.fm))
		case "J":
			day, _ := julianDay(t)
			b.WriteString(strconv.FormatInt(day, 10))
		case "Y,YYY":
			y := t.Year()
			fmt.Fprintf(&b, "%d,%03d", y/1000, y%1000)
		case "IYYY":
			b.WriteString(padNum(isoYear, 4, tk.fm))
		case "IYY":
			b.WriteString(padNum(isoYear%1000, 3, tk.fm))
		case "IY":
			b.WriteString(padNum(isoYear%100, 2, tk.fm))
		case "I":
			b.WriteString(strconv.Itoa(isoYear % 10))
		case "SSSS", "SSSSS":
			b.WriteString(strconv.Itoa(t.Hour()*3600 + t.Minute()*60 + t.Second()))
		case "FF1", "FF2", "FF3", "FF4", "FF5", "FF6":
			n := int(tk.pat[2] - '0')
			b.WriteString(fmt.Sprintf("%06d", t.Nanosecond()/1000)[:n])
		case "BC", "AD", "bc", "ad", "B.C.", "A.D.", "b.c.", "a.d.":
			era := "AD"
			if t.Year() <= 0 {
				era = "BC"
			}
			if strings.Contains(tk.pat, ".") {
				era = era[:1] + "." + era[1:] + "."
			}
			b.WriteString(caseAs(tk.pat, era))
		case "CC":
			y := t.Year()
			c := (y + 99) / 100
			if y <= 0 {
				c = -((99 - (y - 1)) / 100)
			}
			b.WriteString(padNum(c, 2, tk.fm))
		case "W":
			b.WriteString(strconv.Itoa((t.Day()-1)/7 + 1))
		case "RM", "rm":
			r := romanMonths[t.Month()-1]
			if !tk.fm {
				r = fmt.Sprintf("%-4s", r)
			}
			b.WriteString(caseAs(tk.pat, r))
		case "TZ":
			b.WriteString("UTC")
		case "tz":
			b.WriteString("utc")
		case "OF", "TZH":
			b.WriteString("+00")
		case "TZM":
			b.WriteString("00")
		}
		if tk.th != "" {
			if n, err := strconv.Atoi(strings.TrimSpace(b.String()[start:])); err == nil {
				b.WriteString(ordinal(n, tk.th))
			}
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
	doy := 0
	tokens := tokenizeFormat(f)
	for k, tk := range tokens {
		var err error
		// A field right before another field, with no separator between
		// them (YYYYMMDD), reads its own width of digits, not more.
		packed := k+1 < len(tokens) && tokens[k+1].pat != ""
		switch tk.pat {
		case "":
			for range tk.literal {
				if i < len(s) {
					i++
				}
			}
		case "YYYY":
			width := 6
			if packed {
				width = 4
			}
			year, err = readInt(width, tk.pat)
		case "DDD":
			doy, err = readInt(3, tk.pat)
			if err == nil && (doy < 1 || doy > 366) {
				return nil, execError("date/time field value out of range: %q", s)
			}
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
		case "FX":
			// Fixed-format matching: the text is read the same either way here.
		default:
			return nil, execError("format pattern %q is not supported in to_timestamp", tk.pat)
		}
		if err != nil {
			return nil, err
		}
		// An ordinal ending after a number (DDth) is read over.
		for n := 0; tk.th != "" && n < 2 && i < len(s) && unicode.IsLetter(rune(s[i])); n++ {
			i++
		}
	}
	if doy > 0 {
		t := time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, doy-1)
		if t.Year() != year {
			return nil, execError("date/time field value out of range: %q", s)
		}
		month, day = int(t.Month()), t.Day()
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
