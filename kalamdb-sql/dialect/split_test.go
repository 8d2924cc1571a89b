package dialect

import (
	"reflect"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

func TestSplit(t *testing.T) {
	cases := []struct {
		name string
		sql  string
		want []Segment
	}{
		{"single", "SELECT 1", []Segment{{"SELECT 1", 0}}},
		{"trailing semicolon", "SELECT 1;", []Segment{{"SELECT 1", 0}}},
		{"surrounding space", "  SELECT 1  ;  ", []Segment{{"SELECT 1", 2}}},
		{"two", "SELECT 1; SELECT 2", []Segment{{"SELECT 1", 0}, {"SELECT 2", 10}}},
		{"empty statements dropped", ";; SELECT 1 ;;; SELECT 2 ;", []Segment{{"SELECT 1", 3}, {"SELECT 2", 16}}},
		{"semicolon in string", "SELECT 'a;b'; SELECT 2", []Segment{{"SELECT 'a;b'", 0}, {"SELECT 2", 14}}},
		{"escaped quote in string", "SELECT 'it''s; fine'; X", []Segment{{"SELECT 'it''s; fine'", 0}, {"X", 22}}},
		{"semicolon in quoted identifier", `SELECT "a;b", ` + "`c;d`" + ` FROM t; Y`, []Segment{{`SELECT "a;b", ` + "`c;d`" + ` FROM t`, 0}, {"Y", 28}}},
		{"semicolon in line comment", "SELECT 1 -- no; split\n; SELECT 2", []Segment{{"SELECT 1", 0}, {"SELECT 2", 24}}},
		{"semicolon in block comment", "SELECT /* ; */ 1; SELECT 2", []Segment{{"SELECT /* ; */ 1", 0}, {"SELECT 2", 18}}},
		{"leading comment not in text", "-- header\n/* x */ SELECT 1", []Segment{{"SELECT 1", 18}}},
		{"comment-only segment dropped", "SELECT 1; -- just a comment\n; /* and this */; SELECT 2", []Segment{{"SELECT 1", 0}, {"SELECT 2", 46}}},
		{"multiline", "CREATE TABLE t (\n  a INT\n);\nSELECT *\nFROM t", []Segment{{"CREATE TABLE t (\n  a INT\n)", 0}, {"SELECT *\nFROM t", 28}}},
		{"backslash is literal", `SELECT 'C:\'; SELECT 2`, []Segment{{`SELECT 'C:\'`, 0}, {"SELECT 2", 14}}},
		{"dollar placeholder", "SELECT $1;SELECT ?", []Segment{{"SELECT $1", 0}, {"SELECT ?", 10}}},
		{"escape string", `SELECT E'it\'s; x'; SELECT 2`, []Segment{{`SELECT E'it\'s; x'`, 0}, {"SELECT 2", 20}}},
		{"dollar quote", "SELECT $q$a;'b$q$; SELECT $$;$$", []Segment{{"SELECT $q$a;'b$q$", 0}, {"SELECT $$;$$", 19}}},
		{"nested comment", "SELECT /* a /* ; */ ; */ 1; SELECT 2", []Segment{{"SELECT /* a /* ; */ ; */ 1", 0}, {"SELECT 2", 28}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Split(tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Split(%q)\n got %+v\nwant %+v", tc.sql, got, tc.want)
			}
			for _, seg := range got {
				if tc.sql[seg.Offset:seg.Offset+len(seg.Text)] != seg.Text {
					t.Fatalf("segment %q is not at offset %d", seg.Text, seg.Offset)
				}
			}
		})
	}
}

func TestSplitErrors(t *testing.T) {
	cases := []struct {
		sql  string
		code apierror.Code
		msg  string
		pos  int
	}{
		{"", apierror.EmptySQL, "no statement", 0},
		{" \n\t ", apierror.EmptySQL, "no statement", 0},
		{"-- comment", apierror.EmptySQL, "no statement", 0},
		{"/* a */ ; -- b\n ;", apierror.EmptySQL, "no statement", 0},
		{";;;", apierror.EmptySQL, "no statement", 0},
		{"SELECT 'abc", apierror.BatchParseError, "unterminated string literal starting at position 8", 8},
		{"SELECT 1; SELECT 'it''s", apierror.BatchParseError, "unterminated string literal starting at position 18", 18},
		{`SELECT "abc`, apierror.BatchParseError, "unterminated quoted identifier starting at position 8", 8},
		{"SELECT `abc", apierror.BatchParseError, "unterminated quoted identifier", 8},
		{"SELECT 1 /* never closed; SELECT 2", apierror.BatchParseError, "unterminated block comment starting at position 10", 10},
		{"SELECT 1;\n'", apierror.BatchParseError, "unterminated string literal", 11},
		{"SELECT E'a\\'; SELECT 2", apierror.BatchParseError, "unterminated string literal", 8},
		{"SELECT $x$ a; SELECT 2", apierror.BatchParseError, "unterminated dollar-quoted string", 8},
		{"SELECT /* /* */ ; SELECT 2", apierror.BatchParseError, "unterminated block comment", 8},
	}
	for _, tc := range cases {
		segs, err := Split(tc.sql)
		if segs != nil {
			t.Errorf("%q: segments %+v returned with an error", tc.sql, segs)
		}
		checkErr(t, tc.sql, err, tc.code, tc.msg, tc.pos)
		// Parse reports the same error: nothing of a batch that cannot be
		// split runs.
		_, err = Parse(tc.sql)
		checkErr(t, tc.sql, err, tc.code, tc.msg, tc.pos)
	}
}

func TestSplitDetailsLineColumn(t *testing.T) {
	sql := "SELECT 1;\n  SELECT 'x"
	_, err := Split(sql)
	checkErr(t, sql, err, apierror.BatchParseError, "unterminated", 20)
	d := err.(*apierror.Error).Details.(map[string]any)
	if d["line"] != 2 || d["column"] != 10 {
		t.Fatalf("details = %v", d)
	}
}
