package executor

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// TestParseCacheAnswersAsParse: whatever the cache holds, parse gives
// what dialect.Parse gives (statements, kinds, texts, error positions),
// for texts that share slots and replace each other, batches, other
// statements (never kept) and texts too long to keep.
func TestParseCacheAnswersAsParse(t *testing.T) {
	c := newParseCache()
	long := "SELECT " + strings.Repeat("1 + ", maxParsedText/4) + "1"
	texts := []string{
		"SELECT 1", "SELECT 1 ", " SELECT 1", "select 1", "SELECT 1; SELECT 2",
		"SELECT id FROM app.t WHERE id = $1", "INSERT INTO app.t (a) VALUES ($1)",
		"UPDATE app.t SET a = 1 WHERE id = 2", "DELETE FROM app.t WHERE id = 3",
		"BEGIN; INSERT INTO app.t (a) VALUES (1); COMMIT", "CREATE NAMESPACE n",
		"EXECUTE AS USER 'bob' (SELECT 1)", "SELECT 'unterminated", "", ";", "SELEC 1",
		long,
	}
	for i := range 3 * parseSlots {
		texts = append(texts, fmt.Sprintf("SELECT %d FROM app.t WHERE id = $1", i))
	}
	for round := range 3 {
		for _, text := range texts {
			got, gotErr := c.parse(text)
			want, wantErr := dialect.Parse(text)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, %.40q: cache %v %v, parse %v %v", round, text, got, gotErr, want, wantErr)
			}
		}
	}
	// Kept: standard SQL only, short enough.
	for _, tc := range []struct {
		text string
		kept bool
	}{
		{"SELECT id FROM app.t WHERE id = $1", true},
		{"SELECT 1; SELECT 2", true},
		{"CREATE NAMESPACE n", false},
		{"BEGIN; INSERT INTO app.t (a) VALUES (1); COMMIT", false},
		{long, false},
	} {
		a, _ := c.parse(tc.text)
		b, _ := c.parse(tc.text)
		if kept := &a[0] == &b[0]; kept != tc.kept {
			t.Errorf("%.40q: kept %v, want %v", tc.text, kept, tc.kept)
		}
	}
}

// TestParseCacheConcurrentUse: goroutines parsing texts that share slots
// each get their own text's statements (run it under -race).
func TestParseCacheConcurrentUse(t *testing.T) {
	c := newParseCache()
	texts := make([]string, 2*parseSlots)
	for i := range texts {
		texts[i] = fmt.Sprintf("SELECT %d FROM app.t WHERE id = $1", i)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				text := texts[(i*7+g*131)%len(texts)]
				got, err := c.parse(text)
				if err != nil || len(got) != 1 || got[0].Text() != text {
					errs <- fmt.Sprintf("%q: %v %v", text, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}
