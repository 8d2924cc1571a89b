package conformance_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// typeLetters maps the letters of a query record's type string to the
// wire data_type names (corpus/README.md).
var typeLetters = map[byte]string{
	'B': "Boolean", 'S': "SmallInt", 'I': "Int", 'L': "BigInt", 'F': "Float", 'D': "Double",
	'N': "Decimal", 'T': "Text", 'X': "Bytes", 'J': "Json", 'P': "Timestamp", 'A': "Date",
	'Z': "DateTime", 'K': "Time", 'U': "Uuid",
}

// record is one test case of a corpus file.
type record struct {
	line    int
	kind    string // "ok", "error", "query", "user", "namespace"
	sql     string
	code    string // expected error code
	message string // expected substring of the error message
	types   string
	rowsort bool
	names   bool // the first result line is the column names
	// multiline shows text as it is, newlines included, so that a value
	// of several lines (an EXPLAIN plan) reads as written.
	multiline bool
	rows      []string
	arg       string // user name or namespace
}

// parseFile reads the records of a corpus file.
func parseFile(path string) ([]record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		recs  []record
		cur   *record
		state int // 0: between records, 1: SQL, 2: results
		n     int
	)
	flush := func() {
		if cur != nil {
			recs = append(recs, *cur)
			cur = nil
		}
		state = 0
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		n++
		line := sc.Text()
		switch state {
		case 0:
			trimmed := strings.TrimSpace(line)
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			fields := strings.Fields(trimmed)
			r := record{line: n}
			switch {
			case len(fields) == 2 && fields[0] == "statement" && fields[1] == "ok":
				r.kind = "ok"
			case len(fields) >= 3 && fields[0] == "statement" && fields[1] == "error":
				r.kind, r.code = "error", fields[2]
				r.message = strings.TrimSpace(strings.TrimPrefix(trimmed[strings.Index(trimmed, fields[2])+len(fields[2]):], " "))
			case len(fields) >= 2 && fields[0] == "query":
				r.kind, r.types = "query", fields[1]
				for _, opt := range fields[2:] {
					switch opt {
					case "rowsort":
						r.rowsort = true
					case "colnames":
						r.names = true
					case "multiline":
						r.multiline = true
					case "nosort":
					default:
						return nil, fmt.Errorf("%s:%d: unknown query option %q", path, n, opt)
					}
				}
				for i := 0; i < len(r.types); i++ {
					if _, ok := typeLetters[r.types[i]]; !ok {
						return nil, fmt.Errorf("%s:%d: unknown type letter %q", path, n, r.types[i])
					}
				}
			case fields[0] == "user" && len(fields) == 2, fields[0] == "namespace" && len(fields) <= 2:
				r.kind = fields[0]
				if len(fields) == 2 {
					r.arg = fields[1]
				}
				recs = append(recs, r)
				continue
			default:
				return nil, fmt.Errorf("%s:%d: expected a record, got %q", path, n, line)
			}
			cur, state = &r, 1
		case 1:
			switch {
			case strings.TrimSpace(line) == "":
				if cur.kind == "query" {
					return nil, fmt.Errorf("%s:%d: query without ---- and results", path, cur.line)
				}
				flush()
			case line == "----" && cur.kind == "query":
				state = 2
			default:
				if cur.sql != "" {
					cur.sql += "\n"
				}
				cur.sql += line
			}
		case 2:
			if strings.TrimSpace(line) == "" {
				flush()
				continue
			}
			cur.rows = append(cur.rows, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil && cur.kind == "query" && state == 1 {
		return nil, fmt.Errorf("%s:%d: query without ---- and results", path, cur.line)
	}
	flush()
	return recs, nil
}

// render shows a wire value in the corpus' notation.
func render(v any, dataType string) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return renderString(x)
	case bool:
		return strconv.FormatBool(x)
	case json.RawMessage:
		return string(x)
	}
	if dataType == "Timestamp" || dataType == "DateTime" {
		if ms, ok := v.(int64); ok {
			return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
		}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(raw)
}

// renderString shows text as it is unless that would be ambiguous: empty,
// NULL, with control characters, surrounding spaces, a quote first or the
// column separator, which are shown Go-quoted.
func renderString(s string) string {
	plain := s != "" && s != "NULL" && !strings.HasPrefix(s, `"`) && strings.TrimSpace(s) == s && !strings.Contains(s, " | ")
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			plain = false
		}
	}
	if plain {
		return s
	}
	return strconv.Quote(s)
}

// runner runs one file's records against a fresh database.
type runner struct {
	t    *testing.T
	path string
	db   *database.Database
	user string
	role systable.Role
	ns   string
}

func (r *runner) exec(sql string) ([]executor.Result, error) {
	params, err := recordParams(sql)
	if err != nil {
		return nil, err
	}
	return r.db.Executor.Execute(context.Background(), executor.Request{UserID: r.user, Role: r.role, SQL: sql, Namespace: r.ns, Params: params})
}

// recordParams reads the request params of a record from a line
// "-- params: [json array]" of its SQL (a comment to the SQL itself),
// decoded as the HTTP API decodes them.
func recordParams(sql string) ([]any, error) {
	for _, line := range strings.Split(sql, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "-- params:")
		if !ok {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(rest))
		dec.UseNumber()
		var params []any
		if err := dec.Decode(&params); err != nil {
			return nil, fmt.Errorf("bad params line %q: %w", line, err)
		}
		return params, nil
	}
	return nil, nil
}

func (r *runner) run(rec record) {
	t := r.t
	where := fmt.Sprintf("%s:%d", filepath.Base(r.path), rec.line)
	switch rec.kind {
	case "user":
		if rec.arg == "root" {
			r.user, r.role = "root", systable.RoleSystem
			return
		}
		u, ok := r.db.Catalog.UserByName(rec.arg)
		if !ok {
			t.Errorf("%s: no user %s", where, rec.arg)
			return
		}
		r.user, r.role = u.UserID, u.Role
		return
	case "namespace":
		r.ns = rec.arg
		return
	}
	res, err := r.exec(rec.sql)
	switch rec.kind {
	case "ok":
		if err != nil {
			t.Errorf("%s: %s\n  failed: %v", where, rec.sql, err)
		}
	case "error":
		if err == nil {
			t.Errorf("%s: %s\n  succeeded, want %s %s", where, rec.sql, rec.code, rec.message)
			return
		}
		ae, ok := apierror.As(err)
		if !ok || string(ae.Code) != rec.code || !strings.Contains(ae.Message, rec.message) {
			t.Errorf("%s: %s\n  got error %v\n want %s containing %q", where, rec.sql, err, rec.code, rec.message)
		}
	case "query":
		if err != nil {
			t.Errorf("%s: %s\n  failed: %v", where, rec.sql, err)
			return
		}
		// The last statement that returns rows (a transaction's COMMIT
		// returns none).
		last := res[len(res)-1]
		for i := len(res) - 1; i >= 0; i-- {
			if res[i].Schema != nil {
				last = res[i]
				break
			}
		}
		var types []string
		letters := ""
		for _, c := range last.Schema {
			types = append(types, c.DataType)
			l := "?"
			for k, v := range typeLetters {
				if v == c.DataType {
					l = string(k)
				}
			}
			letters += l
		}
		got := make([]string, 0, len(last.Rows))
		for _, row := range last.Rows {
			vals := make([]string, len(row))
			for i, v := range row {
				dt := ""
				if i < len(types) {
					dt = types[i]
				}
				vals[i] = render(v, dt)
				if s, ok := v.(string); ok && rec.multiline {
					vals[i] = s
				}
			}
			got = append(got, strings.Join(vals, " | "))
		}
		want := append([]string(nil), rec.rows...)
		if rec.rowsort {
			sort.Strings(got)
			sort.Strings(want)
		}
		if rec.names {
			names := make([]string, len(last.Schema))
			for i, c := range last.Schema {
				names[i] = c.Name
			}
			got = append([]string{strings.Join(names, " | ")}, got...)
			if rec.rowsort && len(rec.rows) > 0 {
				rest := append([]string(nil), rec.rows[1:]...)
				sort.Strings(rest)
				want = append([]string{rec.rows[0]}, rest...)
			}
		}
		if letters != rec.types || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: %s\n  got types %s (%s), rows:\n    %s\n want types %s, rows:\n    %s", where, rec.sql,
				letters, strings.Join(types, " "), strings.Join(got, "\n    "), rec.types, strings.Join(want, "\n    "))
		}
	}
}

func openDatabase(t *testing.T) *database.Database {
	t.Helper()
	dir := t.TempDir()
	store, err := kv.Open(dir, kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := database.Open(store, database.Config{BcryptCost: bcrypt.MinCost, StorageDir: dir + "/storage"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		store.Close()
	})
	return db
}

// TestCorpus runs every corpus file, each against a fresh database,
// starting as root.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("corpus/*.slt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	total := 0
	for _, path := range files {
		recs, err := parseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			if rec.kind == "ok" || rec.kind == "error" || rec.kind == "query" {
				total++
			}
		}
		t.Run(strings.TrimSuffix(filepath.Base(path), ".slt"), func(t *testing.T) {
			r := &runner{t: t, path: path, db: openDatabase(t), user: "root", role: systable.RoleSystem}
			for _, rec := range recs {
				r.run(rec)
			}
		})
	}
	t.Logf("%d cases in %d files", total, len(files))
}
