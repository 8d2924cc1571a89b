package engine

import (
	"bytes"
	"math"
	"strings"

	"github.com/dolthub/go-mysql-server/sql/types"
)

// compareValues orders two non-NULL values of one family: numbers by
// value, text and UUIDs by bytes (PostgreSQL's C collation), booleans
// false before true, times chronologically, JSON as jsonb does.
func compareValues(fam family, a, b any) (int, error) {
	switch fam {
	case famInt, famBool:
		x, ok1 := toInt64(a)
		y, ok2 := toInt64(b)
		if ok1 && ok2 {
			return cmpInt(x, y), nil
		}
	case famFloat:
		x, _ := toFloat64(a)
		y, _ := toFloat64(b)
		return cmpFloat(x, y), nil
	case famNumeric:
		x, ok1 := toDecimal(a)
		y, ok2 := toDecimal(b)
		if ok1 && ok2 {
			return x.Cmp(y), nil
		}
		return cmpFloat(mustFloat(a), mustFloat(b)), nil
	case famText, famUUID, famUnknown:
		x, _ := toText(a)
		y, _ := toText(b)
		return strings.Compare(x, y), nil
	case famBytes:
		x, _ := a.([]byte)
		y, _ := b.([]byte)
		return bytes.Compare(x, y), nil
	case famTimestamp, famDate:
		x, _ := toTime(a)
		y, _ := toTime(b)
		return x.Compare(y), nil
	case famJSON:
		return compareJSONB(a, b)
	case famTime:
		x, _ := a.(types.Timespan)
		y, _ := b.(types.Timespan)
		return cmpInt(int64(x), int64(y)), nil
	}
	return 0, execError("values of type %s cannot be compared", fam)
}

func mustFloat(v any) float64 {
	f, _ := toFloat64(v)
	return f
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// cmpFloat orders floats as PostgreSQL does: NaN above every other value
// and equal to itself.
func cmpFloat(x, y float64) int {
	switch {
	case math.IsNaN(x) && math.IsNaN(y):
		return 0
	case math.IsNaN(x):
		return 1
	case math.IsNaN(y):
		return -1
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
