package cli

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
)

// catalogTimeout bounds the reload of completion names that Tab may
// trigger: the prompt must not hang on a slow server.
const catalogTimeout = 5 * time.Second

// catalog is the names Tab completes: namespaces, tables and columns the
// signed-in user can see. It is loaded when the shell starts, reloaded by
// \refresh, and marked stale after DDL so the next Tab reloads it.
type catalog struct {
	mu         sync.Mutex
	loaded     bool
	stale      bool
	namespaces []string
	tables     map[string][]string // namespace -> tables
	columns    map[string][]string // "ns.table" -> columns
}

func (c *catalog) markStale() {
	c.mu.Lock()
	c.stale = true
	c.mu.Unlock()
}

func (c *catalog) counts() (ns, tables, cols int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.tables {
		tables += len(t)
	}
	for _, cs := range c.columns {
		cols += len(cs)
	}
	return len(c.namespaces), tables, cols
}

// load reads the names from the server: SHOW NAMESPACES (every namespace,
// empty ones too) and information_schema.columns (the tables and columns
// the user may see).
func (c *catalog) load(ctx context.Context, s *session) error {
	resp, err := s.client.SQL(ctx, "SHOW NAMESPACES; SELECT table_schema, table_name, column_name FROM information_schema.columns ORDER BY table_schema, table_name, ordinal_position", "")
	if err != nil {
		return err
	}
	var namespaces []string
	tables := map[string][]string{}
	columns := map[string][]string{}
	if len(resp.Results) == 2 {
		for _, row := range resp.Results[0].Rows {
			if len(row) > 0 {
				if ns := jsonString(row[0]); ns != "" {
					namespaces = append(namespaces, ns)
				}
			}
		}
		for _, row := range resp.Results[1].Rows {
			if len(row) < 3 {
				continue
			}
			ns, table, col := jsonString(row[0]), jsonString(row[1]), jsonString(row[2])
			// The server's information_schema and pg_catalog views
			// are no namespaces; a namespace an older version named
			// pg_catalog, which SHOW NAMESPACES lists, holds tables.
			if ns == "information_schema" || ns == "pg_catalog" && !contains(namespaces, ns) || table == "" {
				continue
			}
			key := ns + "." + table
			if _, ok := columns[key]; !ok {
				tables[ns] = append(tables[ns], table)
			}
			columns[key] = append(columns[key], col)
		}
	}
	for ns := range tables {
		if !contains(namespaces, ns) {
			namespaces = append(namespaces, ns)
		}
	}
	sort.Strings(namespaces)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.namespaces, c.tables, c.columns = namespaces, tables, columns
	c.loaded, c.stale = true, false
	return nil
}

func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// sqlKeywords are completed in the case the user is typing in.
var sqlKeywords = strings.Fields(`SELECT FROM WHERE AND OR NOT NULL IS IN LIKE ILIKE BETWEEN EXISTS
AS ON JOIN INNER LEFT RIGHT FULL OUTER CROSS USING GROUP BY HAVING ORDER ASC DESC LIMIT OFFSET
DISTINCT UNION ALL INTERSECT EXCEPT WITH CASE WHEN THEN ELSE END CAST INSERT INTO VALUES UPDATE
SET DELETE DEFAULT RETURNING CREATE DROP ALTER TABLE NAMESPACE NAMESPACES USER USERS SHARED STREAM
IF PRIMARY KEY ADD COLUMN MODIFY TBLPROPERTIES SHOW TABLES INDEX INDEXES DESCRIBE HISTORY STATS FOR USE
BEGIN COMMIT ROLLBACK EXECUTE PASSWORD ROLE EMAIL STORAGE STORAGES FLUSH COMPACT CHECK MANIFEST
KILL JOB LIVE QUERY BACKUP RESTORE DATABASE TO CASCADE EXPLAIN TRUE FALSE
BIGINT INT INTEGER SMALLINT BOOLEAN TEXT VARCHAR DOUBLE FLOAT DECIMAL TIMESTAMP DATETIME DATE
TIME UUID JSON BYTES COUNT SUM AVG MIN MAX COALESCE NOW SNOWFLAKE_ID UUID_V7 ULID CURRENT_USER
TYPE STORAGE_ID FLUSH_POLICY TTL_SECONDS ACCESS_LEVEL`)

// complete is the shell's Tab completion: it completes the word before the
// cursor with \commands, keywords, namespaces, tables (qualified after
// "ns.") and the columns of the tables the line names.
func (s *session) complete(line string, pos int) (head string, completions []string, tail string) {
	runes := []rune(line)
	pos = min(max(pos, 0), len(runes))
	before, after := string(runes[:pos]), string(runes[pos:])
	start := len(before)
	for start > 0 {
		r := rune(before[start-1])
		if !(r == '_' || r == '.' || r == '\\' || r == '-' && strings.HasPrefix(strings.TrimSpace(before), `\`) ||
			r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			break
		}
		start--
	}
	head, word := before[:start], before[start:]
	s.ensureCatalog()

	trimmed := strings.TrimLeft(head, " \t")
	if strings.HasPrefix(word, `\`) && trimmed == "" {
		return head, prefixed(metaNames(), word, false), after
	}
	if strings.HasPrefix(trimmed, `\`) {
		cmd, _, _ := strings.Cut(strings.TrimSpace(trimmed), " ")
		switch cmd {
		case `\use`, `\dt`, `\tables`:
			return head, prefixed(s.catalogNamespaces(), word, false), after
		case `\d`, `\describe`, `\stats`, `\metrics`, `\flush`:
			return head, prefixed(s.tableNames(word), word, false), after
		case `\format`:
			return head, prefixed([]string{"table", "json", "csv"}, word, false), after
		case `\timing`:
			return head, prefixed([]string{"on", "off"}, word, false), after
		}
		if !strings.HasPrefix(cmd, `\as`) && !strings.HasPrefix(cmd, `\subscribe`) &&
			!strings.HasPrefix(cmd, `\watch`) && !strings.HasPrefix(cmd, `\live`) {
			return head, nil, after
		}
	}
	if word == "" {
		return head, nil, after
	}
	if dot := strings.LastIndexByte(word, '.'); dot >= 0 {
		return head, prefixed(s.qualifiedNames(word[:dot]), word, false), after
	}
	var cands []string
	cands = append(cands, s.columnsOf(line)...)
	cands = append(cands, s.tablesIn(s.namespace)...)
	cands = append(cands, s.catalogNamespaces()...)
	cands = append(cands, prefixed(sqlKeywords, word, true)...)
	return head, prefixed(dedupe(cands), word, false), after
}

// ensureCatalog loads the names on first use and after DDL.
func (s *session) ensureCatalog() {
	s.catalog.mu.Lock()
	need := !s.catalog.loaded || s.catalog.stale
	s.catalog.mu.Unlock()
	if !need || s.client == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), catalogTimeout)
	defer cancel()
	_ = s.catalog.load(ctx, s)
}

func metaNames() []string {
	var out []string
	for _, c := range metaCommands() {
		out = append(out, c.names...)
	}
	return out
}

func (s *session) catalogNamespaces() []string {
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	return append([]string(nil), s.catalog.namespaces...)
}

func (s *session) tablesIn(ns string) []string {
	if ns == "" {
		return nil
	}
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	return append([]string(nil), s.catalog.tables[ns]...)
}

// tableNames completes a table argument: unqualified in the current
// namespace, and ns.table everywhere.
func (s *session) tableNames(word string) []string {
	if dot := strings.LastIndexByte(word, '.'); dot >= 0 {
		return s.qualifiedNames(word[:dot])
	}
	out := s.tablesIn(s.namespace)
	for _, ns := range s.catalogNamespaces() {
		out = append(out, ns+".")
	}
	return out
}

// qualifiedNames completes after "prefix.": the tables of namespace
// prefix, or the columns of table prefix (ns.table or a table of the
// current namespace).
func (s *session) qualifiedNames(prefix string) []string {
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	lp := strings.ToLower(prefix)
	var out []string
	for _, t := range s.catalog.tables[lp] {
		out = append(out, prefix+"."+t)
	}
	key := lp
	if !strings.Contains(lp, ".") && s.namespace != "" {
		key = s.namespace + "." + lp
	}
	for _, c := range s.catalog.columns[key] {
		out = append(out, prefix+"."+c)
	}
	return out
}

// columnsOf returns the columns of the tables a line names.
func (s *session) columnsOf(line string) []string {
	s.catalog.mu.Lock()
	defer s.catalog.mu.Unlock()
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(line), func(r rune) bool {
		return !(r == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r))
	}) {
		key := w
		if !strings.Contains(w, ".") {
			if s.namespace == "" {
				continue
			}
			key = s.namespace + "." + w
		}
		out = append(out, s.catalog.columns[key]...)
	}
	return out
}

// prefixed returns the candidates that start with word, ignoring case.
// With matchCase, each is given the case of word (keywords typed in
// lower case complete in lower case).
func prefixed(cands []string, word string, matchCase bool) []string {
	lw := strings.ToLower(word)
	lower := word == lw
	var out []string
	for _, c := range cands {
		if !strings.HasPrefix(strings.ToLower(c), lw) {
			continue
		}
		if matchCase && lower {
			c = strings.ToLower(c)
		}
		out = append(out, c)
	}
	return out
}

func dedupe(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := list[:0]
	for _, v := range list {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
