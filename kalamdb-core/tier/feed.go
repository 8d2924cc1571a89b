package tier

import (
	"fmt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// FeedSnapshot is the snapshot of a partition feed (OpenPartitionFeed):
// it pins the Parquet files of the manifests it sees, however long it
// stays open (a live subscription that loads is bounded by
// live.Options.LoadingIdleTimeout and LoadingMaxDuration).
type FeedSnapshot = PinnedSnapshot

// OpenPartitionFeed runs register (which adds a subscriber to the change
// feed) while no commit to the partition can be in flight, then takes a
// snapshot. Every commit to the partition is therefore either visible in
// the snapshot or published to the subscriber afterwards, never both and
// never neither: what a live query's initial data and its change stream
// rely on. The snapshot also keeps the Parquet files it sees until it is
// closed, however long that takes. The caller must Close it.
func (m *Manager) OpenPartitionFeed(t *catalog.Table, userID string, register func()) (*FeedSnapshot, error) {
	if _, ok := m.db.LookupColumnFamily(t.Family); !ok {
		return nil, apierror.New(apierror.TableNotFound, "table %s.%s was dropped", t.Meta.NamespaceID, t.Meta.TableName)
	}
	unlock := m.locks.Lock(txn.Partition{Family: t.Family, Owner: t.PartitionOwner(userID)})
	defer unlock()
	register()
	snap, err := m.OpenPinnedSnapshot()
	if err != nil {
		return nil, fmt.Errorf("open feed of %s.%s: %w", t.Meta.NamespaceID, t.Meta.TableName, err)
	}
	return snap, nil
}
