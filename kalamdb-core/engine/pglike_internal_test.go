package engine

import "testing"

func TestTextSuccessor(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"a", "b", true},
		{"ab", "ac", true},
		{"北", "匘", true},
		{"a\u00ff", "a\u0100", true},
		{"a\uffff", "a\U00010000", true},
		{"a\ud7ff", "a\ue000", true},
		{"a\U0010ffff", "b", true},
		{"a\U0010ffff\U0010ffff", "b", true},
		{"\U0010ffff", "", false},
		{"", "", false},
	} {
		got, ok := textSuccessor(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("textSuccessor(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
		if ok && !(c.in < got && c.in+"\U0010ffff\U0010ffff" < got) {
			t.Errorf("textSuccessor(%q) = %q is not above the texts starting with it", c.in, got)
		}
	}
}

func TestLikePrefix(t *testing.T) {
	for _, c := range []struct {
		pattern string
		escape  rune
		want    string
		ok      bool
	}{
		{"ab%", '\\', "ab", true},
		{"ab_c%", '\\', "ab", true},
		{"%ab", '\\', "", true},
		{"abc", '\\', "abc", true},
		{`a\%b%`, '\\', "a%b", true},
		{`a\\%`, '\\', `a\`, true},
		{`a\`, '\\', "", false},
		{"a!%x%", '!', "a%x", true},
		{`a\%`, '!', `a\`, true},
		{"北京%", '\\', "北京", true},
		{"a\xff%", '\\', "", false},
		// The escape is read before the wildcards, as PostgreSQL does.
		{"a%%b_", '%', "a%b", true},
		{"a%", '%', "", false},
		{"a__%", '_', "a_", true},
		{`a\%`, -1, `a\`, true},
	} {
		got, ok := likePrefix(c.pattern, c.escape)
		if got != c.want || ok != c.ok {
			t.Errorf("likePrefix(%q, %q) = %q, %v; want %q, %v", c.pattern, c.escape, got, ok, c.want, c.ok)
		}
	}
}
