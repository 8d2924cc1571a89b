package dialect

import (
	"fmt"
	"strings"
	"testing"
)

// lexAll renders the tokens of src as "kind:text" strings.
func lexAll(src string) []string {
	lx := lexer{src: src}
	var out []string
	for {
		t := lx.next()
		if t.kind == TokEOF {
			if t.pos != len(src) || t.end != len(src) {
				out = append(out, fmt.Sprintf("bad EOF %d-%d", t.pos, t.end))
			}
			return out
		}
		out = append(out, fmt.Sprintf("%s:%s", kindName(t.kind), src[t.pos:t.end]))
	}
}

func kindName(k TokenKind) string {
	return [...]string{"eof", "word", "qident", "str", "num", "ph", "punct", "comment", "invalid"}[k]
}

func TestLexer(t *testing.T) {
	cases := []struct {
		src  string
		want string
	}{
		{"SELECT a, b FROM t", "word:SELECT word:a punct:, word:b word:FROM word:t"},
		{"  \t\n", ""},
		{"ns.t", "word:ns punct:. word:t"},
		{"a$b _x é_1", "word:a$b word:_x word:é_1"},
		{`"Quoted ""id""" ` + "`back``tick`", `qident:"Quoted ""id""" qident:` + "`back``tick`"},
		{"'it''s' ''", "str:'it''s' str:''"},
		{"'a;b' ';'", "str:'a;b' str:';'"},
		{"'a\\'", `str:'a\'`}, // backslash is an ordinary character
		{"1 42 3.14 .5 1. 1e10 2E-3 7e+2 6e", "num:1 num:42 num:3.14 num:.5 num:1. num:1e10 num:2E-3 num:7e+2 num:6 word:e"},
		{"-5", "punct:- num:5"},
		{"$1 $23 ? $x", "ph:$1 ph:$23 ph:? punct:$ word:x"},
		{"a||b | c", "word:a punct:|| word:b punct:| word:c"},
		{"<= >= <> != :: -> // && << >> := < > = !", "punct:<= punct:>= punct:<> punct:!= punct::: punct:-> punct:// punct:&& punct:<< punct:>> punct::= punct:< punct:> punct:= punct:!"},
		{"( ) , ; * + / % @ # ~ ^ { } [ ]", "punct:( punct:) punct:, punct:; punct:* punct:+ punct:/ punct:% punct:@ punct:# punct:~ punct:^ punct:{ punct:} punct:[ punct:]"},
		{"a -- comment ; 'x\nb", "word:a comment:-- comment ; 'x word:b"},
		{"a --", "word:a comment:--"},
		{"a /* x ; ' \" */ b", "word:a comment:/* x ; ' \" */ word:b"},
		{"/* a /* b */ c */ d", "comment:/* a /* b */ c */ word:d"}, // nested, as in PostgreSQL
		{"/* a /* b */ c", "invalid:/* a /* b */ c"},
		{"E'a\\'b' e'\\\\' x", `str:E'a\'b' str:e'\\' word:x`},
		{"E'it''s' N'n' B'01' X'ff' U&'d\\0061' U&\"x\"", `str:E'it''s' str:N'n' str:B'01' str:X'ff' str:U&'d\0061' qident:U&"x"`},
		{"E'open\\'", `invalid:E'open\'`},
		{"Ex 'a' U&x", "word:Ex str:'a' word:U punct:& word:x"},
		{"$$a;'b$$ $tag$ $x$ ; $tag$ $_1$z$_1$", "str:$$a;'b$$ str:$tag$ $x$ ; $tag$ str:$_1$z$_1$"},
		{"$a$ open", "invalid:$a$ open"},
		{"a$b$ $ $1x", "word:a$b$ punct:$ ph:$1 word:x"},
		{"/**/x", "comment:/**/ word:x"},
		{"'open", "invalid:'open"},
		{`"open`, `invalid:"open`},
		{"`open", "invalid:`open"},
		{"x /* open", "word:x invalid:/* open"},
		{"/*", "invalid:/*"},
		{"/*/", "invalid:/*/"},
		{"'it''", "invalid:'it''"},
		{"\x00\xff", "punct:\x00 word:\xff"},
	}
	for _, tc := range cases {
		got := strings.Join(lexAll(tc.src), " ")
		if got != tc.want {
			t.Errorf("lex(%q)\n got: %s\nwant: %s", tc.src, got, tc.want)
		}
	}
}

func TestUnquote(t *testing.T) {
	cases := map[string]string{
		"'abc'":         "abc",
		"''":            "",
		"'it''s'":       "it's",
		"''''":          "'",
		`"a""b"`:        `a"b`,
		"`a``b`":        "a`b",
		`'say "hi"'`:    `say "hi"`,
		"'x''y''z'":     "x'y'z",
		"'no\\escapes'": "no\\escapes",
		"'":             "",
	}
	for in, want := range cases {
		if got := unquote(in); got != want {
			t.Errorf("unquote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCaseHelpers(t *testing.T) {
	if !eqFold("select", "SELECT") || !eqFold("SeLeCt", "SELECT") || eqFold("selec", "SELECT") || eqFold("selectx", "SELECT") {
		t.Fatal("eqFold")
	}
	// Non-ASCII letters never match ASCII keywords (ſ folds to S in Unicode).
	if eqFold("ſelect", "SELECT") || eqFold("\u017Felect", "SELECT") {
		t.Fatal("eqFold matched a non-ASCII letter")
	}
	if asciiLower("MiXeD_1") != "mixed_1" || asciiLower("\u212A") != "\u212A" || asciiUpper("ab_c") != "AB_C" {
		t.Fatal("ascii case")
	}
	s := "already_lower"
	if asciiLower(s) != s || asciiUpper("UP") != "UP" {
		t.Fatal("no-op case")
	}
}

func TestValidName(t *testing.T) {
	for _, ok := range []string{"a", "_", "_a1", "abc_def_123", strings.Repeat("x", 64)} {
		if !validName(ok) {
			t.Errorf("validName(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "1a", "a-b", "a b", "A", "é", strings.Repeat("x", 65), "a.b", "a$"} {
		if validName(bad) {
			t.Errorf("validName(%q) = true", bad)
		}
	}
}

func TestSnippet(t *testing.T) {
	if got := snippet("abc"); got != "abc" {
		t.Fatal(got)
	}
	if got := snippet("a\nb\tc"); got != "a b c" {
		t.Fatalf("%q", got)
	}
	long := strings.Repeat("é", 30) // 60 bytes
	got := snippet(long)
	if !strings.HasSuffix(got, "…") || len(got) > 43 || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Fatalf("%q", got)
	}
}
