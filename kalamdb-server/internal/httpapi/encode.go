package httpapi

import (
	"strconv"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
)

// The answer of POST /v1/api/sql is written by hand, appending to a pooled
// buffer, instead of by encoding/json's reflection: the values are already
// wire-encoded by the core, and row.AppendJSON writes them. The output is
// byte for byte what encoding/json's Encoder with SetEscapeHTML(false)
// writes for the same envelope (tests compare the two on random results).

// maxPooledBuf keeps one large answer from pinning its buffer forever.
const maxPooledBuf = 64 << 10

// getBuf is a response buffer from the server's pool (Server.bufs).
func (s *Server) getBuf() *[]byte {
	if b, ok := s.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 1024)
	return &b
}

func (s *Server) putBuf(b *[]byte) {
	if cap(*b) > maxPooledBuf {
		return
	}
	*b = (*b)[:0]
	s.bufs.Put(b)
}

// appendSuccess appends the JSON of a successful SQL answer, newline
// included, as json.Encoder would encode envelope{Status: "success",
// Results: results, Took: took}.
func appendSuccess(b []byte, results []executor.Result, took float64) ([]byte, error) {
	b = append(b, `{"status":"success","results":`...)
	var err error
	if results == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range results {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendResult(b, &results[i]); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"took":`...)
	if b, err = row.AppendJSONFloat(b, took, 64); err != nil {
		return b, err
	}
	return append(b, "}\n"...), nil
}

func appendResult(b []byte, r *executor.Result) ([]byte, error) {
	b = append(b, '{')
	if len(r.Schema) > 0 {
		b = append(b, `"schema":[`...)
		for i, c := range r.Schema {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = row.AppendJSONString(b, c.Name)
			b = append(b, `,"data_type":`...)
			b = row.AppendJSONString(b, c.DataType)
			b = append(b, `,"index":`...)
			b = strconv.AppendInt(b, int64(c.Index), 10)
			b = append(b, '}')
		}
		b = append(b, "],"...)
	}
	if len(r.Rows) > 0 {
		b = append(b, `"rows":[`...)
		var err error
		for i, vals := range r.Rows {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = row.AppendJSONArray(b, vals); err != nil {
				return b, err
			}
		}
		b = append(b, "],"...)
	}
	b = append(b, `"row_count":`...)
	b = strconv.AppendInt(b, r.RowCount, 10)
	if r.Message != "" {
		b = append(b, `,"message":`...)
		b = row.AppendJSONString(b, r.Message)
	}
	if r.AsUser != "" {
		b = append(b, `,"as_user":`...)
		b = row.AppendJSONString(b, r.AsUser)
	}
	return append(b, '}'), nil
}
