package catalog

import (
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Storage types.
const (
	StorageFilesystem = "filesystem"
	StorageS3         = "s3"
)

// applyStorageProps copies the given properties onto st.
func applyStorageProps(st *systable.Storage, p dialect.StorageProps) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&st.StorageType, p.Type)
	set(&st.StorageName, p.Name)
	set(&st.Description, p.Description)
	set(&st.BaseDirectory, p.Path)
	set(&st.Bucket, p.Bucket)
	set(&st.Region, p.Region)
	set(&st.Endpoint, p.Endpoint)
	set(&st.SharedTablesTemplate, p.SharedTablesTemplate)
	set(&st.UserTablesTemplate, p.UserTablesTemplate)
	set(&st.Credentials, p.Credentials)
	set(&st.Config, p.Config)
}

// validateStorage checks a storage definition before it is saved in s.
// It turns a filesystem PATH into the absolute, clean path that is
// stored. pathChanged and templatesChanged say what an ALTER changes, so
// that a storage defined before a rule existed can still be renamed or
// described; a new storage is checked in full.
func (c *Catalog) validateStorage(s *Snapshot, st *systable.Storage, pathChanged, templatesChanged bool) error {
	switch st.StorageType {
	case StorageFilesystem:
		if st.Config != "" {
			return apierror.New(apierror.InvalidInput, "CONFIG applies to s3 storages; a filesystem storage is its PATH and its templates")
		}
		if st.BaseDirectory == "" {
			return apierror.New(apierror.InvalidInput, "a filesystem storage needs a PATH")
		}
		if pathChanged {
			p, err := c.absStoragePath(st.BaseDirectory)
			if err != nil {
				return err
			}
			st.BaseDirectory = p
			if err := c.checkStoragePath(s, st, true); err != nil {
				return err
			}
		}
	case StorageS3:
		if err := c.validateS3(s, st, pathChanged); err != nil {
			return err
		}
	default:
		return apierror.New(apierror.InvalidInput, "unknown storage TYPE %q (want 'filesystem' or 's3')", st.StorageType)
	}
	if templatesChanged {
		if _, _, err := CheckTemplates(st.UserTablesTemplate, st.SharedTablesTemplate); err != nil {
			return err
		}
	}
	return nil
}

// PartitionPath is the directory of a partition's files inside its
// storage. It fills in templates as they are, even ones that break the
// template rules (a storage defined before the rules), so that their files
// stay readable; writers check the storage first (StorageSafety).
func PartitionPath(st *systable.Storage, t *Table, userID string) string {
	tmpl := st.SharedTablesTemplate
	if t.Meta.TableType == dialect.TableTypeUser {
		tmpl = st.UserTablesTemplate
	}
	return strings.NewReplacer(PlaceholderNamespace, t.Meta.NamespaceID, PlaceholderTable, t.Meta.TableName, PlaceholderUser, userID).Replace(tmpl)
}

// placerOf is the placer class (systable.Storage.PlacedBy) an account of
// role by records when it sets a storage's location or credentials.
func placerOf(by systable.Role) string {
	if by == systable.RoleSystem {
		return systable.PlacerSystem
	}
	return systable.PlacerNotSystem
}

// MayHoldSystemPartitions reports whether the Parquet files of a system
// user's partitions may be written to st. Not to an s3 storage a non-system
// account placed (or one whose placer is unknown, systable.Storage.Placer):
// that account may hold credentials of the bucket, or have pointed the
// storage at a server of its own, and read the files there out of band,
// which a dba must never do with a system user's rows. A filesystem
// storage may: its files are out of reach without access to the server's
// machine, whoever named the directory.
func MayHoldSystemPartitions(st *systable.Storage) bool {
	return st.StorageType != StorageS3 || st.Placer() == systable.PlacerSystem
}

// StorageCheck is a check of a storage definition before it is saved:
// for an s3 storage, that the object store answers and accepts the
// credentials. It runs without the catalog's lock (it may wait on the
// network); the definition is validated again before it is saved.
type StorageCheck func(st *systable.Storage) error

// CreateStorage adds a storage, placed by an account of role by; check,
// when not nil, must accept it first.
func (c *Catalog) CreateStorage(id string, p dialect.StorageProps, ifNotExists bool, check StorageCheck, by systable.Role) (bool, error) {
	st, exists, err := c.newStorage(id, p, ifNotExists, by)
	if err != nil || exists {
		return false, err
	}
	if check != nil {
		if err := check(st); err != nil {
			return false, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	if _, ok := snap.storages[id]; ok {
		if ifNotExists {
			return false, nil
		}
		return false, apierror.New(apierror.AlreadyExists, "storage %s already exists", id)
	}
	if err := c.validateStorage(snap, st, false, true); err != nil {
		return false, err
	}
	var b kv.Batch
	if err := c.storages.PutInBatch(&b, st); err != nil {
		return false, err
	}
	next := snap.clone()
	next.storageGen++
	next.storages[id] = st
	return true, c.commit(&b, next)
}

// newStorage builds and validates a new storage definition; exists says
// it is there already (and ifNotExists makes that no error).
func (c *Catalog) newStorage(id string, p dialect.StorageProps, ifNotExists bool, by systable.Role) (*systable.Storage, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	if _, ok := snap.storages[id]; ok {
		if ifNotExists {
			return nil, true, nil
		}
		return nil, true, apierror.New(apierror.AlreadyExists, "storage %s already exists", id)
	}
	now := c.opts.Now().UTC()
	st := &systable.Storage{StorageID: id, StorageName: id, UserTablesTemplate: defaultUserTablesTemplate,
		SharedTablesTemplate: defaultSharedTablesTemplate, CreatedAt: now, UpdatedAt: now, PlacedBy: placerOf(by)}
	applyStorageProps(st, p)
	if p.Credentials != nil {
		sealed, err := c.sealCredentials(id, *p.Credentials)
		if err != nil {
			return nil, false, err
		}
		st.Credentials = sealed
	}
	if err := c.validateStorage(snap, st, true, true); err != nil {
		return nil, false, err
	}
	return st, false, nil
}

// AlterStorage changes a storage's properties, as an account of role by;
// check, when not nil, must accept the new definition first. The type,
// location and templates of a storage in use cannot change: existing
// files would no longer be found where the manifest says. An ALTER that
// changes the location or the credentials records by's class as the
// storage's placer (MayHoldSystemPartitions), and so does a system user's
// that states them unchanged (movesPlacement, restatesPlacement); one
// that sends the stored credentials to another place (endpoint, bucket or
// region) must give them again.
func (c *Catalog) AlterStorage(id string, p dialect.StorageProps, check StorageCheck, by systable.Role) error {
	cp, prev, err := c.alteredStorage(id, p, by)
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(cp); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	cur, ok := snap.storages[id]
	if !ok {
		return apierror.New(apierror.NotFound, "storage %s does not exist", id)
	}
	if cur != prev {
		return apierror.New(apierror.SQLExecutionError, "storage %s changed while this statement checked it; run it again", id)
	}
	cp.UpdatedAt = c.opts.Now().UTC()
	var b kv.Batch
	if err := c.storages.PutInBatch(&b, cp); err != nil {
		return err
	}
	next := snap.clone()
	next.storageGen++
	next.storages[id] = cp
	return c.commit(&b, next)
}

// alteredStorage is the definition ALTER STORAGE makes of storage id,
// validated, and the definition it replaces.
func (c *Catalog) alteredStorage(id string, p dialect.StorageProps, by systable.Role) (*systable.Storage, *systable.Storage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	cur, ok := snap.storages[id]
	if !ok {
		return nil, nil, apierror.New(apierror.NotFound, "storage %s does not exist", id)
	}
	cp := *cur
	applyStorageProps(&cp, p)
	if p.Credentials != nil {
		sealed, err := c.sealCredentials(id, *p.Credentials)
		if err != nil {
			return nil, nil, err
		}
		cp.Credentials = sealed
	}
	if p.Config != nil && sameJSON(*p.Config, cur.Config) {
		cp.Config = cur.Config
	}
	if p.Config != nil && p.Endpoint == nil {
		// A new CONFIG replaces the old one, endpoint included: the
		// endpoint stored from the old CONFIG goes unless the new one
		// names it.
		oldCfg, _ := parseS3Config(cur.Config)
		newCfg, _ := parseS3Config(*p.Config)
		if oldCfg.Endpoint != "" || newCfg.Endpoint != "" {
			cp.Endpoint = ""
		}
	}
	n := storageUsers(snap, id)
	templatesChanged := cp.UserTablesTemplate != cur.UserTablesTemplate || cp.SharedTablesTemplate != cur.SharedTablesTemplate
	inUseErr := func() error {
		return apierror.New(apierror.SQLExecutionError, "storage %s is used by %s: its type, path and templates cannot change", id, apierror.Count(n, "table"))
	}
	if n > 0 && (cp.StorageType != cur.StorageType || templatesChanged ||
		cp.StorageType == StorageFilesystem && cp.BaseDirectory != cur.BaseDirectory) {
		return nil, nil, inUseErr()
	}
	locationChanged := p.Path != nil && *p.Path != cur.BaseDirectory
	if cp.StorageType == StorageS3 {
		locationChanged = p.Path != nil || p.Bucket != nil
		if p.Bucket != nil && p.Path == nil {
			cp.BaseDirectory = "" // a new BUCKET names the whole place
		}
	}
	if err := c.validateStorage(snap, &cp, locationChanged, templatesChanged); err != nil {
		return nil, nil, err
	}
	if n > 0 && (cp.BaseDirectory != cur.BaseDirectory || cp.Bucket != cur.Bucket) {
		return nil, nil, inUseErr()
	}
	if err := credentialsFollow(cur, &cp, p); err != nil {
		return nil, nil, err
	}
	if c.movesPlacement(cur, &cp) || by == systable.RoleSystem && restatesPlacement(p) {
		cp.PlacedBy = placerOf(by)
	}
	return &cp, cur, nil
}

// credentialsFollow refuses an ALTER of an s3 storage that would send its
// stored credentials (signed requests made with them, the probe of this
// very ALTER first) to another server or account: a new endpoint, bucket
// or region must come with CREDENTIALS in the same statement. Otherwise
// whoever may ALTER STORAGE could point a storage another account set up
// at a server of their own and have it called with that account's keys.
// A storage with no stored credentials (anonymous) has none to send.
func credentialsFollow(cur, next *systable.Storage, p dialect.StorageProps) error {
	if next.StorageType != StorageS3 || cur.Credentials == "" || p.Credentials != nil {
		return nil
	}
	var moved []string
	if next.Endpoint != cur.Endpoint {
		moved = append(moved, "endpoint")
	}
	if next.Bucket != cur.Bucket {
		moved = append(moved, "bucket")
	}
	if next.Region != cur.Region {
		moved = append(moved, "region")
	}
	if len(moved) == 0 {
		return nil
	}
	return apierror.New(apierror.InvalidInput,
		"ALTER STORAGE %s changes its %s: set CREDENTIALS in the same statement, or the stored credentials would go to a different server",
		cur.StorageID, strings.Join(moved, " and "))
}

// movesPlacement reports whether an ALTER changes, by value, what says
// where a storage's requests go and with which keys: its type, PATH
// (BASE_DIRECTORY), BUCKET, REGION, endpoint (ENDPOINT or CONFIG's), how
// CONFIG addresses the store (allow_http, path style) or its CREDENTIALS.
// A value stated again unchanged moves nothing: were it a placing, a dba
// could mark a system user's storage as theirs (restating its bucket
// needs no credentials) and keep every system user's partition there hot
// for good. Compared as stored: after validateStorage normalised next,
// and with the credentials opened (they are sealed with a fresh nonce
// each time); stored credentials that do not open count as moved.
func (c *Catalog) movesPlacement(cur, next *systable.Storage) bool {
	if next.StorageType != cur.StorageType || next.BaseDirectory != cur.BaseDirectory || next.Bucket != cur.Bucket ||
		next.Region != cur.Region || next.Endpoint != cur.Endpoint {
		return true
	}
	if next.StorageType != StorageS3 {
		return false
	}
	oldCfg, _ := parseS3Config(cur.Config)
	newCfg, _ := parseS3Config(next.Config)
	if newCfg.AllowHTTP != oldCfg.AllowHTTP || pathStyle(next.Endpoint, newCfg) != pathStyle(cur.Endpoint, oldCfg) {
		return true
	}
	if next.Credentials == cur.Credentials {
		return false
	}
	was, err := c.openCredentials(cur)
	if err != nil {
		return true
	}
	now, err := c.openCredentials(next)
	return err != nil || now != was
}

// restatesPlacement reports whether an ALTER states a storage's location
// or credentials, changed or not: PATH, BUCKET, REGION, ENDPOINT,
// CREDENTIALS, or a CONFIG naming an endpoint or how the store is
// addressed. A system user stating them vouches for where the storage is,
// which is how it marks one as placed by system (movesPlacement tells a
// real change, which any role's placing records).
func restatesPlacement(p dialect.StorageProps) bool {
	if p.Path != nil || p.Bucket != nil || p.Region != nil || p.Endpoint != nil || p.Credentials != nil {
		return true
	}
	if p.Config == nil {
		return false
	}
	cfg, _ := parseS3Config(*p.Config)
	return cfg.Endpoint != "" || cfg.AllowHTTP || cfg.PathStyle != nil || cfg.ForcePathStyle != nil
}

// DropStorage removes a storage no table uses.
func (c *Catalog) DropStorage(id string, ifExists bool) (bool, error) {
	if id == LocalStorage {
		return false, apierror.New(apierror.PermissionDenied, "the local storage cannot be dropped")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	if _, ok := snap.storages[id]; !ok {
		if ifExists {
			return false, nil
		}
		return false, apierror.New(apierror.NotFound, "storage %s does not exist", id)
	}
	if n := storageUsers(snap, id); n > 0 {
		return true, apierror.New(apierror.SQLExecutionError, "storage %s is used by %s; drop or move them first", id, apierror.Count(n, "table"))
	}
	var b kv.Batch
	c.storages.DeleteInBatch(&b, id)
	next := snap.clone()
	next.storageGen++
	delete(next.storages, id)
	return true, c.commit(&b, next)
}

func storageUsers(s *Snapshot, id string) int {
	n := 0
	for _, t := range s.tables {
		if t.Meta.StorageID == id {
			n++
		}
	}
	return n
}
