package cold

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/extensions"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Names of the system columns, which come first in every file.
const (
	ColKey     = "_key"
	ColSeq     = "_seq"
	ColDeleted = "_deleted"

	numSystemCols = 3
	keyLeaf       = 0
	seqLeaf       = 1
	deletedLeaf   = 2
)

// Key-value metadata keys of a file's footer, and of its fields.
const (
	MetaFormat        = "kalamdb.format"         // "1"
	MetaTableID       = "kalamdb.table_id"       // e.g. "app:messages"
	MetaSchemaVersion = "kalamdb.schema_version" // decimal
	MetaSchema        = "kalamdb.schema"         // JSON, see fileSchema
	MetaRows          = "kalamdb.rows"           // decimal
	MetaMinSeq        = "kalamdb.min_seq"        // decimal
	MetaMaxSeq        = "kalamdb.max_seq"        // decimal
	MetaMinKey        = "kalamdb.min_key"        // lower-case hex
	MetaMaxKey        = "kalamdb.max_key"        // lower-case hex

	// FieldColumnID is the Arrow field metadata key that holds a user
	// column's ColumnID. pqarrow writes it as the column's Parquet
	// field_id, the schema's own slot for a stable column id, which every
	// Parquet reader sees, and reads it back under the same key.
	FieldColumnID = "PARQUET:field_id"

	formatVersion = "1"
)

// ErrCorrupt is matched by every error about a file whose bytes or
// metadata are not what this package writes.
var ErrCorrupt = errors.New("cold: corrupt file")

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

// decimalParams returns DECIMAL's precision and scale with the dialect's
// defaults applied.
func decimalParams(dt dialect.DataType) (precision, scale int32) {
	p, s := dt.Precision, dt.Scale
	if p <= 0 {
		p = 38
	}
	return int32(p), int32(max(s, 0))
}

// ArrowType is the Arrow type a column of type dt is stored as (the
// mapping in the package doc).
func ArrowType(dt dialect.DataType) (arrow.DataType, error) {
	switch schema.KindOf(dt.Name) {
	case schema.KindBool:
		return arrow.FixedWidthTypes.Boolean, nil
	case schema.KindInt16:
		return arrow.PrimitiveTypes.Int16, nil
	case schema.KindInt32:
		return arrow.PrimitiveTypes.Int32, nil
	case schema.KindInt64:
		return arrow.PrimitiveTypes.Int64, nil
	case schema.KindFloat32:
		return arrow.PrimitiveTypes.Float32, nil
	case schema.KindFloat64:
		return arrow.PrimitiveTypes.Float64, nil
	case schema.KindDecimal:
		p, s := decimalParams(dt)
		if p > 38 || s > p {
			return nil, fmt.Errorf("cold: DECIMAL(%d,%d) is outside DECIMAL(1..38, 0..p)", p, s)
		}
		return &arrow.Decimal128Type{Precision: p, Scale: s}, nil
	case schema.KindText:
		return arrow.BinaryTypes.String, nil
	case schema.KindBytes:
		return arrow.BinaryTypes.Binary, nil
	case schema.KindJSON:
		// The arrow.json extension over String is written with Parquet's
		// JSON logical type, so other tools know the text is JSON.
		return extensions.NewJSONType(arrow.BinaryTypes.String)
	case schema.KindTimestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, nil
	case schema.KindDate:
		return arrow.FixedWidthTypes.Date32, nil
	case schema.KindTime:
		return arrow.FixedWidthTypes.Time64us, nil
	case schema.KindUUID:
		// arrow.uuid: FixedSizeBinary(16) with Parquet's UUID logical type.
		return extensions.NewUUIDType(), nil
	}
	return nil, fmt.Errorf("cold: unknown column type %q", dt.Name)
}

// fileSchema is the kalamdb.schema footer entry: the columns a file was
// written with, so the file can be read without the catalog that wrote
// it. It is this package's own format (not a Go struct of another
// package serialised as is), so renaming a field elsewhere cannot make
// old files unreadable.
type fileSchema struct {
	TableID string       `json:"table_id"`
	Version int          `json:"version"`
	Columns []fileColumn `json:"columns"`
}

type fileColumn struct {
	ID         int    `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Precision  int    `json:"precision,omitempty"`
	Scale      int    `json:"scale,omitempty"`
	MaxLength  int    `json:"max_length,omitempty"`
	Nullable   bool   `json:"nullable"`
	PrimaryKey bool   `json:"primary_key,omitempty"`
}

func encodeFileSchema(sch *systable.TableSchema) (string, error) {
	fs := fileSchema{TableID: sch.TableID, Version: sch.Version, Columns: make([]fileColumn, len(sch.Columns))}
	for i, c := range sch.Columns {
		fs.Columns[i] = fileColumn{
			ID: c.ColumnID, Name: c.Name, Type: string(c.Type.Name),
			Precision: c.Type.Precision, Scale: c.Type.Scale, MaxLength: c.Type.MaxLength,
			Nullable: c.Nullable, PrimaryKey: c.PrimaryKey,
		}
	}
	b, err := json.Marshal(fs)
	return string(b), err
}

func decodeFileSchema(s string) (*systable.TableSchema, error) {
	var fs fileSchema
	if err := json.Unmarshal([]byte(s), &fs); err != nil {
		return nil, corruptf("%s: %v", MetaSchema, err)
	}
	sch := &systable.TableSchema{TableID: fs.TableID, Version: fs.Version, Columns: make([]systable.ColumnSchema, len(fs.Columns))}
	for i, c := range fs.Columns {
		sch.Columns[i] = systable.ColumnSchema{
			ColumnID: c.ID, Name: c.Name,
			Type:     dialect.DataType{Name: dialect.TypeName(c.Type), Precision: c.Precision, Scale: c.Scale, MaxLength: c.MaxLength},
			Nullable: c.Nullable, PrimaryKey: c.PrimaryKey,
		}
	}
	if err := checkSchema(sch); err != nil {
		return nil, corruptf("%s: %v", MetaSchema, err)
	}
	return sch, nil
}

// checkSchema rejects schemas this package cannot store: unknown types,
// duplicate column ids or names, names of system columns.
func checkSchema(sch *systable.TableSchema) error {
	if sch == nil {
		return errors.New("nil schema")
	}
	ids := make(map[int]bool, len(sch.Columns))
	names := make(map[string]bool, len(sch.Columns)+numSystemCols)
	names[ColKey], names[ColSeq], names[ColDeleted] = true, true, true
	for _, c := range sch.Columns {
		if _, err := ArrowType(c.Type); err != nil {
			return fmt.Errorf("column %q: %w", c.Name, err)
		}
		if c.Name == "" {
			return fmt.Errorf("column id %d has no name", c.ColumnID)
		}
		if names[c.Name] {
			return fmt.Errorf("column name %q is used twice or is a system column", c.Name)
		}
		if ids[c.ColumnID] {
			return fmt.Errorf("column id %d is used twice", c.ColumnID)
		}
		names[c.Name], ids[c.ColumnID] = true, true
	}
	return nil
}

// ArrowSchema is the Arrow schema of files written with table schema sch:
// the system columns _key, _seq and _deleted, then the table's columns in
// schema order, each carrying its ColumnID. User columns are nullable even
// when the table's column is NOT NULL: a tombstone stores no values.
func ArrowSchema(sch *systable.TableSchema) (*arrow.Schema, error) {
	if err := checkSchema(sch); err != nil {
		return nil, fmt.Errorf("cold: schema %s: %w", tableOf(sch), err)
	}
	fields := make([]arrow.Field, 0, numSystemCols+len(sch.Columns))
	fields = append(fields,
		arrow.Field{Name: ColKey, Type: arrow.BinaryTypes.Binary},
		arrow.Field{Name: ColSeq, Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: ColDeleted, Type: arrow.FixedWidthTypes.Boolean},
	)
	for _, c := range sch.Columns {
		t, err := ArrowType(c.Type)
		if err != nil {
			return nil, err
		}
		id := strconv.Itoa(c.ColumnID)
		fields = append(fields, arrow.Field{
			Name: c.Name, Type: t, Nullable: true,
			Metadata: arrow.NewMetadata([]string{FieldColumnID}, []string{id}),
		})
	}
	return arrow.NewSchema(fields, nil), nil
}

func tableOf(sch *systable.TableSchema) string {
	if sch == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%s v%d", sch.TableID, sch.Version)
}
