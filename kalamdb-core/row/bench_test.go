package row

import (
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// chatSchema is a typical chat message table.
var chatSchema = tableSchema(1,
	col(1, "id", dtype(dialect.TypeBigInt)),
	col(2, "conversation_id", dtype(dialect.TypeBigInt)),
	col(3, "sender", dtype(dialect.TypeText)),
	col(4, "content", dtype(dialect.TypeText)),
	col(5, "created_at", dtype(dialect.TypeTimestamp)),
	col(6, "is_read", dtype(dialect.TypeBoolean)),
)

func chatRow() []any {
	return []any{
		int64(291534428381958144), int64(291534428381000001), "alice@example.com",
		strings.Repeat("Hello, how are you doing today? ", 4)[:100],
		time.Date(2025, 6, 1, 12, 34, 56, 789123000, time.UTC), int8(0),
	}
}

func chatRowBytes(t testing.TB) []byte {
	b, err := Encode(nil, Header{Seq: 291534428381958144}, chatSchema, chatRow())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func BenchmarkEncodeChatRow(b *testing.B) {
	values := chatRow()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = Encode(buf[:0], Header{Seq: 291534428381958144}, chatSchema, values); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeChatRow(b *testing.B) {
	enc := chatRowBytes(b)
	p, _ := NewProjection(chatSchema, chatSchema, nil)
	dst := make([]any, p.Len())
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Decode(enc, dst); err != nil {
			b.Fatal(err)
		}
	}
}

// Two of six columns (id and created_at); the texts are skipped.
func BenchmarkDecodeProjected2of6(b *testing.B) {
	enc := chatRowBytes(b)
	p, _ := NewProjection(chatSchema, chatSchema, []int{0, 4})
	dst := make([]any, p.Len())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Decode(enc, dst); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeHeader(b *testing.B) {
	enc := chatRowBytes(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeHeader(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendKey(b *testing.B) {
	big := dtype(dialect.TypeBigInt)
	text := dtype(dialect.TypeText)
	uuid := dtype(dialect.TypeUUID)
	buf := make([]byte, 0, 64)
	b.Run("BIGINT", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = AppendKey(buf[:0], big, int64(291534428381958144))
		}
	})
	b.Run("TEXT", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = AppendKey(buf[:0], text, "conversation-000123")
		}
	})
	b.Run("UUID", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = AppendKey(buf[:0], uuid, "0189f7e4-3a2b-7c1d-8e5f-0123456789ab")
		}
	})
	b.Run("UserKey", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = AppendUserKey(buf[:0], "alice", big, int64(291534428381958144))
		}
	})
}

func BenchmarkWireChatRow(b *testing.B) {
	values := chatRow()
	out := make([]any, len(values))
	b.ReportAllocs()
	for b.Loop() {
		for i, c := range chatSchema.Columns {
			out[i] = WireValue(c.Type, values[i])
		}
	}
}
