package executor

import (
	"hash/maphash"
	"sync/atomic"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// parseCache keeps the statements of recent request texts made of
// standard SQL alone, so that a text sent again (an application's
// prepared shapes, with values as parameters) is not split and scanned
// again: about 1 µs and two allocations of a point lookup's request.
// dialect.Parse is a function of the text alone and a standard
// statement is never changed once made (the engine plans from its text),
// so a kept result is the one Parse would give. Other statements
// (EXECUTE AS, BEGIN, admin statements) are made anew for each request.
//
// Slots are direct-mapped by the text's hash: a lookup takes no lock and
// a text evicts whatever shared its slot. Texts over maxParsedText are not
// kept, which bounds what the cache holds to parseSlots × maxParsedText.
type parseCache struct {
	seed  maphash.Seed
	slots [parseSlots]atomic.Pointer[parsedText]
}

const (
	parseSlots    = 256
	maxParsedText = 4 << 10
)

type parsedText struct {
	text  string
	stmts []dialect.Statement
}

func newParseCache() *parseCache { return &parseCache{seed: maphash.MakeSeed()} }

// parse is dialect.Parse of text. The statements returned may be shared
// with other requests: callers must not change the slice.
func (c *parseCache) parse(text string) ([]dialect.Statement, error) {
	if len(text) > maxParsedText {
		return dialect.Parse(text)
	}
	slot := &c.slots[maphash.String(c.seed, text)%parseSlots]
	if p := slot.Load(); p != nil && p.text == text {
		return p.stmts, nil
	}
	stmts, err := dialect.Parse(text)
	if err != nil {
		return nil, err
	}
	for _, st := range stmts {
		if _, ok := st.(*dialect.StandardSQL); !ok {
			return stmts, nil
		}
	}
	slot.Store(&parsedText{text: text, stmts: stmts})
	return stmts, nil
}
