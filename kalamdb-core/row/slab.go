package row

import (
	"fmt"
	"reflect"
	"time"
	"unsafe"

	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
)

// Boxing without an allocation per value.
//
// A decoded row is a []any. Storing an int64, a string or a time.Time in an
// interface normally allocates a copy of the value on the heap: a 6-column
// row would cost one allocation per column. Instead, Projection.Decode
// allocates one "slab" per row, a struct with one field per wanted column
// of the column's exact Go type (built once per Projection with
// reflect.StructOf, so the garbage collector knows where its pointers
// are), writes each value into its field, and makes the interface point at
// the field. That is what the runtime itself does, except that the runtime
// gives every value its own allocation.
//
// This is sound because:
//   - an interface's data word may point anywhere inside a heap object; the
//     garbage collector keeps the whole slab alive while any value does;
//   - a slab field is written exactly once, before its interface is built,
//     and never again, so the interface values are immutable as Go expects
//     (reflect cannot reach them: values extracted from an interface are
//     not addressable);
//   - every type boxed this way is stored indirectly in an interface (none
//     is pointer-shaped), which TestSlabTypesAreIndirect checks.
//
// Only the two functions below touch the interface layout.

// eface is the runtime layout of an empty interface.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// typeWord returns the type word of the interface holding v.
func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

// put stores v at base+off and returns an interface holding that value
// without copying it. typ must be the type word of T.
func put[T any](base unsafe.Pointer, off uintptr, typ unsafe.Pointer, v T) any {
	p := unsafe.Add(base, off)
	*(*T)(p) = v
	var out any
	e := (*eface)(unsafe.Pointer(&out))
	e.typ = typ
	e.data = p
	return out
}

// slabTypes are the Go types of each kind's values; slabTypeWords their
// interface type words. Both are fixed at init and never written again.
var (
	slabTypes     [schema.NumKinds]reflect.Type
	slabTypeWords [schema.NumKinds]unsafe.Pointer
)

func init() {
	protos := [schema.NumKinds]any{
		schema.KindBool:      int8(0),
		schema.KindInt16:     int16(0),
		schema.KindInt32:     int32(0),
		schema.KindInt64:     int64(0),
		schema.KindFloat32:   float32(0),
		schema.KindFloat64:   float64(0),
		schema.KindDecimal:   decimal.Decimal{},
		schema.KindText:      "",
		schema.KindBytes:     []byte(nil),
		schema.KindJSON:      types.JSONDocument{},
		schema.KindTimestamp: time.Time{},
		schema.KindDate:      time.Time{},
		schema.KindTime:      types.Timespan(0),
		schema.KindUUID:      "",
	}
	for k := schema.KindBool; k < schema.NumKinds; k++ {
		slabTypes[k] = reflect.TypeOf(protos[k])
		slabTypeWords[k] = typeWord(protos[k])
	}
}

// slabLayout builds the slab struct for the given kinds (one field each)
// and returns it with each field's offset.
func slabLayout(kinds []schema.Kind) (reflect.Type, []uintptr) {
	if len(kinds) == 0 {
		return nil, nil
	}
	fields := make([]reflect.StructField, len(kinds))
	for i, k := range kinds {
		fields[i] = reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: slabTypes[k]}
	}
	t := reflect.StructOf(fields)
	offs := make([]uintptr, len(kinds))
	for i := range kinds {
		offs[i] = t.Field(i).Offset
	}
	return t, offs
}
