package app

import (
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// A namespace named pg_catalog left by an older version is reported at
// every start, with the way to PostgreSQL's pg_catalog; a data directory
// without one logs nothing.
func TestLegacyPgCatalogIsReportedAtStart(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		db, err := kv.Open(t.TempDir(), kv.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if legacy {
			nss, err := systable.Open(db, systable.Namespaces)
			if err == nil {
				err = nss.Put(&systable.Namespace{NamespaceID: catalog.PGCatalog})
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		cat, err := catalog.Open(db, catalog.Options{BcryptCost: bcrypt.MinCost})
		if err != nil {
			t.Fatal(err)
		}
		core, logs := observer.New(zapcore.InfoLevel)
		logLegacyPGCatalog(cat, zap.New(core))
		entries := logs.All()
		if !legacy {
			if len(entries) != 0 {
				t.Errorf("without a stored pg_catalog: %v", entries)
			}
			continue
		}
		if len(entries) != 1 || entries[0].Level != zapcore.WarnLevel ||
			!strings.Contains(entries[0].ContextMap()["fix"].(string), "DROP NAMESPACE pg_catalog CASCADE") {
			t.Errorf("with a stored pg_catalog: %v", entries)
		}
	}
}
