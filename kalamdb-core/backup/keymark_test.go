package backup_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestRestoredTableReadsGeneratedKeys: a restored table's keys were not
// issued by this database's generator, so the restore marks it, whatever
// record of its keys the store holds (here one left for the same table
// id and creation time, which a restore of a dropped table would meet),
// and a generated key that meets a restored one fails as a duplicate
// instead of replacing the row.
func TestRestoredTableReadsGeneratedKeys(t *testing.T) {
	s := newServer(t, t.TempDir())
	s.must(`CREATE NAMESPACE app;
		CREATE TABLE app.t (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), body TEXT) WITH (TYPE = 'SHARED')`)
	// After a restart with the _seq lease an hour ahead, the generator
	// issues ids from first on, in order; the backup holds keys it reaches.
	lease := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	node := ids.NodeOf(s.must("SELECT SNOWFLAKE_ID()")[0].Rows[0][0].(int64))
	first := ids.FirstOfMillisecond(lease.Add(time.Millisecond)) | node<<ids.SeqBits
	var values []string
	for i := range 10 {
		values = append(values, fmt.Sprintf("(%d, 'restored')", first+200+int64(i)))
	}
	s.must("INSERT INTO app.t (id, body) VALUES " + strings.Join(values, ", "))
	ct, _ := s.db.Catalog.Snapshot().Table("app", "t")
	created := ct.Meta.CreatedAt
	s.mustJob("BACKUP DATABASE app TO 'b'")
	s.must("DROP NAMESPACE app CASCADE")

	meta, err := s.kv.ColumnFamily("engine_meta")
	if err != nil {
		t.Fatal(err)
	}
	var raw [8]byte
	binary.BigEndian.PutUint64(raw[:], uint64(created.UnixNano()))
	if err := meta.Put([]byte("keys_generated/"+systable.TableID("app", "t")), raw[:]); err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint64(raw[:], uint64(lease.UnixMilli()))
	if err := meta.Put([]byte("seq_lease"), raw[:]); err != nil {
		t.Fatal(err)
	}
	s.close()
	s.open()
	s.mustJob("RESTORE DATABASE app FROM 'b'")
	ct, _ = s.db.Catalog.Snapshot().Table("app", "t")
	if clean, err := s.db.Txns.KeysClean(ct); err != nil || clean {
		t.Fatalf("restored table clean: %v, %v", clean, err)
	}
	dups := 0
	for i := range 160 {
		_, err := s.exec(fmt.Sprintf("INSERT INTO app.t (body) VALUES ('generated %d')", i))
		if err == nil {
			continue
		}
		var ae *apierror.Error
		if !errors.As(err, &ae) || ae.Code != apierror.InvalidInput || !strings.Contains(ae.Message, "duplicate primary key id = ") {
			t.Fatalf("generated insert %d: %v", i, err)
		}
		dups++
	}
	if dups == 0 {
		t.Fatal("no generated key met a restored one")
	}
	got := s.rows(fmt.Sprintf("SELECT COUNT(*), MIN(body), MAX(body) FROM app.t WHERE id >= %d AND id <= %d", first+200, first+209))
	if got != "10 restored restored\n" {
		t.Fatalf("restored rows: %q", got)
	}
}
