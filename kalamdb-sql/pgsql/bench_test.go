package pgsql

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"
)

// The statements applications send most: a primary-key lookup, the newest
// 50 messages of a conversation, and a 50-row INSERT.
var benchStatements = map[string]string{
	"point":    "SELECT id, conversation_id, sender, content, created_at FROM chat.messages WHERE id = $1",
	"newest50": "SELECT id, sender, content, created_at FROM chat.messages WHERE conversation_id = $1 ORDER BY created_at DESC LIMIT 50",
	"insert50": insert50(),
}

func insert50() string {
	var b strings.Builder
	b.WriteString("INSERT INTO chat.messages (id, conversation_id, sender, content) VALUES ")
	for i := 0; i < 50; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%d, 42, 'alice', 'message number %d with some text')", i+1, i)
	}
	return b.String()
}

// BenchmarkTranslate is the front end's cost per statement: PostgreSQL's
// parser through cgo and protobuf, then the translation.
func BenchmarkTranslate(b *testing.B) {
	for _, name := range []string{"point", "newest50", "insert50"} {
		sql := benchStatements[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := Translate(sql, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPostgresParse is the parser alone (cgo, protobuf decoding).
func BenchmarkPostgresParse(b *testing.B) {
	for _, name := range []string{"point", "newest50", "insert50"} {
		sql := benchStatements[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := pg.Parse(sql); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGoParser is a parser written in Go for comparison: the
// engine's own MySQL-grammar parser on the same statements ($1 written as
// its bind variable), what a hand-written PostgreSQL-to-engine parser
// would cost at best.
func BenchmarkGoParser(b *testing.B) {
	for _, name := range []string{"point", "newest50", "insert50"} {
		sql := strings.ReplaceAll(benchStatements[name], "$1", ":v1")
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, _, err := sqlparser.ParseOneWithOptions(context.Background(), sql, sqlparser.ParserOptions{AnsiQuotes: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
