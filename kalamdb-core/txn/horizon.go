package txn

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// RestoreHorizonsFamily holds, for each partition a RESTORE wrote rows
// into, its horizon: the newest _seq the restore wrote there (deleted
// versions included). Within a partition _seq follows commit order, so
// every commit the backup lacks has a _seq above its partition's horizon,
// and a live client whose resume point is at or below it saw only the
// backup's history (docs/live.md). Per partition rather than per table:
// a table-wide bound would refuse the clients of every partition but the
// busiest, and the partition's restored versions themselves cannot serve,
// as later writes replace them. Keyed like the counters
// (keyenc.CounterKey), so DROP TABLE deletes them the same way; each
// value carries the RestoredSeq of the restore that wrote it, so an
// entry left by an earlier restore of the same name is never taken for
// this one's.
const RestoreHorizonsFamily = "restore_horizons"

// PutRestoreHorizon records in b the horizon of partition owner ("" for a
// SHARED table) of table ns.table, restored with restoredSeq.
func PutRestoreHorizon(b *kv.Batch, cf *kv.ColumnFamily, ns, table, owner string, restoredSeq, horizon int64) {
	var v [16]byte
	binary.BigEndian.PutUint64(v[:8], uint64(restoredSeq))
	binary.BigEndian.PutUint64(v[8:], uint64(horizon))
	b.Put(cf, keyenc.CounterKey(ns, table, owner), v[:])
}

// RestoreHorizon reads the horizon PutRestoreHorizon recorded for the
// partition by the restore of restoredSeq. ok is false when that restore
// recorded none: the backup held no version of the partition, or the
// restore was made by a build that recorded no horizons.
func RestoreHorizon(db *kv.DB, ns, table, owner string, restoredSeq int64) (horizon int64, ok bool, err error) {
	cf, found := db.LookupColumnFamily(RestoreHorizonsFamily)
	if !found {
		return 0, false, nil
	}
	v, err := cf.Get(keyenc.CounterKey(ns, table, owner))
	if errors.Is(err, kv.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("txn: restore horizon: %w", err)
	}
	if len(v) != 16 || int64(binary.BigEndian.Uint64(v[:8])) != restoredSeq {
		return 0, false, nil
	}
	return int64(binary.BigEndian.Uint64(v[8:])), true, nil
}
