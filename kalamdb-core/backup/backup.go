package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Options configure a Service.
type Options struct {
	DB      *kv.DB
	Catalog *catalog.Catalog
	Tier    *tier.Manager
	Jobs    *jobs.Manager
	Txns    *txn.Manager
	// Opener opens backup locations. Required.
	Opener Opener
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AfterSnapshot, when set, runs once a backup has its snapshot and
	// before it copies anything (tests run compactions there).
	AfterSnapshot func()
	// Failpoint, when set, is called at each named crash point of a
	// backup or a restore (FailBackup*, FailRestore*; crash tests only).
	Failpoint func(point string)
	// SigningKey signs the backups written and checks the signatures of
	// the backups restored (SigningKey of the storage secret key; nil:
	// backups are written unsigned, and no restore trusts a backup).
	SigningKey []byte
	// OnUnsigned, when set, is told of each backup written unsigned (no
	// SigningKey), to warn the operator.
	OnUnsigned func(namespace, location string)
}

// Crash points of a backup or a restore, where crash tests make the process exit to
// prove that what a killed backup leaves is cleaned up at the next start.
const (
	FailBackupBeforeSnapshot = "backup.before_snapshot" // the statement's checks passed, the job has no snapshot yet
	FailBackupBeforeFiles    = "backup.before_files"    // hot and index files written, no Parquet copied
	FailBackupBeforeRecord   = "backup.before_record"   // backup.json written, not yet in the registry
	FailRestoreAfterFile     = "restore.after_file"     // a restore copied one more Parquet file into a table's storage
	FailRestoreAfterCommit   = "restore.after_commit"   // the restored namespace is visible, its pending entry not yet cleared
)

func (s *Service) failpoint(name string) {
	if s.o.Failpoint != nil {
		s.o.Failpoint(name)
	}
}

// Service runs backups and restores of namespaces and keeps the registry
// of backups taken (SHOW BACKUPS).
type Service struct {
	o        Options
	registry *kv.ColumnFamily

	mu sync.Mutex
	// writing holds the places (Opener.Check) of the backups being
	// written: a backup whose place overlaps one of them is refused, so
	// that no backup's files mix with, or are removed by, another's.
	writing map[string]bool
}

// registryFamily holds one JSON Record per backup taken.
const registryFamily = "system_backups"

// New returns the backup service, and queues a recovery job for each
// backup or restore a dead process left pending (pending.go,
// restorepending.go). It is made once per database, at its start, before
// any backup or restore runs: a second Service over the same database
// would take the first one's backups and restores in progress for dead
// ones.
func New(o Options) (*Service, error) {
	if o.DB == nil || o.Catalog == nil || o.Tier == nil || o.Jobs == nil || o.Txns == nil || o.Opener == nil {
		return nil, errors.New("backup: DB, Catalog, Tier, Jobs, Txns and Opener are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cf, err := o.DB.ColumnFamily(registryFamily)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	s := &Service{o: o, registry: cf, writing: map[string]bool{}}
	if err := s.submitRecoveries(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := s.submitRestoreRecoveries(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return s, nil
}

// jobKey makes backups and restores of one namespace run one at a time.
func jobKey(ns string) string { return "backup-namespace:" + ns }

// SubmitBackup checks the namespace, the caller's right to back it up
// (mayBackUp) and the location, and starts a backup job; it returns the
// job id.
func (s *Service) SubmitBackup(ns, location string, by Caller) (string, error) {
	if _, ok := s.o.Catalog.Snapshot().Namespace(ns); !ok {
		return "", apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", ns)
	}
	if err := s.checkCaller(ns, by); err != nil {
		return "", err
	}
	place, err := s.o.Opener.Check(location)
	if err != nil {
		return "", err
	}
	if err := s.mayGoTo(location, by); err != nil {
		return "", err
	}
	if err := s.busy(place, location); err != nil {
		return "", err
	}
	return s.o.Jobs.Submit(jobs.Spec{Type: jobs.TypeBackup, NamespaceID: ns, Key: jobKey(ns),
		Parameters: map[string]string{"location": location}},
		func(ctx context.Context, p *jobs.Progress) (any, error) {
			man, err := s.Backup(ctx, ns, location, by, p)
			if err != nil {
				return nil, err
			}
			return summary(man, location), nil
		})
}

// Result is a backup or restore job's result.
type Result struct {
	Namespace string `json:"namespace"`
	Location  string `json:"location"`
	Tables    int    `json:"tables"`
	Rows      int64  `json:"rows"`
	Bytes     int64  `json:"bytes"`
	Files     int    `json:"files"`
	Users     int    `json:"users"`
	// PasswordsOmitted says the backup holds no password hashes (it was
	// taken by a dba).
	PasswordsOmitted bool `json:"passwords_omitted,omitempty"`
	// DroppedOwnersOmitted is how many dropped users' partitions a dba's
	// backup left out.
	DroppedOwnersOmitted int `json:"dropped_owners_omitted,omitempty"`
	// UsersCreated and UsersMapped are a restore's: accounts created, and
	// backup users whose rows went to an existing account of that name.
	UsersCreated int   `json:"users_created,omitempty"`
	UsersMapped  int   `json:"users_mapped,omitempty"`
	MaxSeq       int64 `json:"max_seq"`
	// UsersWithoutPassword are the names of the accounts a restore
	// created without a password (the backup held none), and Note says
	// what that means for them.
	UsersWithoutPassword []string `json:"users_without_password,omitempty"`
	Note                 string   `json:"note,omitempty"`
	// Signed says the backup carries a signature (signing.go).
	Signed bool `json:"signed"`
	// Trusted is a restore's: whether the backup's signature is this
	// server's and matches, and a system user took it. When it is not,
	// UntrustedReason says why, and the restore followed the rules of a
	// dba's restore.
	Trusted         *bool  `json:"trusted,omitempty"`
	UntrustedReason string `json:"untrusted_reason,omitempty"`
}

func summary(man *Manifest, location string) *Result {
	return &Result{Namespace: man.Namespace, Location: location, Tables: len(man.Tables), Rows: man.Rows,
		Bytes: man.Bytes, Files: len(man.Files), Users: man.Users, PasswordsOmitted: man.PasswordsOmitted,
		DroppedOwnersOmitted: man.DroppedOwnersOmitted, MaxSeq: man.MaxSeq, Signed: man.Signature != nil}
}

// Backup writes a backup of namespace ns to location for caller by (see
// the package doc). On failure everything it wrote is removed.
func (s *Service) Backup(ctx context.Context, ns, location string, by Caller, p *jobs.Progress) (man *Manifest, err error) {
	place, err := s.o.Opener.Check(location)
	if err != nil {
		return nil, err
	}
	// Again as the job runs: the storage may have been placed anew.
	gen := s.o.Catalog.Snapshot().StorageGeneration()
	if err := s.mayGoTo(location, by); err != nil {
		return nil, err
	}
	release, err := s.reserve(place, location)
	if err != nil {
		return nil, err
	}
	defer release()
	st, discardDir, err := s.o.Opener.Create(ctx, location)
	if err != nil {
		return nil, err
	}
	// And once more on what Create opened: it resolved the location's
	// storage again, and an ALTER STORAGE between the check above and
	// Create (a non-system account pointing it at a server of its own)
	// would have the whole backup written there. Create's client keeps
	// the settings it was built with; only a system user can make the
	// storage system-placed again, so a storage that passes now was
	// system-placed, or made so by a system user, when Create read it.
	if err := s.mayGoTo(location, by); err != nil {
		_ = st.Close()
		discardDir()
		return nil, err
	}
	// Create resolved the location itself, between the two checks: a
	// storage created there and dropped again (one of the same bucket
	// whose prefix shares more of the location, placed by a dba) would
	// have had the backup written with its settings and credentials, and
	// neither check would see it. Unchanged storages mean Create saw
	// what the check before it saw.
	if by.Role == systable.RoleSystem && strings.HasPrefix(location, "s3://") && s.o.Catalog.Snapshot().StorageGeneration() != gen {
		_ = st.Close()
		discardDir()
		return nil, apierror.New(apierror.SQLExecutionError,
			"the storages changed while the backup of %s opened %s (the location resolves to a storage's bucket); nothing was written, run it again", ns, location)
	}
	// The place was empty: from here on what is in it is this backup's,
	// and the pending entry says so, for the next start to clean up if the
	// process dies before this backup ends either way.
	if err := s.begin(pendingBackup{Namespace: ns, Location: location, Place: place, StartedAt: s.o.Now().UTC()}); err != nil {
		_ = st.Close()
		discardDir()
		return nil, fmt.Errorf("backup of %s to %s: %w", ns, location, err)
	}
	out := &sink{st: st}
	defer func() {
		if err != nil {
			// Cleanup must reach the store even when the job was
			// cancelled; if it does not finish, the pending entry stays
			// and the next start finishes it.
			if out.discard(context.WithoutCancel(ctx)) == nil {
				_ = s.end(place)
			}
			discardDir()
			return
		}
		_ = st.Close()
	}()
	man, err = s.write(ctx, ns, by, out, p)
	if err != nil {
		return nil, fmt.Errorf("backup of %s to %s: %w", ns, location, err)
	}
	s.failpoint(FailBackupBeforeRecord)
	if err = s.record(man, location); err != nil {
		return nil, fmt.Errorf("backup of %s to %s: %w", ns, location, err)
	}
	_ = s.end(place) // a leftover entry only makes the next start check a whole backup
	if man.Signature == nil && s.o.OnUnsigned != nil {
		s.o.OnUnsigned(ns, location)
	}
	return man, nil
}

// busy refuses a place that overlaps a backup being written.
func (s *Service) busy(place, location string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.busyLocked(place, location)
}

func (s *Service) busyLocked(place, location string) error {
	for w := range s.writing {
		if w == place || strings.HasPrefix(w, place+"/") || strings.HasPrefix(place, w+"/") {
			return apierror.New(apierror.AlreadyExists, "backup location %s overlaps a backup being written (%s); wait for it to end", location, w)
		}
	}
	return nil
}

// reserve marks place as written to until release.
func (s *Service) reserve(place, location string) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.busyLocked(place, location); err != nil {
		return nil, err
	}
	s.writing[place] = true
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.writing, place)
	}, nil
}

// write takes the snapshot and writes every file of the backup, backup.json
// last. Whether by may take this backup, and whether it gets the password
// hashes, is decided at the snapshot before anything is written: a dba
// may be reading the location.
func (s *Service) write(ctx context.Context, ns string, by Caller, out *sink, p *jobs.Progress) (*Manifest, error) {
	s.failpoint(FailBackupBeforeSnapshot)
	snap, err := s.o.Tier.OpenPinnedSnapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	if s.o.AfterSnapshot != nil {
		s.o.AfterSnapshot()
	}
	cat, err := s.readCatalog(snap.Snapshot, ns)
	if err != nil {
		return nil, err
	}
	withPasswords, err := s.mayBackUp(snap.Snapshot, cat, by)
	if err != nil {
		return nil, err
	}
	cat.PasswordsOmitted = !withPasswords
	man := &Manifest{Format: FormatVersion, Product: product, Namespace: ns, CreatedAt: s.o.Now().UTC(), Views: len(cat.Views),
		PasswordsOmitted: !withPasswords}
	parts, err := s.partitionsFor(snap.Snapshot, withPasswords)
	if err != nil {
		return nil, err
	}
	owners := map[string]bool{}
	for _, v := range cat.Views {
		owners[v.CreatedBy] = true
	}
	for _, m := range cat.Tables {
		sum := TableSummary{Name: m.TableName, Type: string(m.TableType)}
		if err := s.writeHot(ctx, snap.Snapshot, m, out, &sum, owners, parts, &man.MaxSeq, p); err != nil {
			return nil, err
		}
		if err := s.writeIndex(ctx, snap.Snapshot, m, out, &sum, parts); err != nil {
			return nil, err
		}
		if err := s.readCounters(snap.Snapshot, m, cat, parts); err != nil {
			return nil, err
		}
		man.Tables = append(man.Tables, sum)
	}
	s.failpoint(FailBackupBeforeFiles)
	cat.Manifests = slices.DeleteFunc(cat.Manifests, func(mf *systable.Manifest) bool {
		return mf.UserID != "" && !parts.keep(mf.UserID)
	})
	man.DroppedOwnersOmitted = len(parts.omitted)
	// Manifests at the snapshot list files the pin keeps: copy them.
	for _, mf := range cat.Manifests {
		sum := summaryOf(man, mf.TableName)
		m := tableMeta(cat, mf.TableName)
		if sum == nil || m == nil {
			return nil, fmt.Errorf("manifest %s has no table", mf.ManifestID)
		}
		if mf.UserID != "" {
			owners[mf.UserID] = true
		}
		if err := s.copyFiles(ctx, m, mf, out, sum, &man.MaxSeq, p); err != nil {
			return nil, err
		}
	}
	delete(owners, "")
	if err := s.readUsers(snap.Snapshot, owners, cat, withPasswords); err != nil {
		return nil, err
	}
	man.Users = len(cat.Users)
	if err := writeJSON(ctx, out, catalogName, cat); err != nil {
		return nil, err
	}
	for _, t := range man.Tables {
		man.Rows += t.HotVersions + t.ColdRows
	}
	for _, f := range out.files {
		man.Bytes += f.Size
	}
	man.Files = append([]File(nil), out.files...)
	sort.Slice(man.Files, func(i, j int) bool { return man.Files[i].Path < man.Files[j].Path })
	if err := sign(man, s.o.SigningKey); err != nil {
		return nil, err
	}
	if err := writeJSON(ctx, out, ManifestName, man); err != nil {
		return nil, err
	}
	return man, nil
}

func summaryOf(man *Manifest, table string) *TableSummary {
	for i := range man.Tables {
		if man.Tables[i].Name == table {
			return &man.Tables[i]
		}
	}
	return nil
}

func tableMeta(cat *catalogFile, table string) *systable.TableMeta {
	for _, m := range cat.Tables {
		if m.TableName == table {
			return m
		}
	}
	return nil
}

// readCatalog reads the namespace's system rows at the snapshot: the
// namespace, its tables with every schema version, its views and its
// partitions' manifests.
func (s *Service) readCatalog(snap *kv.Snapshot, ns string) (*catalogFile, error) {
	cat := &catalogFile{}
	nss, err := scanJSON[systable.Namespace](s.o.DB, snap, systable.Namespaces.Family, "")
	if err != nil {
		return nil, err
	}
	for _, n := range nss {
		if n.NamespaceID == ns {
			cat.Namespace = n
		}
	}
	if cat.Namespace == nil {
		return nil, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", ns)
	}
	prefix := systable.TableID(ns, "")
	if cat.Tables, err = scanJSON[systable.TableMeta](s.o.DB, snap, systable.Tables.Family, prefix); err != nil {
		return nil, err
	}
	if cat.Schemas, err = scanJSON[systable.TableSchema](s.o.DB, snap, systable.TableSchemas.Family, prefix); err != nil {
		return nil, err
	}
	if cat.Views, err = scanJSON[systable.View](s.o.DB, snap, systable.Views.Family, prefix); err != nil {
		return nil, err
	}
	if cat.Manifests, err = scanJSON[systable.Manifest](s.o.DB, snap, systable.Manifests.Family, prefix); err != nil {
		return nil, err
	}
	return cat, nil
}

// scanJSON reads the JSON rows of a system family under a key prefix at
// snap.
func scanJSON[T any](db *kv.DB, snap *kv.Snapshot, family, prefix string) ([]*T, error) {
	cf, ok := db.LookupColumnFamily(family)
	if !ok {
		return nil, nil
	}
	o := kv.PrefixOptions([]byte(prefix))
	o.Snapshot = snap
	it, err := cf.NewIter(o)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []*T
	for ok := it.First(); ok; ok = it.Next() {
		v := new(T)
		if err := json.Unmarshal(it.Value(), v); err != nil {
			return nil, fmt.Errorf("read %s row %q: %w", family, it.Key(), err)
		}
		out = append(out, v)
	}
	return out, it.Error()
}

// ownerOf is the partition owner of a hot key of a table partitioned per
// user: the user id before the separator.
func ownerOf(key []byte) (string, bool) {
	i := bytes.IndexByte(key, keyenc.PartitionSeparator)
	if i <= 0 {
		return "", false
	}
	return string(key[:i]), true
}

// writeHot copies the hot versions of a table, deleted ones included, as
// they are stored: key (partition prefix and primary key) and row value
// (schema version, _seq, _deleted, columns).
func (s *Service) writeHot(ctx context.Context, snap *kv.Snapshot, m *systable.TableMeta, out *sink,
	sum *TableSummary, owners map[string]bool, parts *partitions, maxSeq *int64, p *jobs.Progress) error {
	family := schema.FamilyName(m.TableType, m.NamespaceID, m.TableName)
	cf, ok := s.o.DB.LookupColumnFamily(family)
	if !ok {
		return apierror.New(apierror.TableNotFound, "table %s was dropped during the backup", m.TableID)
	}
	perUser := m.TableType != dialect.TableTypeShared
	return writeFamily(ctx, cf, snap, out, hotPath(m.TableName), func(k, v []byte) (bool, error) {
		if m.TableType == dialect.TableTypeStream && keyenc.IsLegacyStreamKey(k) {
			return false, nil // no owner: never read, swept at start
		}
		if perUser {
			o, ok := ownerOf(k)
			if !ok {
				return false, fmt.Errorf("table %s: hot key without a user partition", m.TableID)
			}
			if !parts.keep(o) {
				return false, nil
			}
			owners[o] = true
		}
		h, err := row.DecodeHeader(v)
		if err != nil {
			return false, fmt.Errorf("table %s: %w", m.TableID, err)
		}
		*maxSeq = max(*maxSeq, h.Seq)
		sum.HotVersions++
		if h.Deleted {
			sum.HotDeleted++
		}
		p.AddRows(1)
		return true, nil
	})
}

// writeIndex copies a table's secondary index entries, which the snapshot
// shows consistent with its rows.
func (s *Service) writeIndex(ctx context.Context, snap *kv.Snapshot, m *systable.TableMeta, out *sink, sum *TableSummary,
	parts *partitions) error {
	if len(m.Indexes) == 0 {
		return nil
	}
	cf, ok := s.o.DB.LookupColumnFamily(schema.IndexFamilyName(m.NamespaceID, m.TableName))
	if !ok {
		return nil
	}
	perUser := m.TableType != dialect.TableTypeShared
	return writeFamily(ctx, cf, snap, out, indexPath(m.TableName), func(k, v []byte) (bool, error) {
		if perUser {
			// An entry is the index id (4 bytes), then the row's
			// partition prefix (tables.Index.IndexPrefix).
			o, ok := ownerOf(k[min(len(k), 4):])
			if !ok {
				return false, fmt.Errorf("table %s: index entry without a user partition", m.TableID)
			}
			if !parts.keep(o) {
				return false, nil
			}
		}
		sum.IndexEntries++
		return true, nil
	})
}

// writeFamily writes the pairs of a family at snap that keep accepts to a
// record file.
func writeFamily(ctx context.Context, cf *kv.ColumnFamily, snap *kv.Snapshot, out *sink, name string,
	keep func(k, v []byte) (bool, error)) error {
	it, err := cf.NewIter(kv.IterOptions{Snapshot: snap})
	if err != nil {
		return err
	}
	defer it.Close()
	f, err := out.create(ctx, name)
	if err != nil {
		return err
	}
	defer f.abort()
	w := newRecordWriter(f)
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		use, err := keep(it.Key(), it.Value())
		if err != nil {
			return err
		}
		if !use {
			continue
		}
		if err := w.put(it.Key(), it.Value()); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	if err := w.finish(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return f.commit()
}

// readCounters adds a table's buffered-row counters at snap.
func (s *Service) readCounters(snap *kv.Snapshot, m *systable.TableMeta, cat *catalogFile, parts *partitions) error {
	if m.TableType == dialect.TableTypeStream {
		return nil
	}
	cf, ok := s.o.DB.LookupColumnFamily(txn.CountersFamily)
	if !ok {
		return nil
	}
	prefix := keyenc.CounterPrefix(m.NamespaceID, m.TableName)
	o := kv.PrefixOptions(prefix)
	o.Snapshot = snap
	it, err := cf.NewIter(o)
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		n, ok := kv.DecodeCounter(it.Value())
		if !ok {
			continue
		}
		owner := string(it.Key()[len(prefix):])
		if owner != "" && !parts.keep(owner) {
			continue
		}
		cat.Counters = append(cat.Counters, counter{Table: m.TableName, Owner: owner, Value: n})
	}
	return it.Error()
}

// copyFiles copies the Parquet files of one partition's manifest and
// rewrites the manifest to name them by their paths in the backup.
func (s *Service) copyFiles(ctx context.Context, m *systable.TableMeta, mf *systable.Manifest, out *sink,
	sum *TableSummary, maxSeq *int64, p *jobs.Progress) error {
	st, ok := s.o.Catalog.Snapshot().Storage(m.StorageID)
	if !ok {
		return apierror.New(apierror.NotFound, "storage %s of table %s does not exist", m.StorageID, m.TableID)
	}
	fsys, err := s.o.Tier.Storage(st)
	if err != nil {
		return err
	}
	files := make([]systable.ManifestFile, len(mf.Files))
	for i, f := range mf.Files {
		dst := coldPath(m.TableName, mf.UserID, path.Base(f.Path))
		n, err := copyFile(ctx, fsys, f.Path, out, dst)
		if err != nil {
			return fmt.Errorf("copy %s of table %s: %w", f.Path, m.TableID, err)
		}
		p.AddBytes(n)
		sum.ColdRows += f.Rows
		sum.ParquetFiles++
		*maxSeq = max(*maxSeq, f.MaxSeq)
		f.Path = dst
		files[i] = f
	}
	mf.Files = files
	return nil
}

// copyFile copies a file from a storage into the backup.
func copyFile(ctx context.Context, fsys cold.Storage, src string, out *sink, dst string) (int64, error) {
	h, err := fsys.Open(ctx, src)
	if err != nil {
		return 0, err
	}
	defer h.Close()
	f, err := out.create(ctx, dst)
	if err != nil {
		return 0, err
	}
	defer f.abort()
	// Reads with ctx: a cancelled backup stops a long copy, and ends the
	// GET in flight from an s3 storage at once.
	n, err := io.Copy(f, io.NewSectionReader(cold.ReaderAt(ctx, h), 0, h.Size()))
	if err != nil {
		return 0, err
	}
	return n, f.commit()
}

// readUsers adds the rows of the users with ids in owners, as of snap,
// with their password hashes only when withPasswords. An owner without a
// row (a dropped user) has none.
func (s *Service) readUsers(snap *kv.Snapshot, owners map[string]bool, cat *catalogFile, withPasswords bool) error {
	users, err := scanJSON[systable.User](s.o.DB, snap, systable.Users.Family, "")
	if err != nil {
		return err
	}
	for _, u := range users {
		if owners[u.UserID] {
			if !withPasswords {
				u.PasswordHash = ""
			}
			cat.Users = append(cat.Users, u)
		}
	}
	owned := make([]string, 0, len(owners))
	for o := range owners {
		owned = append(owned, o)
	}
	sort.Strings(owned)
	cat.Owners = owned
	return nil
}

// writeJSON writes v as a JSON file of the backup.
func writeJSON(ctx context.Context, out *sink, name string, v any) error {
	raw, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	f, err := out.create(ctx, name)
	if err != nil {
		return err
	}
	defer f.abort()
	if _, err := f.Write(raw); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return f.commit()
}
