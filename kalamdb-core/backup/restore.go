package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
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

// maxCatalogBytes bounds catalog.json as read back.
const maxCatalogBytes = 256 << 20

// restoreBatchBytes is roughly how much one batch of restored pairs holds.
const restoreBatchBytes = 4 << 20

// RoleCheck says whether the caller may create a user with a role (a
// restore creates the backup's missing users).
type RoleCheck func(systable.Role) error

// SubmitRestore checks what can be checked at once (the namespace is
// free, the location holds a backup of it in a format this server reads,
// its catalog is intact, the caller may create its users, and the rules
// of a dba's restore where they apply: caller.go) and starts the restore
// job. With ifNotExists an existing namespace is left alone: skipped is
// true and nothing runs.
func (s *Service) SubmitRestore(ctx context.Context, ns, location string, ifNotExists bool, by Caller, mayCreate RoleCheck) (jobID string, skipped bool, err error) {
	if _, ok := s.o.Catalog.Snapshot().Namespace(ns); ok {
		if ifNotExists {
			return "", true, nil
		}
		return "", false, apierror.New(apierror.AlreadyExists,
			"namespace %s already exists; RESTORE only restores into a namespace that does not exist (drop it first, or use IF NOT EXISTS)", ns)
	}
	pr, err := s.prepare(ctx, ns, location, by, mayCreate)
	if err != nil {
		return "", false, err
	}
	_ = pr.st.Close()
	id, err := s.o.Jobs.Submit(jobs.Spec{Type: jobs.TypeRestore, NamespaceID: ns, Key: jobKey(ns),
		Parameters: map[string]string{"location": location}},
		func(ctx context.Context, p *jobs.Progress) (any, error) {
			return s.Restore(ctx, ns, location, by, mayCreate, p)
		})
	return id, false, err
}

// prepared is a backup opened and checked for a restore.
type prepared struct {
	st   cold.Storage
	src  *source
	cat  *catalogFile
	plan *catalog.UserPlan
	// trust is what the backup's signature says; dbaRules whether the
	// restore follows the rules of a dba's restore (caller.go): its
	// caller is a dba (byDBA), or the backup is not trusted.
	trust    trust
	dbaRules bool
	byDBA    bool
	// by is the caller, role its role as of the job's start (roleNow):
	// the commit checks it still has it (checkCaller).
	by   Caller
	role systable.Role
	// mayCreate says whether the caller may create a user of a role
	// (checkNamesakes).
	mayCreate RoleCheck
	// seqsUntil bounds, in an untrusted backup, the time of every _seq
	// (checkSeq); zero in a trusted one.
	seqsUntil time.Time
}

func (s *Service) prepare(ctx context.Context, ns, location string, by Caller, mayCreate RoleCheck) (*prepared, error) {
	st, err := s.o.Opener.Open(ctx, location)
	if err != nil {
		return nil, err
	}
	p, err := s.prepareFrom(ctx, st, ns, location, by, mayCreate)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	return p, nil
}

func (s *Service) prepareFrom(ctx context.Context, st cold.Storage, ns, location string, by Caller, mayCreate RoleCheck) (*prepared, error) {
	src, err := openSource(ctx, st, location)
	if err != nil {
		return nil, err
	}
	tr := verify(src.man, s.o.SigningKey)
	if tr.ok && src.man.PasswordsOmitted {
		// This server signs a dba's backup too, and a restore matches
		// its users by name: trusted in full, the rows a dba wrote as a
		// plain user would go into the partition of a system user of
		// that name here. What a dba took, a dba's rules restore.
		tr = trust{reason: "it was taken by a dba (it holds what a dba may read and write)"}
	}
	// The role as of now, not only at the statement: the job may run
	// after the caller was demoted (as mayBackUp).
	role := s.roleNow(by)
	byDBA := role != systable.RoleSystem
	if src.man.Namespace != ns {
		// A backup restores under the name it was taken of: its tables'
		// ids, views and manifests name that namespace.
		return nil, apierror.New(apierror.Unsupported,
			"restoring a backup under another namespace name is not supported: the backup at %s is of namespace %s, not %s; restore it as RESTORE DATABASE %s FROM '%s' (that namespace must not exist)",
			location, src.man.Namespace, ns, src.man.Namespace, location)
	}
	raw, err := src.readVerified(ctx, catalogName, maxCatalogBytes)
	if err != nil {
		return nil, err
	}
	cat := &catalogFile{}
	if err := json.Unmarshal(raw, cat); err != nil {
		return nil, corruptErr(fmt.Errorf("%s: %w", catalogName, err))
	}
	if err := checkCatalog(cat, ns); err != nil {
		return nil, err
	}
	if src.man.PasswordsOmitted || cat.PasswordsOmitted {
		// Taken by a dba: whatever a user row holds, the backup says it
		// has no password to restore.
		for _, u := range cat.Users {
			u.PasswordHash = ""
		}
	}
	dbaRules := byDBA || !tr.ok
	plan := s.o.Catalog.PlanUsers
	if dbaRules {
		// The rows of a user dropped here stay in storage: an account
		// given its id (a forged backup's user) would own them.
		plan = s.o.Catalog.PlanUsersNewIDs
	}
	users, err := plan(cat.Users, cat.Owners)
	if err != nil {
		return nil, err
	}
	pr := &prepared{st: st, src: src, cat: cat, plan: users, trust: tr, dbaRules: dbaRules, byDBA: byDBA, by: by, role: role,
		mayCreate: mayCreate}
	for _, u := range users.Create {
		if err := mayCreate(u.Role); err != nil {
			return nil, apierror.New(apierror.PermissionDenied, "restoring %s creates user %s with role %s, which you may not create: %s",
				ns, u.Username, u.Role, apiMessage(err))
		}
	}
	if err := s.checkDBARules(pr); err != nil {
		return nil, err
	}
	if !tr.ok {
		pr.seqsUntil = s.o.Now().Add(maxSeqAhead)
		if err := pr.checkCatalogSeqs(); err != nil {
			return nil, err
		}
	}
	return pr, nil
}

// maxSeqAhead is how far past this server's clock the _seq of an
// untrusted backup may be. A restore makes the _seq generator observe the
// largest _seq it restores, for good (the lease keeps it across
// restarts): a forged one near the end of the snowflake range would leave
// every later _seq there, then past it, on the whole server. A dba may
// forge one (a restore of their own backup, edited, runs under their own
// rules), so an untrusted backup's _seq is held to this clock; a day
// ahead is no clock skew between two servers.
const maxSeqAhead = 24 * time.Hour

// checkSeq refuses, in an untrusted backup, a _seq (of what) further than
// maxSeqAhead past this server's clock.
func (pr *prepared) checkSeq(what string, seq int64) error {
	if pr.seqsUntil.IsZero() {
		return nil
	}
	if at := ids.TimeOf(seq); at.After(pr.seqsUntil) {
		return apierror.New(apierror.InvalidInput,
			"restoring %s: %s has _seq %d, of %s, more than %s past this server's clock; an untrusted backup (%s) may not move the _seq generator that far",
			pr.cat.Namespace.NamespaceID, what, seq, at.Format(time.RFC3339), maxSeqAhead, pr.trust.reason)
	}
	return nil
}

// checkCatalogSeqs is checkSeq of what the catalog and the manifest say:
// the backup's max_seq and its Parquet files' _seq ranges. The hot rows'
// are checked as they are read (restoreTable).
func (pr *prepared) checkCatalogSeqs() error {
	if err := pr.checkSeq("its backup.json", pr.src.man.MaxSeq); err != nil {
		return err
	}
	for _, mf := range pr.cat.Manifests {
		for _, f := range mf.Files {
			if err := pr.checkSeq("file "+f.Path, max(f.MinSeq, f.MaxSeq)); err != nil {
				return err
			}
		}
	}
	return nil
}

func apiMessage(err error) string {
	if ae, ok := apierror.As(err); ok {
		return ae.Message
	}
	return err.Error()
}

// checkCatalog refuses a catalog.json whose rows are not all of namespace
// ns or whose names could leave the places a restore writes to.
func checkCatalog(cat *catalogFile, ns string) error {
	if cat.Namespace == nil || cat.Namespace.NamespaceID != ns {
		return corruptErr(errors.New("catalog.json is not of the namespace the manifest names"))
	}
	// A null row (JSON null in a list) is no row: it would be
	// dereferenced below, and by the restore.
	if slices.Contains(cat.Tables, nil) || slices.Contains(cat.Views, nil) || slices.Contains(cat.Schemas, nil) ||
		slices.Contains(cat.Manifests, nil) || slices.Contains(cat.Users, nil) {
		return corruptErr(errors.New("catalog.json has a null row"))
	}
	for _, u := range cat.Users {
		// Created as stored, an account with no role would have no
		// rights, and nothing would say why; mapped to a namesake, its
		// role decides what the namesake may get (checkNamesakes).
		if !u.Role.Valid() {
			return corruptErr(fmt.Errorf("catalog.json: user '%s' (id %s) has role %q, which is no role (user, service, dba or system)",
				u.Username, u.UserID, u.Role))
		}
	}
	tables := map[string]bool{}
	for _, m := range cat.Tables {
		if m.NamespaceID != ns || m.TableID != systable.TableID(ns, m.TableName) || !safeName(m.TableName) {
			return corruptErr(fmt.Errorf("catalog.json has a bad table %q", m.TableID))
		}
		if tables[m.TableName] {
			// Restored twice: each copy a family and an incarnation of
			// its own, the files tagged with one, the table another's.
			return corruptErr(fmt.Errorf("catalog.json has table %q twice", m.TableID))
		}
		tables[m.TableName] = true
	}
	for _, v := range cat.Views {
		if v.NamespaceID != ns || v.ViewID != systable.TableID(ns, v.ViewName) {
			return corruptErr(fmt.Errorf("catalog.json has a bad view %q", v.ViewID))
		}
	}
	for _, sc := range cat.Schemas {
		if _, name, _ := strings.Cut(sc.TableID, ":"); !tables[name] || sc.TableID != systable.TableID(ns, name) {
			return corruptErr(fmt.Errorf("catalog.json has a schema of no table (%q)", sc.TableID))
		}
	}
	for _, mf := range cat.Manifests {
		if mf.NamespaceID != ns || !tables[mf.TableName] || mf.UserID != "" && keyenc.ValidateUserID(mf.UserID) != nil {
			return corruptErr(fmt.Errorf("catalog.json has a bad manifest %q", mf.ManifestID))
		}
		if mf.NextBatch < 1 || mf.NextBatch > maxNextBatch {
			// The partition's next file would be named batch-0-T.parquet
			// (or worse): no batch file's name, never removed. Near the
			// top of int64, a few flushes make it so, the number wrapped.
			return corruptErr(fmt.Errorf("catalog.json: manifest %q has next batch %d", mf.ManifestID, mf.NextBatch))
		}
		for _, f := range mf.Files {
			// Restored under a fresh name of its batch (restoreFiles):
			// a file not named as one has no batch, and kept under its
			// name it would be no writer's to remove, or, named
			// manifest.json, overwritten by the partition's mirror.
			if !tier.IsBatchName(path.Base(f.Path)) {
				return corruptErr(fmt.Errorf("catalog.json: manifest %q lists %q, not a batch file's name", mf.ManifestID, f.Path))
			}
		}
	}
	return nil
}

// maxNextBatch bounds a restored manifest's next batch number: no
// partition is flushed and compacted 2^53 times.
const maxNextBatch = 1 << 53

// safeName is a table name that is one path segment and one family name
// part.
func safeName(n string) bool {
	return n != "" && n != "." && n != ".." && !strings.ContainsAny(n, "/\\:\x00")
}

// restorer undoes a failed restore: the families it created and the files
// it wrote.
type restorer struct {
	s        *Service
	families []string
	// copies are the partition copies planned, touched those whose
	// directory a copy began writing into (by index).
	copies  []partitionCopy
	touched map[int]bool
	// pending is the id of the restore's pending entry, once recorded.
	pending string
	// owners are the ids here of the partitions it wrote hot rows or
	// index entries of.
	owners map[string]bool
	// maxSeq is the largest _seq of the hot rows written; hot counts
	// them by partition (table and backup owner: counterOf).
	maxSeq int64
	hot    map[string]int64
	// horizons is the newest _seq of the hot rows written, by partition
	// (table and owner here); commit adds the Parquet files'.
	horizons map[partitionHere]int64
}

// partitionHere names a partition of a restored table by its owner's id
// on this server ("" for a SHARED table).
type partitionHere struct{ table, owner string }

// counterOf names the partition of table and backup user owner ("" for a
// SHARED table) in restorer.hot.
func counterOf(table, owner string) string { return table + "\x00" + owner }

// rollback reports whether everything the restore wrote is gone: else
// the restore's pending entry stays, for the next start to remove the
// rest (restorepending.go). Each directory a copy began writing into is
// cleaned as a recovery cleans it (cleanRestoreDir): the files tagged
// with the restore's incarnation, and the unfinished writes (on an object
// store the multipart upload of a copy that failed, whose abort may have
// failed too). A family that stays is dropped at the next start (no table
// owns it).
func (r *restorer) rollback(ctx context.Context) (clean bool) {
	for _, f := range r.families {
		_ = r.s.o.DB.DropColumnFamily(f)
	}
	clean = true
	dirs := restoreDirs(r.copies)
	emptied := map[cold.Storage]map[string]bool{}
	for i := range r.touched {
		c := r.copies[i]
		if _, err := r.s.cleanRestoreDir(ctx, c.fsys, dirs[i]); err != nil {
			clean = false
			continue
		}
		if c.storage.StorageType == catalog.StorageFilesystem { // an object store has no directories
			addDirs(emptied, c.fsys, c.dir)
		}
	}
	for st, dirs := range emptied {
		removeDirs(ctx, st, dirs)
	}
	return clean
}

// Restore restores namespace ns from the backup at location (see the
// package doc). Everything is written where nothing reads it yet (column
// families and files of tables the catalog does not have) and made
// visible by one catalog commit; any failure before it removes what was
// written.
func (s *Service) Restore(ctx context.Context, ns, location string, by Caller, mayCreate RoleCheck, p *jobs.Progress) (res *Result, err error) {
	release, err := s.o.Catalog.ReserveNamespace(ns)
	if err != nil {
		return nil, err
	}
	defer release()
	pr, err := s.prepare(ctx, ns, location, by, mayCreate)
	if err != nil {
		return nil, err
	}
	defer pr.st.Close()
	if err := pr.src.checkSizes(ctx); err != nil {
		return nil, err
	}
	// Each restored table is a new incarnation of its id (even though it
	// has the id and creation time of the table the backup was taken
	// from, which may have been dropped just before): its files are
	// named after it, so the cleanup of a dropped table of that id never
	// takes them for its own.
	for _, m := range pr.cat.Tables {
		m.Incarnation = catalog.NewIncarnation()
	}
	r := &restorer{s: s, touched: map[int]bool{}, owners: map[string]bool{}, hot: map[string]int64{},
		horizons: map[partitionHere]int64{}}
	defer func() {
		// Not on a dying goroutine (err is nil then): a dead process
		// leaves its pending entry for the next start.
		if err != nil {
			if r.rollback(context.WithoutCancel(ctx)) && r.pending != "" {
				_ = s.endRestore(r.pending) // else it stays: the next start removes what the rollback could not
			}
			err = fmt.Errorf("restore of %s from %s (nothing was restored): %w", ns, location, err)
		}
	}()
	copies, err := r.planFiles(pr)
	if err != nil {
		return nil, err
	}
	r.copies = copies
	// Before anything is written: from here a process that dies leaves
	// files that only this entry says are no table's.
	if err := r.begin(ns, location, pr, copies); err != nil {
		return nil, err
	}
	for _, m := range pr.cat.Tables {
		if err := r.restoreTable(ctx, pr, m, p); err != nil {
			return nil, err
		}
	}
	manifests, err := r.copyFiles(ctx, pr, copies, p)
	if err != nil {
		return nil, err
	}
	tables, err := s.commit(pr, manifests, r)
	if err != nil {
		return nil, err
	}
	s.failpoint(FailRestoreAfterCommit)
	// Committed: the files are the tables'. A leftover entry (this write
	// failing, or the process dying first) makes the next start find the
	// tables live and remove nothing.
	_ = s.endRestore(r.pending)
	res = summary(pr.src.man, location)
	res.UsersCreated = len(pr.plan.Create)
	res.UsersMapped = len(pr.plan.Existing)
	res.UsersWithoutPassword, res.Note = withoutPassword(pr.plan.Create)
	res.Trusted, res.UntrustedReason = &pr.trust.ok, pr.trust.reason
	// The tables are restored; what is left is housekeeping whose failure
	// does not undo them.
	_ = s.o.Tier.TablesRestored(context.WithoutCancel(ctx), tables)
	return res, nil
}

// withoutPassword lists the created users that have no password, and
// says what that means. A user without a password hash cannot sign in
// (only root may be without a password, and only from localhost) until
// a dba or system user gives it one.
func withoutPassword(created []*systable.User) (names []string, note string) {
	for _, u := range created {
		if u.PasswordHash == "" {
			names = append(names, u.Username)
		}
	}
	if len(names) == 0 {
		return nil, ""
	}
	slices.Sort(names)
	list := strings.Join(names[:min(len(names), 10)], ", ")
	if len(names) > 10 {
		list += fmt.Sprintf(" and %d more", len(names)-10)
	}
	return names, fmt.Sprintf("the backup holds no passwords (a dba took it): the %s created (%s) cannot sign in until a dba or system user sets a password with ALTER USER '...' SET PASSWORD '...'",
		apierror.Count(len(names), "user"), list)
}

// newFamily creates an empty column family for a restored table. One left
// by a crash (no table owns it) is dropped first.
func (r *restorer) newFamily(name string) (*kv.ColumnFamily, error) {
	if _, ok := r.s.o.DB.LookupColumnFamily(name); ok {
		if err := r.s.o.DB.DropColumnFamily(name); err != nil {
			return nil, err
		}
	}
	cf, err := r.s.o.DB.ColumnFamily(name)
	if err != nil {
		return nil, err
	}
	r.families = append(r.families, name)
	return cf, nil
}

// restoreTable writes a table's hot versions and index entries into new
// families, moving each partition to its owner's id here.
func (r *restorer) restoreTable(ctx context.Context, pr *prepared, m *systable.TableMeta, p *jobs.Progress) error {
	cf, err := r.newFamily(schema.FamilyName(m.TableType, m.NamespaceID, m.TableName))
	if err != nil {
		return err
	}
	perUser := m.TableType != dialect.TableTypeShared
	remap := func(k []byte, skip int) ([]byte, error) {
		if !perUser {
			return k, nil
		}
		owner, ok := ownerOf(k[skip:])
		if !ok {
			return nil, corruptErr(fmt.Errorf("table %s: key without a user partition", m.TableID))
		}
		to, ok := pr.plan.IDs[owner]
		if !ok {
			return nil, corruptErr(fmt.Errorf("table %s: rows of user %s, who is not in the backup", m.TableID, owner))
		}
		if !r.owners[to] {
			// Known only as the rows are read: refused here, the
			// restore is rolled back.
			if err := r.s.checkOwner(pr, to); err != nil {
				return nil, err
			}
			r.owners[to] = true
		}
		out := make([]byte, 0, len(k)-len(owner)+len(to))
		out = append(out, k[:skip]...)
		out = append(out, to...)
		return append(out, k[skip+len(owner):]...), nil
	}
	hot := func(k, v []byte) ([]byte, error) {
		h, err := row.DecodeHeader(v)
		if err != nil {
			return nil, corruptErr(fmt.Errorf("table %s: a hot row: %w", m.TableID, err))
		}
		if err := pr.checkSeq("a hot row of table "+m.TableID, h.Seq); err != nil {
			return nil, err
		}
		r.maxSeq = max(r.maxSeq, h.Seq)
		owner := ""
		if perUser {
			owner, _ = ownerOf(k) // remap refuses a key without one
		}
		r.hot[counterOf(m.TableName, owner)]++
		out, err := remap(k, 0)
		if err != nil {
			return nil, err
		}
		here := partitionHere{table: m.TableName}
		if perUser {
			here.owner = pr.plan.IDs[owner] // remap refuses an owner without one
		}
		r.horizons[here] = max(r.horizons[here], h.Seq)
		return out, nil
	}
	if err := r.restoreFamily(ctx, pr.src, hotPath(m.TableName), cf, hot, p); err != nil {
		return err
	}
	if _, ok := pr.src.files[indexPath(m.TableName)]; !ok {
		return nil
	}
	icf, err := r.newFamily(schema.IndexFamilyName(m.NamespaceID, m.TableName))
	if err != nil {
		return err
	}
	// An index key is the index id (4 bytes), then the partition prefix.
	return r.restoreFamily(ctx, pr.src, indexPath(m.TableName), icf, func(k, _ []byte) ([]byte, error) {
		if len(k) < 4 {
			return nil, corruptErr(fmt.Errorf("index of %s: short key", m.TableID))
		}
		return remap(k, 4)
	}, nil)
}

// restoreFamily writes the pairs of a record file into cf in batches,
// each under the key key makes of it (and its value).
func (r *restorer) restoreFamily(ctx context.Context, src *source, name string, cf *kv.ColumnFamily,
	key func(k, v []byte) ([]byte, error), p *jobs.Progress) error {
	f, err := src.open(ctx, name)
	if err != nil {
		return err
	}
	defer f.Close()
	rr, err := newRecordReader(f, name)
	if err != nil {
		return err
	}
	var b kv.Batch
	size := 0
	flush := func() error {
		if b.Len() == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		err := r.s.o.DB.Write(&b)
		b.Reset()
		size = 0
		return err
	}
	for {
		ok, err := rr.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		k, err := key(rr.k, rr.v)
		if err != nil {
			return err
		}
		k = append([]byte(nil), k...) // the batch keeps it; the reader reuses its buffer
		v := append([]byte(nil), rr.v...)
		b.Put(cf, k, v)
		if p != nil {
			p.AddRows(1)
		}
		if size += len(k) + len(v); size >= restoreBatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// partitionCopy is where a restore copies one partition's files.
type partitionCopy struct {
	meta     *systable.TableMeta
	backup   *systable.Manifest // as the backup has it
	restored *systable.Manifest // as restored: its id and owner here, Files set by copyFiles
	storage  *systable.Storage
	fsys     cold.Storage
	dir      string
}

// planFiles finds, for each partition of the backup, the directory of the
// owner's id here in its table's storage, and opens the storages.
func (r *restorer) planFiles(pr *prepared) ([]partitionCopy, error) {
	snap := r.s.o.Catalog.Snapshot()
	out := make([]partitionCopy, 0, len(pr.cat.Manifests))
	for _, mf := range pr.cat.Manifests {
		m := tableMeta(pr.cat, mf.TableName)
		st, ok := snap.Storage(m.StorageID)
		if !ok {
			return nil, apierror.New(apierror.NotFound, "storage %s of table %s does not exist here; create it before restoring", m.StorageID, m.TableID)
		}
		fsys, err := r.s.o.Tier.WritableStorage(st)
		if err != nil {
			return nil, err
		}
		owner := mf.UserID
		if owner != "" {
			if owner, ok = pr.plan.IDs[mf.UserID]; !ok {
				return nil, corruptErr(fmt.Errorf("manifest %s: user %s is not in the backup", mf.ManifestID, mf.UserID))
			}
		}
		if role := restoredRole(snap, pr.plan, owner); len(mf.Files) > 0 && m.TableType == dialect.TableTypeUser &&
			!catalog.MayHoldSystemPartitions(st) && (role == systable.RoleSystem || role == "") {
			// As flush keeps such a partition hot (tier), a restore does
			// not copy its files there; it changes nothing instead. A
			// dropped owner's partition (no account: role "", kept only
			// by a system user's backup) counts as a system user's, as
			// in flush: its role is gone and may have been system.
			return nil, apierror.New(apierror.PermissionDenied,
				"table %s holds Parquet files of system user (or dropped user) %s, and its storage %s is an s3 storage placed by a non-system account, "+
					"which never holds a system user's files; a system user can re-place the storage (ALTER STORAGE %s, restating its location) before restoring",
				m.TableID, owner, st.StorageID, st.StorageID)
		}
		cp := *mf
		cp.ManifestID, cp.UserID = systable.ManifestID(m.NamespaceID, m.TableName, owner), owner
		out = append(out, partitionCopy{meta: m, backup: mf, restored: &cp, storage: st, fsys: fsys,
			dir: catalog.PartitionPath(st, &catalog.Table{Meta: m}, owner)})
	}
	return out, nil
}

// restoredRole is the role the user of id (here) has once the restore
// commits: an existing user's, or the one the plan creates it with; ""
// for a dropped owner (a partition owner the backup has no user row of).
func restoredRole(snap *catalog.Snapshot, plan *catalog.UserPlan, id string) systable.Role {
	if u, ok := snap.User(id); ok {
		return u.Role
	}
	for _, u := range plan.Create {
		if u.UserID == id {
			return u.Role
		}
	}
	return ""
}

// begin records the restore as pending, with the directories it copies
// into (restorepending.go).
func (r *restorer) begin(ns, location string, pr *prepared, copies []partitionCopy) error {
	pending := pendingRestore{ID: newRestoreID(), Namespace: ns, Location: location, StartedAt: r.s.o.Now().UTC(),
		Incarnations: make(map[string]string, len(pr.cat.Tables))}
	for _, m := range pr.cat.Tables {
		pending.Incarnations[m.TableName] = m.Incarnation
	}
	if err := r.s.beginRestore(pending, restoreDirs(copies)); err != nil {
		return err
	}
	r.pending = pending.ID
	return nil
}

// copyFiles copies the Parquet files into the tables' storages, at the
// partition directories of the owners' ids here, and returns the
// manifests rewritten to list them there.
func (r *restorer) copyFiles(ctx context.Context, pr *prepared, copies []partitionCopy, p *jobs.Progress) ([]*systable.Manifest, error) {
	out := make([]*systable.Manifest, 0, len(copies))
	for ci, c := range copies {
		cp := c.restored
		cp.Files = make([]systable.ManifestFile, len(c.backup.Files))
		for i, f := range c.backup.Files {
			// Under a new name of the same batch, not the backup's, and
			// tagged with the restored table's incarnation: the directory
			// may still hold the files of the table the backup was taken
			// from, dropped, with those very names, which its cleanup job
			// is removing (it removes the files tagged with the dropped
			// table's incarnation, and listed by its manifests), or a
			// stale job of it writing.
			name, ok := tier.FreshBatchName(path.Base(f.Path), c.meta.Incarnation)
			if !ok { // checkCatalog refused such a name
				return nil, corruptErr(fmt.Errorf("manifest %s lists %q, not a batch file's name", c.backup.ManifestID, f.Path))
			}
			dst := path.Join(c.dir, name)
			// Marked before the copy, which makes the directories, and
			// before its commit: one that fails after publishing must
			// still be undone.
			r.touched[ci] = true
			if err := r.copyIn(ctx, pr.src, f.Path, c.fsys, dst); err != nil {
				return nil, err
			}
			if err := pr.checkFileSeqs(ctx, c.fsys, dst, f); err != nil {
				return nil, err
			}
			r.s.failpoint(FailRestoreAfterFile)
			p.AddBytes(f.Bytes)
			f.Path = dst
			cp.Files[i] = f
		}
		out = append(out, cp)
	}
	return out, nil
}

// checkCallerRole refuses, at the commit, a restore whose caller has
// lost role since the job's start: what the restore may do (the rules of
// a dba's restore or not, the users it may create) was decided with that
// role, and a caller demoted while the files were copied (a system user
// made a dba) would otherwise commit with the trust it no longer has.
// (A caller without an account at the start already had the rules of a
// dba's restore.)
func (s *Service) checkCallerRole(pr *prepared) error {
	if now := s.roleNow(pr.by); pr.role.Valid() && !now.AtLeast(pr.role) {
		return apierror.New(apierror.PermissionDenied,
			"the account that asked for the restore of %s (id %s) is no longer of role %s, with which the restore started; nothing was restored",
			pr.cat.Namespace.NamespaceID, pr.by.UserID, pr.role)
	}
	return nil
}

// checkFileSeqs refuses, in an untrusted backup, a Parquet file (copied
// to p of fsys, from the backup entry f) whose rows' _seq range is not
// the range f gives. That range is what checkSeq bounds, what the _seq
// generator observes and the partition's restore horizon (commit), and
// what reads order the partition's files by; it is the backup's word, as
// are the file's rows. A row past it would win over every later write of
// its key (the highest _seq wins every read): a row no UPDATE or DELETE
// reaches. A range wider than the rows (max_seq raised) would make the
// horizon cover commits the backup lacks, so a live client that saw them
// would resume without the rows it holds of them being taken back
// (docs/live.md); reads would also take the file for newer than it is. A file
// written by this server always has its rows' range (the writer records
// it from them), so a disagreeing one is edited or damaged: refused, not
// corrected. The copy is read, not the backup's file: it is what the
// restore publishes. (A trusted backup's ranges are this server's, under
// its signature.)
func (pr *prepared) checkFileSeqs(ctx context.Context, fsys cold.Storage, p string, f systable.ManifestFile) error {
	if pr.seqsUntil.IsZero() {
		return nil
	}
	cf, err := cold.OpenFile(ctx, fsys, p)
	if err != nil {
		return corruptErr(fmt.Errorf("file %s: %w", f.Path, err))
	}
	defer cf.Close()
	lo, hi, rows := int64(math.MaxInt64), int64(math.MinInt64), 0
	err = cf.ScanBatches(ctx, cf.Schema(), nil, cold.Range{}, func(b *cold.Batch) error {
		for _, seq := range b.Seq[:b.Len] {
			if seq < f.MinSeq || seq > f.MaxSeq {
				return apierror.New(apierror.InvalidInput,
					"restoring %s: file %s has a row of _seq %d, outside the _seq range %d..%d its manifest entry gives; an untrusted backup (%s) may not hold rows newer than it says",
					pr.cat.Namespace.NamespaceID, f.Path, seq, f.MinSeq, f.MaxSeq, pr.trust.reason)
			}
			lo, hi, rows = min(lo, seq), max(hi, seq), rows+1
		}
		return nil
	})
	if err != nil {
		return err
	}
	if rows == 0 || lo != f.MinSeq || hi != f.MaxSeq {
		held := "no rows"
		if rows > 0 {
			held = fmt.Sprintf("rows of _seq %d..%d", lo, hi)
		}
		return apierror.New(apierror.InvalidInput,
			"restoring %s: file %s holds %s, not the _seq range %d..%d its manifest entry gives; the backup was changed or damaged since it was written, and an untrusted backup (%s) is restored only as its rows are",
			pr.cat.Namespace.NamespaceID, f.Path, held, f.MinSeq, f.MaxSeq, pr.trust.reason)
	}
	return nil
}

// copyIn copies a backup file into a storage, checked against the
// manifest before it is published.
func (r *restorer) copyIn(ctx context.Context, src *source, from string, fsys cold.Storage, to string) error {
	in, err := src.open(ctx, from)
	if err != nil {
		return err
	}
	defer in.Close()
	w, err := fsys.Create(ctx, to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, in); err != nil { // in reads with ctx
		_ = w.Abort() // if this fails, the rollback's cleanup of the directory aborts it, or the next start's
		return err
	}
	if err := w.Commit(); err != nil {
		return err
	}
	return nil
}

// commit makes the namespace visible: its catalog rows, the manifests and
// counters, and the _seq lease, in one batch. The _seq generator observes
// the largest _seq restored: the hot rows' (r) and the Parquet files'
// (their manifest entries, whose ranges are their rows': checkFileSeqs,
// or this server's signature), and a trusted backup's max_seq, which is
// theirs. An untrusted backup's max_seq is not used (nothing it restores
// justifies more), and its counters of buffered rows are bounded by the
// hot rows of their partitions: a forged one would make the flush policy
// start a flush of the partition at every check. Each table records as its
// RestoredSeq a _seq issued then, which the lease covers too, and each
// partition restored its horizon (txn.RestoreHorizonsFamily), which
// live resumes are checked against.
func (s *Service) commit(pr *prepared, manifests []*systable.Manifest, r *restorer) ([]*catalog.Table, error) {
	cat := pr.cat
	views := make([]*systable.View, len(cat.Views))
	for i, v := range cat.Views {
		cp := *v
		if to, ok := pr.plan.IDs[v.CreatedBy]; ok {
			cp.CreatedBy = to
		}
		views[i] = &cp
	}
	counters, err := s.o.DB.ColumnFamily(txn.CountersFamily)
	if err != nil {
		return nil, err
	}
	horizons, err := s.o.DB.ColumnFamily(txn.RestoreHorizonsFamily)
	if err != nil {
		return nil, err
	}
	seq := r.maxSeq
	// Never backup.json's max_seq: a horizon above the rows would accept
	// a resume from a commit the backup lacks.
	for _, mf := range manifests {
		here := partitionHere{table: mf.TableName, owner: mf.UserID}
		for _, f := range mf.Files {
			seq = max(seq, f.MaxSeq)
			r.horizons[here] = max(r.horizons[here], f.MaxSeq)
		}
	}
	if pr.trust.ok {
		seq = max(seq, pr.src.man.MaxSeq)
	}
	// A _seq between the backup's and this one is of no version of the
	// restored tables: a client that resumes from one saw commits the
	// backup does not hold (live.Manager refuses it).
	restoredSeq := s.o.Txns.RestoreSeq(seq)
	for _, m := range cat.Tables {
		m.RestoredSeq = restoredSeq
	}
	return s.o.Catalog.RestoreNamespace(&catalog.NamespaceRestore{
		Namespace: cat.Namespace, Tables: cat.Tables, Schemas: cat.Schemas, Views: views, Users: pr.plan,
		Work: func(b *kv.Batch) (func(bool), error) {
			// Under the catalog's lock: a role changed since the
			// checks before is seen here.
			if err := s.checkCallerRole(pr); err != nil {
				return nil, err
			}
			if err := s.checkNamesakes(pr, s.o.Catalog.Snapshot()); err != nil {
				return nil, err
			}
			if err := s.checkOwners(pr, r.owners, true); err != nil {
				return nil, err
			}
			// Each manifest counts as a write in progress until the
			// batch is written or has failed (tier.PutManifestInBatch).
			var ends []func()
			endAll := func() {
				for _, end := range ends {
					end()
				}
			}
			for _, mf := range manifests {
				end, err := s.o.Tier.PutManifestInBatch(b, mf)
				if err != nil {
					endAll()
					return nil, err
				}
				ends = append(ends, end)
			}
			for _, c := range cat.Counters {
				owner := c.Owner
				if owner != "" {
					to, ok := pr.plan.IDs[owner]
					if !ok {
						continue
					}
					owner = to
				}
				v := c.Value
				if !pr.trust.ok {
					v = min(max(v, 0), r.hot[counterOf(c.Table, c.Owner)])
				}
				b.SetCounter(counters, keyenc.CounterKey(cat.Namespace.NamespaceID, c.Table, owner), v)
			}
			// Each partition's horizon, for live resumes (docs/live.md).
			for p, h := range r.horizons {
				txn.PutRestoreHorizon(b, horizons, cat.Namespace.NamespaceID, p.table, p.owner, restoredSeq, h)
			}
			// The restored keys were not issued by this database's
			// generator: every INSERT into these tables reads its key.
			marked := s.o.Txns.MarkRestored(b, cat.Tables)
			covered := s.o.Txns.CoverSeq(b, seq, restoredSeq)
			return func(ok bool) {
				endAll()
				covered(ok)
				if ok {
					marked()
				}
			}, nil
		},
	})
}
