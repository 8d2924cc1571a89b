package app

import (
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// A table whose TTL an older version stored past the bound is named once
// at start, with the stored value and the one it is read as.
func TestLogDurationProblemsNamesTheTable(t *testing.T) {
	db, err := kv.Open(t.TempDir(), kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cat, err := catalog.Open(db, catalog.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.CreateNamespace("app", false); err != nil {
		t.Fatal(err)
	}
	st := &dialect.CreateTable{Table: dialect.TableName{Namespace: "app", Name: "ev"}, TableType: dialect.TableTypeStream,
		Columns: []dialect.ColumnDef{{Name: "id", Type: dialect.DataType{Name: dialect.TypeInt}}}}
	if _, err := cat.CreateTable(st, nil); err != nil {
		t.Fatal(err)
	}
	tables, err := systable.Open(db, systable.Tables)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tables.Get("app:ev")
	if err != nil {
		t.Fatal(err)
	}
	m.TTLSeconds = 9_300_000_000
	if err := tables.Put(m); err != nil {
		t.Fatal(err)
	}
	if cat, err = catalog.Open(db, catalog.Options{BcryptCost: bcrypt.MinCost}); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.InfoLevel)
	logDurationProblems(cat, zap.New(core))
	entries := logs.All()
	if len(entries) != 1 || entries[0].Level != zap.WarnLevel {
		t.Fatalf("logged %+v, want one warning", entries)
	}
	f := entries[0].ContextMap()
	if f["table"] != "app:ev" || len(f["values"].([]any)) != 1 || f["values"].([]any)[0] != "TTL_SECONDS = 9300000000 (read as 3153600000)" {
		t.Fatalf("fields %v", f)
	}
}
