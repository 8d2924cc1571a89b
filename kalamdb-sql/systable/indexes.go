package systable

import "time"

// Index states. An index is created building: from that moment every
// commit maintains its entries, and a job writes the entries of the rows
// that existed before; once that job is done it is ready. Queries use
// ready indexes only.
const (
	IndexBuilding = "building"
	IndexReady    = "ready"
)

// MaxIndexColumns bounds the columns of one secondary index.
const MaxIndexColumns = 8

// IndexDef is one secondary index of a table, kept in its TableMeta.
// IndexID is never reused within a table (TableMeta.NextIndexID), so
// entries a crash or a race left behind under a dropped index's id can
// never be read as another index's.
type IndexDef struct {
	IndexID uint32 `json:"index_id"`
	Name    string `json:"name"`
	// ColumnIDs are the stable ids of the indexed columns, in index
	// order: a column keeps its id across renames and re-typing.
	ColumnIDs []int     `json:"column_ids"`
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
}

// Ready reports whether queries may use the index.
func (d *IndexDef) Ready() bool { return d.State == IndexReady }

// Index returns the table's index named name.
func (t *TableMeta) Index(name string) (*IndexDef, bool) {
	for i := range t.Indexes {
		if t.Indexes[i].Name == name {
			return &t.Indexes[i], true
		}
	}
	return nil, false
}

// IndexByID returns the table's index with the given id.
func (t *TableMeta) IndexByID(id uint32) (*IndexDef, bool) {
	for i := range t.Indexes {
		if t.Indexes[i].IndexID == id {
			return &t.Indexes[i], true
		}
	}
	return nil, false
}
