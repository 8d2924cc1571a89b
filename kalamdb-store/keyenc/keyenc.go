// Package keyenc owns the byte layout of every hot-tier key (see the
// table of column families in docs/architecture.md).
//
// Encodings are order-preserving: for values a < b of one type, the encoded
// bytes compare a < b with bytes.Compare. That is what lets RocksDB's sorted
// key space serve primary-key ranges and ORDER BY pk without a sort, and
// what lets a user's partition be one contiguous prefix. Variable-length
// values (strings, bytes) are also prefix-free, so a composite key made of
// several encoded parts sorts by its parts in order.
package keyenc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// ErrCorrupt is returned when bytes do not decode as the expected type.
var ErrCorrupt = errors.New("keyenc: corrupt key")

// Escaping for variable-length values: 0x00 inside the value is written as
// 0x00 0xFF and the value ends with 0x00 0x01. The terminator sorts below any
// escaped 0x00 and any other byte, so "a" < "a\x00" < "ab" holds encoded too.
const (
	escape     = 0x00
	escapedNul = 0xFF
	terminator = 0x01
)

// AppendUint64 appends v as 8 big-endian bytes.
func AppendUint64(buf []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(buf, v) }

// DecodeUint64 decodes AppendUint64's output and returns the rest.
func DecodeUint64(b []byte) (uint64, []byte, error) {
	if len(b) < 8 {
		return 0, b, fmt.Errorf("%w: uint64 needs 8 bytes, have %d", ErrCorrupt, len(b))
	}
	return binary.BigEndian.Uint64(b), b[8:], nil
}

// AppendInt64 appends v as 8 bytes with the sign bit flipped, so negative
// numbers sort before positive ones.
func AppendInt64(buf []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(buf, uint64(v)^(1<<63))
}

// DecodeInt64 decodes AppendInt64's output and returns the rest.
func DecodeInt64(b []byte) (int64, []byte, error) {
	u, rest, err := DecodeUint64(b)
	return int64(u ^ (1 << 63)), rest, err
}

// AppendFloat64 appends v so that floats sort numerically: positive values
// get their sign bit set, negative values have every bit inverted. -0 is
// normalised to +0 so the two are one key; every NaN is one key, after
// +Inf (as in PostgreSQL's order): a NaN with its sign bit set would
// otherwise sort before -Inf.
func AppendFloat64(buf []byte, v float64) []byte {
	if v == 0 {
		v = 0
	}
	if v != v {
		v = math.NaN()
	}
	u := math.Float64bits(v)
	if u&(1<<63) != 0 {
		u = ^u
	} else {
		u |= 1 << 63
	}
	return binary.BigEndian.AppendUint64(buf, u)
}

// DecodeFloat64 decodes AppendFloat64's output and returns the rest.
func DecodeFloat64(b []byte) (float64, []byte, error) {
	u, rest, err := DecodeUint64(b)
	if err != nil {
		return 0, rest, err
	}
	if u&(1<<63) != 0 {
		u &^= 1 << 63
	} else {
		u = ^u
	}
	return math.Float64frombits(u), rest, nil
}

// AppendBool appends false as 0x00 and true as 0x01.
func AppendBool(buf []byte, v bool) []byte {
	if v {
		return append(buf, 1)
	}
	return append(buf, 0)
}

// DecodeBool decodes AppendBool's output and returns the rest.
func DecodeBool(b []byte) (bool, []byte, error) {
	if len(b) < 1 || b[0] > 1 {
		return false, b, fmt.Errorf("%w: bad bool", ErrCorrupt)
	}
	return b[0] == 1, b[1:], nil
}

// AppendBytes appends v escaped and terminated (see escape). The room is
// made first and the runs between escapes copied whole: appending a byte
// at a time grew the buffer by a quarter again and again, allocating
// about five times a large value's size (a key of 8 MB: 40 MB).
func AppendBytes(buf, v []byte) []byte {
	buf = slices.Grow(buf, len(v)+bytes.Count(v, []byte{escape})+2)
	for {
		i := bytes.IndexByte(v, escape)
		if i < 0 {
			break
		}
		buf = append(append(buf, v[:i]...), escape, escapedNul)
		v = v[i+1:]
	}
	return append(append(buf, v...), escape, terminator)
}

// AppendString is AppendBytes for a string.
func AppendString(buf []byte, s string) []byte {
	buf = slices.Grow(buf, len(s)+strings.Count(s, string(rune(escape)))+2)
	for {
		i := strings.IndexByte(s, escape)
		if i < 0 {
			break
		}
		buf = append(append(buf, s[:i]...), escape, escapedNul)
		s = s[i+1:]
	}
	return append(append(buf, s...), escape, terminator)
}

// DecodeBytes decodes AppendBytes's output into a new slice and returns the
// rest.
func DecodeBytes(b []byte) ([]byte, []byte, error) {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != escape {
			out = append(out, c)
			continue
		}
		if i+1 >= len(b) {
			break
		}
		switch b[i+1] {
		case terminator:
			return out, b[i+2:], nil
		case escapedNul:
			out = append(out, escape)
			i++
		default:
			return nil, b, fmt.Errorf("%w: bad escape 0x%02x", ErrCorrupt, b[i+1])
		}
	}
	return nil, b, fmt.Errorf("%w: unterminated bytes", ErrCorrupt)
}

// DecodeString decodes AppendString's output and returns the rest.
func DecodeString(b []byte) (string, []byte, error) {
	v, rest, err := DecodeBytes(b)
	return string(v), rest, err
}
