package pgsql

import (
	"math/rand/v2"
	"strings"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// splitFragments are pieces of SQL text whose quoting PostgreSQL's lexer
// and a MySQL-family one read differently, each complete on its own.
var splitFragments = []string{
	"1", "a FROM t", "'a;b'", "'it''s;'", `'c:\'`, `E'x\';y'`, `e'\\'`,
	"$$;$$", "$t$ ; 'x $t$", "$a$$b$ ; $a$", `"q;"`, `"a""b;"`, "/* ; */", "/* a /* ; */ ; */",
	"-- ;\n", "--;\n", "$1", "?", "x||y", "a::int", "'\n;\n'", "#", "`", "@", "U&'a;'", "B'01'", "X';'",
	"\t", "\n", " ", "a$b$", "1.5e3", "(1)", "(';')", ",",
}

// The dialect cuts a batch where PostgreSQL's own scanner cuts it: a ';'
// inside any string, quoted identifier, dollar quote or (nested) comment
// never splits a statement. (PostgreSQL's scanner split also keeps a ';'
// inside unbalanced parentheses; such text is a syntax error either way,
// so the fragments keep parentheses balanced.)
func TestSplitAgreesWithPostgreSQL(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 3000; n++ {
		// Statements starting with a keyword (PostgreSQL's scanner split
		// only reports those), made of fragments, separated by ';'.
		var b strings.Builder
		for st := rng.IntN(4) + 1; st > 0; st-- {
			b.WriteString("SELECT ")
			for k := rng.IntN(6) + 1; k > 0; k-- {
				b.WriteString(splitFragments[rng.IntN(len(splitFragments))])
				if rng.IntN(2) == 0 {
					b.WriteByte(' ')
				}
			}
			b.WriteString(";")
			if rng.IntN(3) == 0 {
				b.WriteString(" ;")
			}
		}
		sql := b.String()
		if strings.ContainsRune(sql, '`') {
			// The dialect reads `...` as a quoted identifier (for its own
			// statements); standard SQL refuses it.
			continue
		}
		want, pgErr := pg.SplitWithScanner(sql, true)
		segs, err := dialect.Split(sql)
		if pgErr != nil {
			continue // text PostgreSQL's lexer refuses fails its parse too
		}
		if err != nil {
			t.Fatalf("%q: the dialect refuses what PostgreSQL splits: %v", sql, err)
		}
		want = nonEmpty(want)
		// PostgreSQL's scanner split reports only statements with a
		// keyword in them.
		kept := segs[:0]
		for _, s := range segs {
			if hasKeyword(s.Text) {
				kept = append(kept, s)
			}
		}
		segs = kept
		if len(segs) != len(want) {
			t.Fatalf("%q: dialect %d statements %+v, PostgreSQL %d %q", sql, len(segs), segs, len(want), want)
		}
		for i, s := range segs {
			// PostgreSQL keeps the comments around a statement, the
			// dialect drops them.
			j := strings.Index(want[i], s.Text)
			if j < 0 || !onlyComments(want[i][:j]) || !onlyComments(want[i][j+len(s.Text):]) {
				t.Fatalf("%q: statement %d is %q, PostgreSQL's %q", sql, i, s.Text, want[i])
			}
		}
	}
}

// hasKeyword reports whether text has one of the PostgreSQL keywords the
// fragments use outside quotes and comments.
func hasKeyword(text string) bool {
	lx := dialect.NewLexer(text)
	for {
		k, pos, end := lx.Next()
		switch k {
		case dialect.TokEOF, dialect.TokInvalid:
			return false
		case dialect.TokWord:
			switch strings.ToUpper(text[pos:end]) {
			case "SELECT", "FROM", "INT":
				return true
			}
		}
	}
}

func nonEmpty(stmts []string) []string {
	var out []string
	for _, s := range stmts {
		if !onlyComments(s) {
			out = append(out, s)
		}
	}
	return out
}

// onlyComments reports whether s holds nothing but whitespace and comments.
func onlyComments(s string) bool {
	lx := dialect.NewLexer(s)
	for {
		k, _, _ := lx.Next()
		switch k {
		case dialect.TokEOF:
			return true
		case dialect.TokComment:
			continue
		}
		return false
	}
}
