package pgsql

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// A long operator chain is as deep as it is long in PostgreSQL's tree, and
// serialising that tree recursively in C overflowed the thread's stack at
// about 100,000 terms, killing the process. The bound is checked on the
// tokens before the parser runs.
func TestDeepStatementsAreRefusedBeforeParsing(t *testing.T) {
	// A chain passes both bounds at about the same length (its
	// complexity is the square of its depth); either refusal will do.
	const either = "max_"
	for _, c := range []struct{ name, sql, limit string }{
		{"arithmetic chain", "SELECT 1" + strings.Repeat("+1", 1_000_000), either},
		{"parentheses", "SELECT " + strings.Repeat("(", 200_000) + "1" + strings.Repeat(")", 200_000), "max_expression_depth"},
		{"NOT chain", "SELECT " + strings.Repeat("NOT ", 100_000) + "true", either},
		{"CASE nesting", "SELECT " + strings.Repeat("CASE WHEN true THEN ", 5_000) + "1" + strings.Repeat(" END", 5_000), either},
		{"casts", "SELECT 1" + strings.Repeat("::int", 50_000), either},
		{"wide and deep", "SELECT " + strings.Repeat("(1"+strings.Repeat("+1", 900)+"),", 3) + "1", "max_statement_complexity"},
		{"UNION chain", "SELECT 1" + strings.Repeat(" UNION ALL SELECT 1", 100_000), "max_set_operations"},
		{"UNION of subqueries", "SELECT 1" + strings.Repeat(" UNION (SELECT 2)", 201), "max_set_operations"},
	} {
		_, err := Translate(c.sql, Limits{})
		if !apierror.Is(err, apierror.ResourceLimitExceeded) || !strings.Contains(err.Error(), "(limit: "+c.limit) {
			t.Errorf("%s: %v, want RESOURCE_LIMIT_EXCEEDED naming %s", c.name, err, c.limit)
		}
	}
}

// What apps send stays well inside the bounds: long flat lists and long
// OR chains (flat in PostgreSQL's tree too) are not nesting.
func TestWideStatementsAreAccepted(t *testing.T) {
	values := make([]string, 5000)
	for i := range values {
		values[i] = "($1, 'some text', 3.5)"
	}
	in := make([]string, 20_000)
	for i := range in {
		in[i] = "1"
	}
	or := make([]string, 2000)
	for i := range or {
		or[i] = "id = 1"
	}
	for name, sql := range map[string]string{
		"5000-row insert":    "INSERT INTO t (a, b, c) VALUES " + strings.Join(values, ", "),
		"20000-item IN list": "SELECT * FROM t WHERE id IN (" + strings.Join(in, ", ") + ")",
		"2000-term OR chain": "SELECT * FROM t WHERE " + strings.Join(or, " OR "),
		"500-term sum":       "SELECT 1" + strings.Repeat("+1", 500),
		"200-way UNION ALL":  "SELECT 1" + strings.Repeat(" UNION ALL SELECT 1", 200),
	} {
		if _, err := Translate(sql, Limits{}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The limits are settings: a smaller bound refuses what the default
// accepts, naming the setting.
func TestLimitsAreSettings(t *testing.T) {
	sql := "SELECT 1" + strings.Repeat("+1", 50)
	if _, err := Translate(sql, Limits{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Translate(sql, Limits{MaxExpressionDepth: 10}); !apierror.Is(err, apierror.ResourceLimitExceeded) {
		t.Errorf("depth 10: %v", err)
	}
	if _, err := Translate(sql, Limits{MaxStatementComplexity: 100}); !apierror.Is(err, apierror.ResourceLimitExceeded) {
		t.Errorf("complexity 100: %v", err)
	}
}
