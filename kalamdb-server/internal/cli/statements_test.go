package cli

import (
	"strings"
	"testing"
)

// feed adds lines to a buffer and returns, after each line, whether the
// buffer was complete.
func feed(lines ...string) (*stmtBuffer, []bool) {
	var b stmtBuffer
	var done []bool
	for i, l := range lines {
		b.add(l, i+1)
		done = append(done, b.complete())
	}
	return &b, done
}

func TestStatementEndsAtSemicolonOutsideLiterals(t *testing.T) {
	cases := []struct {
		name  string
		lines []string
		want  []bool
	}{
		{"one line", []string{"SELECT 1;"}, []bool{true}},
		{"two lines", []string{"SELECT 1", "FROM t;"}, []bool{false, true}},
		{"semicolon in a string", []string{"SELECT 'a;", "b';"}, []bool{false, true}},
		{"doubled quote", []string{"SELECT 'it''s;';"}, []bool{true}},
		{"E string escape", []string{`SELECT E'x\';`, `y';`}, []bool{false, true}},
		{"standard string backslash", []string{`SELECT 'x\';`}, []bool{true}},
		{"dollar quote", []string{"SELECT $$a;", "b$$;"}, []bool{false, true}},
		{"tagged dollar quote", []string{"SELECT $f$ $$; $f$;"}, []bool{true}},
		{"nested comment", []string{"SELECT 1 /* a /* b */ ;", "*/;"}, []bool{false, true}},
		{"line comment", []string{"SELECT 1 -- ;", ";"}, []bool{false, true}},
		{"quoted identifier", []string{`SELECT "a;`, `b" FROM t;`}, []bool{false, true}},
		{"two statements", []string{"SELECT 1; SELECT 2;"}, []bool{true}},
		{"statement after a complete one", []string{"SELECT 1; SELECT 2"}, []bool{false}},
		{"transaction block", []string{"BEGIN;", "INSERT INTO t VALUES (1);", "COMMIT;"}, []bool{false, false, true}},
		{"rolled back block", []string{"START TRANSACTION;", "ROLLBACK;"}, []bool{false, true}},
		{"executable comment is complete", []string{"SELECT /*! 1 */ 2;"}, []bool{true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, got := feed(c.lines...)
			if strings.Join(boolStrings(got), ",") != strings.Join(boolStrings(c.want), ",") {
				t.Fatalf("complete after each line = %v, want %v", got, c.want)
			}
		})
	}
}

func boolStrings(bs []bool) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = map[bool]string{true: "t", false: "f"}[b]
	}
	return out
}

func TestCommentOnlyLinesLeaveTheBufferEmpty(t *testing.T) {
	b, _ := feed("-- a comment; with a semicolon", "   ", "/* block */")
	if !b.empty() {
		t.Fatalf("buffer holds %q after comments only", b.text)
	}
	b, _ = feed("/* an open", "comment")
	if b.empty() || !b.openLiteral {
		t.Fatal("an open block comment must keep the buffer waiting")
	}
}

func TestTakeReturnsTextAndFirstLine(t *testing.T) {
	var b stmtBuffer
	b.add("", 1)
	b.add("SELECT 1", 2)
	b.add("  ;", 3)
	text, line := b.take()
	if line != 2 || text != "SELECT 1\n  ;\n" {
		t.Fatalf("take = %q at line %d", text, line)
	}
	if !b.empty() {
		t.Fatal("take must empty the buffer")
	}
}

func TestPlanRequestsKeepsTransactionBlocksTogether(t *testing.T) {
	text := "SELECT 1; BEGIN; INSERT INTO t VALUES (';'); COMMIT; SELECT $$;$$;"
	reqs := planRequests(text)
	var got []string
	for _, r := range reqs {
		got = append(got, text[r.start:r.end])
	}
	want := []string{"SELECT 1", "BEGIN; INSERT INTO t VALUES (';'); COMMIT", "SELECT $$;$$"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("requests %q, want %q", got, want)
	}
	if len(reqs[1].segments) != 3 {
		t.Fatalf("the block has %d statements, want 3", len(reqs[1].segments))
	}
}

func TestPlanRequestsSendsUnsplittableTextWhole(t *testing.T) {
	// An unterminated string cannot be cut; the server reports it.
	text := "  SELECT 'open  "
	reqs := planRequests(text)
	if len(reqs) != 1 || text[reqs[0].start:reqs[0].end] != "SELECT 'open" {
		t.Fatalf("requests %+v", reqs)
	}
	if reqs := planRequests("-- nothing\n"); len(reqs) != 0 {
		t.Fatalf("comment only: %+v", reqs)
	}
}

func TestUsedNamespace(t *testing.T) {
	for stmt, want := range map[string]string{"USE chat": "chat", "USE NAMESPACE app": "app", "SET NAMESPACE x": "x"} {
		if ns, ok := usedNamespace(stmt); !ok || ns != want {
			t.Errorf("%s: %q %v", stmt, ns, ok)
		}
	}
	if _, ok := usedNamespace("SELECT 1"); ok {
		t.Error("SELECT selects no namespace")
	}
}

func TestLocate(t *testing.T) {
	text := "SELECT 1;\nSELECT é, x FORM t;\n"
	off := strings.Index(text, "FORM")
	loc := locate(text, 10, off)
	if loc.line != 11 || loc.column != 13 || loc.text != "SELECT é, x FORM t;" {
		t.Fatalf("locate = %+v", loc)
	}
}

func TestContextLineWindowsLongLines(t *testing.T) {
	line := strings.Repeat("a", 300) + "X" + strings.Repeat("b", 300)
	shown, caret := contextLine(line, 301)
	if []rune(shown)[caret] != 'X' {
		t.Fatalf("caret at %d does not point at X in %q", caret, shown)
	}
	if len([]rune(shown)) > maxContextRunes+2 {
		t.Fatalf("shown %d runes", len([]rune(shown)))
	}
}
