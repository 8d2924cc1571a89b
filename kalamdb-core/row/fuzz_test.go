package row

import (
	"bytes"
	"errors"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

var keyTypes = []dialect.TypeName{
	dialect.TypeSmallInt, dialect.TypeInt, dialect.TypeBigInt, dialect.TypeText, dialect.TypeBytes,
	dialect.TypeUUID, dialect.TypeTimestamp, dialect.TypeDateTime, dialect.TypeDate,
}

// FuzzDecode feeds arbitrary bytes to every decoder. None may panic; what
// decodes must re-encode to something that decodes to the same values, and
// decoded keys must re-encode to exactly the bytes they came from.
func FuzzDecode(f *testing.F) {
	for i, values := range sampleRows() {
		if i == 3 {
			continue // too big to be a useful seed
		}
		b, err := Encode(nil, Header{Seq: int64(i), Deleted: i == 4}, allTypes, values)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(chatRowBytes(f))
	tomb, _ := Encode(nil, Header{Seq: 1, Deleted: true}, allTypes, nil)
	f.Add(tomb)
	k, _ := UserKey("alice", dtype(dialect.TypeText), "a\x00b")
	f.Add(k)

	full, _ := NewProjection(allTypes, allTypes, nil)
	some, _ := NewProjection(allTypes, allTypes, []int{16, 9, 0, 6})
	chat, _ := NewProjection(chatSchema, chatSchema, nil)
	chatSome, _ := NewProjection(chatSchema, chatSchema, []int{4})
	fieldable, _ := NewProjection(allTypes, allTypes, noDecimals)
	f.Fuzz(func(t *testing.T, data []byte) {
		h, herr := DecodeHeader(data)
		dst := make([]any, full.Len())
		gh, err := full.Decode(data, dst)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersionMismatch) {
				t.Fatalf("error of unexpected kind: %v", err)
			}
		} else {
			if herr != nil || gh != h {
				t.Fatalf("Decode header %+v, DecodeHeader %+v %v", gh, h, herr)
			}
			re, err := Encode(nil, gh, allTypes, dst)
			if err != nil {
				t.Fatalf("decoded row does not re-encode: %v", err)
			}
			again := make([]any, full.Len())
			if _, err := full.Decode(re, again); err != nil {
				t.Fatalf("re-encoded row does not decode: %v", err)
			}
			for i := range dst {
				if !sameValue(dst[i], again[i]) {
					t.Fatalf("column %d: %#v then %#v", i, dst[i], again[i])
				}
			}
		}
		_, _ = some.Decode(data, make([]any, some.Len()))
		_, _ = chat.Decode(data, make([]any, chat.Len()))
		_, _ = chatSome.Decode(data, make([]any, chatSome.Len()))
		// DecodeFields checks what Decode checks (JSON text aside, which
		// it does not parse).
		_, berr := fieldable.Decode(data, make([]any, fieldable.Len()))
		_, ferr := fieldable.DecodeFields(data, make([]Field, fieldable.Len()))
		if berr == nil && ferr != nil {
			t.Fatalf("Decode accepts what DecodeFields refuses: %v", ferr)
		}
		if ferr != nil && !errors.Is(ferr, ErrCorrupt) && !errors.Is(ferr, ErrVersionMismatch) {
			t.Fatalf("DecodeFields error of unexpected kind: %v", ferr)
		}

		for _, name := range keyTypes {
			dt := dtype(name)
			v, rest, err := DecodeKey(data, dt)
			if err != nil {
				continue
			}
			k, err := AppendKey(nil, dt, v)
			if err != nil {
				t.Fatalf("%s key %#v does not re-encode: %v", name, v, err)
			}
			if !bytes.Equal(k, data[:len(data)-len(rest)]) {
				t.Fatalf("%s key %x re-encodes as %x", name, data[:len(data)-len(rest)], k)
			}
		}
	})
}
