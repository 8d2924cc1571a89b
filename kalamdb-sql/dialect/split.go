package dialect

import "github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"

// Segment is one statement of a batch as written.
type Segment struct {
	// Text runs from the statement's first token to the end of its last
	// token: whitespace and comments around the statement and the ';' are
	// not part of it, comments inside it are.
	Text string
	// Offset is the byte offset of Text within the batch.
	Offset int
}

// Split cuts a batch into statements at the ';' that are outside string
// literals, quoted identifiers and comments. Empty statements (";;", a
// trailing ';', a comment on its own) are dropped.
//
// Errors: BATCH_PARSE_ERROR when a string literal, quoted identifier or block
// comment is not terminated (the batch cannot be cut reliably, so nothing of
// it runs); INVALID_SQL, with its position, for a MySQL executable comment
// or optimizer hint anywhere in the batch (see isExecutableComment);
// EMPTY_SQL when the batch holds no statement at all.
func Split(sql string) ([]Segment, error) {
	sp := newSplitter(sql)
	var segs []Segment
	for {
		seg, ok, err := sp.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		segs = append(segs, seg)
	}
	if len(segs) == 0 {
		return nil, emptySQL()
	}
	return segs, nil
}

// splitter yields the segments of a batch one at a time, so that Parse does
// not need to materialise the segment list.
type splitter struct {
	src source
	lx  lexer
}

func newSplitter(sql string) splitter {
	return splitter{src: source{text: sql, full: sql}, lx: lexer{src: sql}}
}

// next returns the next non-empty segment; ok is false at the end.
func (sp *splitter) next() (seg Segment, ok bool, err error) {
	sql := sp.src.text
	start, end := -1, 0
	for {
		t := sp.lx.next()
		switch {
		case t.kind == TokComment:
			continue
		case t.kind == TokInvalid:
			return Segment{}, false, sp.src.lexError(apierror.BatchParseError, t)
		case t.kind == TokEOF || isSemicolon(sql, t):
			if start >= 0 {
				return Segment{Text: sql[start:end], Offset: start}, true, nil
			}
			if t.kind == TokEOF {
				return Segment{}, false, nil
			}
			continue
		}
		if start < 0 {
			start = t.pos
		}
		end = t.end
	}
}

func isSemicolon(src string, t token) bool {
	return t.kind == TokPunct && t.end-t.pos == 1 && src[t.pos] == ';'
}
