package row

import (
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// ValidateDefault checks that a DEFAULT fits its column: a generator
// function must produce the column's type (the type table says which do),
// and a literal must normalise to a stored value of the type, as a value
// written to the column would.
func ValidateDefault(col string, dt dialect.DataType, def *dialect.DefaultExpr) error {
	if def == nil {
		return nil
	}
	if def.Kind == dialect.DefaultFunction {
		return schema.ValidateDefaultFunction(col, dt, def)
	}
	if def.Literal == nil {
		return nil
	}
	// Booleans and numbers do not stand in for each other in a DEFAULT,
	// even where the engine would convert them.
	if _, isBool := def.Literal.(bool); isBool != (dt.Name == dialect.TypeBoolean) {
		return schema.DefaultMismatch(col, dt, def.Text)
	}
	lit := def.Literal
	if b, ok := lit.(bool); ok {
		lit = int8(0)
		if b {
			lit = int8(1)
		}
	}
	if _, err := Normalize(dt, lit); err != nil {
		return schema.DefaultMismatch(col, dt, def.Text)
	}
	return nil
}
