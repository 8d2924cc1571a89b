package backup

import (
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Caller is who asked for a backup: the account and its role at the
// statement.
type Caller struct {
	UserID string
	Role   systable.Role
}

// A backup goes where its caller may read it: a dba may define an s3
// storage on a bucket of its own and back up there. So a backup holds no
// more than its caller may read. A dba reads no password hash (no SELECT
// returns one) and no partition of a system user (EXECUTE AS takes a dba
// up to dba only): a dba's backup leaves the hashes out, and one of a
// namespace where a system user owns rows is refused. A view's creator
// owns no rows: its user row (without the hash) is in a dba's backup, as
// a dba reads it in system.users.

// mayGoTo refuses a system user's backup (it holds the password hashes,
// and the rows of system users) to an s3 location reached through a
// storage a non-system account placed (catalog.MayHoldSystemPartitions):
// that account may hold the bucket's credentials, or have pointed the
// storage at a server of its own, and read it there. A dba's backup holds
// nothing a dba may not read, and goes anywhere it may.
func (s *Service) mayGoTo(location string, by Caller) error {
	if by.Role != systable.RoleSystem || !strings.HasPrefix(location, "s3://") {
		return nil
	}
	st, _, err := s.o.Catalog.BackupS3Location(location)
	if err != nil {
		return err
	}
	if !catalog.MayHoldSystemPartitions(st) {
		return apierror.New(apierror.PermissionDenied,
			"a system user's backup holds password hashes and system users' rows, and %s is in the bucket of storage %s, an s3 storage placed by a non-system account; "+
				"a system user can re-place the storage (ALTER STORAGE %s, restating its location) first", location, st.StorageID, st.StorageID)
	}
	return nil
}

// checkCaller is mayBackUp as of now, for the statement: a refusal it
// can tell at once starts no job.
func (s *Service) checkCaller(ns string, by Caller) error {
	snap, err := s.o.DB.NewSnapshot()
	if err != nil {
		return err
	}
	defer snap.Close()
	cat, err := s.readCatalog(snap, ns)
	if err != nil {
		return err
	}
	_, err = s.mayBackUp(snap, cat, by)
	return err
}

// mayBackUp decides, as of snap, whether by may take the backup of the
// namespace cat is read from, and whether it holds the password hashes.
// The caller's role is the lower of its role at the statement and at
// snap: an account demoted (or dropped) since the statement gets no more
// than it has now. A role an owner gained since the statement counts too:
// what the backup holds is what snap holds.
func (s *Service) mayBackUp(snap *kv.Snapshot, cat *catalogFile, by Caller) (withPasswords bool, err error) {
	users, err := scanJSON[systable.User](s.o.DB, snap, systable.Users.Family, "")
	if err != nil {
		return false, err
	}
	role := systable.Role("")
	for _, u := range users {
		if u.UserID == by.UserID {
			role = lowerRole(by.Role, u.Role)
		}
	}
	switch {
	case role == systable.RoleSystem:
		return true, nil
	case !role.AtLeast(systable.RoleDBA):
		return false, apierror.New(apierror.PermissionDenied,
			"BACKUP DATABASE requires the dba role, which the account that asked for it (id %s) no longer has", by.UserID)
	}
	for _, u := range users {
		if u.Role != systable.RoleSystem {
			continue
		}
		owns, err := s.ownsPartition(snap, cat, u.UserID)
		if err != nil {
			return false, err
		}
		if owns {
			return false, apierror.New(apierror.PermissionDenied,
				"namespace %s holds rows of system user '%s'; only a system user may back it up", cat.Namespace.NamespaceID, u.Username)
		}
	}
	return false, nil
}

// roleNow is the lower of by's role at the statement and its role now
// (none when its account is gone).
func (s *Service) roleNow(by Caller) systable.Role {
	if u, ok := s.o.Catalog.Snapshot().User(by.UserID); ok {
		return lowerRole(by.Role, u.Role)
	}
	return ""
}

// lowerRole is the lower of two roles.
func lowerRole(a, b systable.Role) systable.Role {
	if a.AtLeast(b) {
		return b
	}
	return a
}

// ownsPartition reports whether user id owns a partition of a USER or
// STREAM table of cat as of snap: hot rows (deleted ones included, as the
// backup copies them) or a manifest, exactly the owners write finds.
func (s *Service) ownsPartition(snap *kv.Snapshot, cat *catalogFile, id string) (bool, error) {
	for _, mf := range cat.Manifests {
		if mf.UserID == id {
			return true, nil
		}
	}
	prefix := keyenc.AppendUserPrefix(nil, id)
	for _, m := range cat.Tables {
		if m.TableType == dialect.TableTypeShared {
			continue
		}
		cf, ok := s.o.DB.LookupColumnFamily(schema.FamilyName(m.TableType, m.NamespaceID, m.TableName))
		if !ok {
			continue // dropped: writeHot fails the backup
		}
		o := kv.PrefixOptions(prefix)
		o.Snapshot = snap
		it, err := cf.NewIter(o)
		if err != nil {
			return false, err
		}
		found := it.First()
		err = it.Error()
		_ = it.Close()
		if err != nil || found {
			return found, err
		}
	}
	return false, nil
}

// partitions decides which partitions a backup holds. The rows of a user
// dropped before the snapshot stay in storage, where no statement reaches
// them (none names a partition by id), so a dba, who reads only through
// statements, cannot read them, whatever role their owner had; a dropped
// system user's rows are the ones that matter. A dba's backup leaves
// them out; a system user's, which may hold everything, keeps them.
type partitions struct {
	users   map[string]bool // nil: every partition is kept
	omitted map[string]bool // owners left out so far
}

// partitionsFor is the partitions a backup holds as of snap: all of
// them for a system caller (withPasswords), the existing users' for a
// dba.
func (s *Service) partitionsFor(snap *kv.Snapshot, withPasswords bool) (*partitions, error) {
	p := &partitions{omitted: map[string]bool{}}
	if withPasswords {
		return p, nil
	}
	users, err := scanJSON[systable.User](s.o.DB, snap, systable.Users.Family, "")
	if err != nil {
		return nil, err
	}
	p.users = make(map[string]bool, len(users))
	for _, u := range users {
		p.users[u.UserID] = true
	}
	return p, nil
}

// keep reports whether the backup holds owner's partition, and counts
// the owners it leaves out.
func (p *partitions) keep(owner string) bool {
	if p.users == nil || p.users[owner] {
		return true
	}
	p.omitted[owner] = true
	return false
}

// A restore writes where its caller might not: a dba may not create a
// system user (RoleCheck) nor write into a system user's partition
// (EXECUTE AS takes a dba up to dba only), and a dba may write a backup
// that a system user restores (signing.go). So a restore follows the
// rules of a dba's restore, whoever runs it, unless a system user runs
// it and the backup's signature is this server's: it creates no system
// user and writes no row, index entry or counter into the partition of a
// system user here. Existing accounts are never changed by a restore,
// and the users it creates are below system, so that is all a forged
// backup reaches beyond what a dba may do with statements.

// why says why a restore under the dba rules refuses something.
func (pr *prepared) why() string {
	if pr.byDBA {
		return "a dba's restore never does (only a system user's restore of a backup a system user took and this server signed may)"
	}
	return "only a restore of a backup a system user took and this server signed may, and " + pr.trust.reason + ": the restore follows the rules of a dba's restore"
}

// checkDBARules refuses, under the dba rules, a restore that creates a
// system user or gives rows to one, as far as the manifests tell, and
// (every restore) one that gives a backup user's rows to a lower
// namesake here (checkNamesakes): the owners of hot rows are checked as
// they are read (checkOwner), and every owner and namesake again at the
// commit.
func (s *Service) checkDBARules(pr *prepared) error {
	for _, u := range pr.plan.Create {
		if pr.dbaRules && u.Role == systable.RoleSystem {
			return apierror.New(apierror.PermissionDenied, "restoring %s creates user %s with role system: %s",
				pr.cat.Namespace.NamespaceID, u.Username, pr.why())
		}
	}
	if err := s.checkNamesakes(pr, s.o.Catalog.Snapshot()); err != nil {
		return err
	}
	return s.checkOwners(pr, nil, false)
}

// checkOwners checks with checkOwner the owners here of the backup's
// manifests (and counters, with counters), and owners (ids here).
func (s *Service) checkOwners(pr *prepared, owners map[string]bool, counters bool) error {
	check := func(backupID string) error {
		if to, ok := pr.plan.IDs[backupID]; ok && backupID != "" {
			return s.checkOwner(pr, to)
		}
		return nil // no partition, or refused as damaged later
	}
	for _, mf := range pr.cat.Manifests {
		if err := check(mf.UserID); err != nil {
			return err
		}
	}
	for _, c := range pr.cat.Counters {
		if counters {
			if err := check(c.Owner); err != nil {
				return err
			}
		}
	}
	for id := range owners {
		if err := s.checkOwner(pr, id); err != nil {
			return err
		}
	}
	return nil
}

// checkOwner refuses, under the dba rules, rows for user id here when it
// is a system user now.
func (s *Service) checkOwner(pr *prepared, id string) error {
	if !pr.dbaRules {
		return nil
	}
	if u, ok := s.o.Catalog.Snapshot().User(id); ok && u.Role == systable.RoleSystem {
		return apierror.New(apierror.PermissionDenied, "restoring %s puts rows into the partition of system user '%s': %s",
			pr.cat.Namespace.NamespaceID, u.Username, pr.why())
	}
	return nil
}

// checkNamesakes is the one check of the users a restore maps, by name,
// to an existing account here (catalog.UserPlan), as of snap: at the
// statement (and the job's start) from the plan, and again at the commit,
// under the catalog's lock, where a role changed meanwhile is seen. A
// backup user's rows go to no account of a lower role than the backup
// gives that user:
//
//   - a system user's, whoever restores, to no account that is not a
//     system user here (under the dba rules not even to one that is:
//     checkOwner). Without this, a dba who made a plain user of that name
//     here before the restore (then restored a system user's backup
//     itself, or waited for a system user to) would have a system user's
//     rows in a partition a dba reads (EXECUTE AS, or the password it
//     set);
//   - any other role's, only when the caller may create that role
//     (RoleCheck), as creating the account would need.
//
// Every mapped user is checked, owning rows or not: which users own hot
// rows is known only as they are read, and a backup user with no rows (a
// view's creator) has nothing to lose by it.
func (s *Service) checkNamesakes(pr *prepared, snap *catalog.Snapshot) error {
	ns := pr.cat.Namespace.NamespaceID
	for _, u := range pr.cat.Users {
		id := pr.plan.IDs[u.UserID]
		if _, existing := pr.plan.Existing[id]; !existing {
			continue
		}
		here, ok := snap.User(id)
		if !ok || here.Role == u.Role || !u.Role.AtLeast(here.Role) {
			continue // gone: the commit refuses (catalog.RestoreNamespace); not lower: nothing to decide
		}
		if u.Role == systable.RoleSystem {
			why := "a restore gives a system user's rows to no lower account (make that account a system user, or drop it, first)"
			if pr.dbaRules {
				why = pr.why()
			}
			return apierror.New(apierror.PermissionDenied,
				"restoring %s gives the rows of system user '%s' of the backup to user '%s' here, who is not a system user (role %s, below role system): %s",
				ns, u.Username, here.Username, here.Role, why)
		}
		if err := pr.mayCreate(u.Role); err != nil {
			return apierror.New(apierror.PermissionDenied,
				"restoring %s gives the rows of %s user '%s' of the backup to %s '%s' here; that needs the right to create role %s: %s",
				ns, u.Role, u.Username, here.Role, here.Username, u.Role, apiMessage(err))
		}
	}
	return nil
}
