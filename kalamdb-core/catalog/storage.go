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
}

// validateStorage checks a storage definition before it is saved in s.
// It turns a filesystem PATH into the absolute, clean path that is
// stored. pathChanged and templatesChanged say what an ALTER changes, so
// that a storage defined before a rule existed can still be renamed or
// described; a new storage is checked in full.
func (c *Catalog) validateStorage(s *Snapshot, st *systable.Storage, pathChanged, templatesChanged bool) error {
	switch st.StorageType {
	case StorageFilesystem:
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
		// Accepting the definition would only move the failure to the
		// first flush: say so now.
		return apierror.New(apierror.Unsupported, "s3 storages are not supported by this server version (it has no S3 client); use TYPE 'filesystem'")
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

// CreateStorage adds a storage.
func (c *Catalog) CreateStorage(id string, p dialect.StorageProps, ifNotExists bool) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	if _, ok := snap.storages[id]; ok {
		if ifNotExists {
			return false, nil
		}
		return false, apierror.New(apierror.AlreadyExists, "storage %s already exists", id)
	}
	now := c.opts.Now().UTC()
	st := &systable.Storage{StorageID: id, StorageName: id, UserTablesTemplate: defaultUserTablesTemplate,
		SharedTablesTemplate: defaultSharedTablesTemplate, CreatedAt: now, UpdatedAt: now}
	applyStorageProps(st, p)
	if err := c.validateStorage(snap, st, true, true); err != nil {
		return false, err
	}
	var b kv.Batch
	if err := c.storages.PutInBatch(&b, st); err != nil {
		return false, err
	}
	next := snap.clone()
	next.storages[id] = st
	return true, c.commit(&b, next)
}

// AlterStorage changes a storage's properties. Its type and the templates
// of a storage in use cannot change: existing files would no longer be
// found where the manifest says.
func (c *Catalog) AlterStorage(id string, p dialect.StorageProps) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	cur, ok := snap.storages[id]
	if !ok {
		return apierror.New(apierror.NotFound, "storage %s does not exist", id)
	}
	cp := *cur
	applyStorageProps(&cp, p)
	if n := storageUsers(snap, id); n > 0 && (cp.StorageType != cur.StorageType || cp.BaseDirectory != cur.BaseDirectory ||
		cp.UserTablesTemplate != cur.UserTablesTemplate || cp.SharedTablesTemplate != cur.SharedTablesTemplate) {
		return apierror.New(apierror.SQLExecutionError, "storage %s is used by %d tables: its type, path and templates cannot change", id, n)
	}
	pathChanged := p.Path != nil && *p.Path != cur.BaseDirectory
	templatesChanged := cp.UserTablesTemplate != cur.UserTablesTemplate || cp.SharedTablesTemplate != cur.SharedTablesTemplate
	if err := c.validateStorage(snap, &cp, pathChanged, templatesChanged); err != nil {
		return err
	}
	cp.UpdatedAt = c.opts.Now().UTC()
	var b kv.Batch
	if err := c.storages.PutInBatch(&b, &cp); err != nil {
		return err
	}
	next := snap.clone()
	next.storages[id] = &cp
	return c.commit(&b, next)
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
		return true, apierror.New(apierror.SQLExecutionError, "storage %s is used by %d tables; drop or move them first", id, n)
	}
	var b kv.Batch
	c.storages.DeleteInBatch(&b, id)
	next := snap.clone()
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
