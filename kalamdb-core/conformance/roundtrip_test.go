package conformance_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// textRunes are the characters random texts are made of: the ones SQL
// quoting and escaping are about, control characters, and characters of
// one to four bytes.
var textRunes = []rune("aZ09 '\"\\`;$?%_-*/#@{}[]()\t\n\r\x01\x1b\x7féßあ😀\u0301\u202e\u2028\ufeff\U0010FFFF")

// randomText has no NUL: text cannot hold one, in a literal or a
// parameter (TestTextRefusesNUL).
func randomText(rng *rand.Rand) string {
	n := rng.IntN(40)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteRune(textRunes[rng.IntN(len(textRunes))])
	}
	return b.String()
}

// standardLiteral writes s as a standard SQL string: a quote doubled,
// every other character as it is.
func standardLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// escapeLiteral writes s as an E” string, escaping quotes, backslashes
// and control characters.
func escapeLiteral(s string) string {
	var b strings.Builder
	b.WriteString("E'")
	for _, r := range s {
		switch {
		case r == '\'' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// dollarLiteral writes s between dollar quotes whose tag it does not
// contain.
func dollarLiteral(s string) string {
	tag := "$q$"
	for i := 0; strings.Contains(s, tag) || strings.HasSuffix(s, "$q"); i++ {
		tag = fmt.Sprintf("$q%d$", i)
	}
	return tag + s + tag
}

// Random Unicode text comes back byte for byte, whether it is written as
// a literal (by PostgreSQL's quoting rules: standard, E” or dollar
// quoted) or passed as a parameter, stored in a table and read back.
func TestTextRoundTrip(t *testing.T) {
	db := openDatabase(t)
	exec := func(sql string, params ...any) ([]executor.Result, error) {
		return db.Executor.Execute(context.Background(), executor.Request{UserID: "root", Role: systable.RoleSystem, SQL: sql, Params: params})
	}
	if _, err := exec("CREATE NAMESPACE rt; CREATE TABLE rt.t (id BIGINT PRIMARY KEY, s TEXT)"); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	quoting := []func(string) string{standardLiteral, escapeLiteral, dollarLiteral}
	for i := 0; i < 300; i++ {
		viaParam := i%2 == 1
		s := randomText(rng)
		var err error
		if viaParam {
			_, err = exec("INSERT INTO rt.t (id, s) VALUES ($1, $2)", i, s)
		} else {
			lit := quoting[i%len(quoting)](s)
			// Read back directly, then through the table.
			res, qerr := exec("SELECT " + lit)
			if qerr != nil {
				t.Fatalf("SELECT %s: %v", lit, qerr)
			}
			if got := res[0].Rows[0][0]; got != s {
				t.Fatalf("SELECT %s = %q, want %q", lit, got, s)
			}
			_, err = exec(fmt.Sprintf("INSERT INTO rt.t (id, s) VALUES (%d, %s)", i, lit))
		}
		if err != nil {
			t.Fatalf("insert %q: %v", s, err)
		}
		res, err := exec("SELECT s FROM rt.t WHERE id = $1", i)
		if err != nil {
			t.Fatal(err)
		}
		if got := res[0].Rows[0][0]; got != s {
			t.Fatalf("round trip of %q (param %v): got %q", s, viaParam, got)
		}
		// The text is found by equality with itself, as a parameter.
		res, err = exec("SELECT id FROM rt.t WHERE s = $1 AND id = $2", s, i)
		if err != nil || len(res[0].Rows) != 1 {
			t.Fatalf("lookup by %q: %v %v", s, res, err)
		}
	}
}
