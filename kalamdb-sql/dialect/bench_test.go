package dialect

import (
	"fmt"
	"strings"
	"testing"
)

const benchSelect = "SELECT id, content, created_at FROM chat.messages WHERE conversation_id = $1 AND _seq > 1000 ORDER BY _seq LIMIT 50"

// benchInsert is a 50-row INSERT ... VALUES, the shape of a client's batch
// write.
var benchInsert = func() string {
	var b strings.Builder
	b.WriteString("INSERT INTO chat.messages (conversation_id, sender, content, sent_at) VALUES ")
	for i := 0; i < 50; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(%d, 'user_%d', 'message number %d, with ''quotes'' and ; semicolons', %d)", 7, i%5, i, 1700000000000+i)
	}
	return b.String()
}()

const benchCreateTable = `CREATE SHARED TABLE IF NOT EXISTS chat.messages (
	id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(),
	conversation_id BIGINT NOT NULL,
	sender TEXT NOT NULL,
	content TEXT,
	attachments JSON,
	score DECIMAL(10, 2) DEFAULT 0,
	sent_at TIMESTAMP DEFAULT NOW()
) WITH (ACCESS_LEVEL = 'PUBLIC', FLUSH_POLICY = 'rows:1000,interval:60', DELETED_RETENTION_HOURS = 72)`

var benchBatch = strings.Join([]string{
	"BEGIN",
	"INSERT INTO chat.messages (conversation_id, content) VALUES (1, 'hello; world')",
	"-- bump the counter\nUPDATE chat.conversations SET message_count = message_count + 1 WHERE id = 1",
	"SELECT * FROM chat.messages WHERE conversation_id = 1 /* newest first */ ORDER BY _seq DESC LIMIT 20",
	"DELETE FROM chat.drafts WHERE conversation_id = 1",
	"COMMIT",
}, ";\n") + ";"

func BenchmarkParseSelect(b *testing.B) {
	b.Run("Parse", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchSelect)))
		for b.Loop() {
			if _, err := Parse(benchSelect); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ParseOne", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchSelect)))
		for b.Loop() {
			if _, err := ParseOne(benchSelect); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkParseInsert(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchInsert)))
	for b.Loop() {
		if _, err := Parse(benchInsert); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseCreateTable(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchCreateTable)))
	for b.Loop() {
		if _, err := Parse(benchCreateTable); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplitBatch(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBatch)))
	for b.Loop() {
		segs, err := Split(benchBatch)
		if err != nil || len(segs) != 6 {
			b.Fatal(len(segs), err)
		}
	}
}
