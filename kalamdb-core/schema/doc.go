// Package schema owns KalamDB's data model inside the database core: how each
// column type of DESIGN §3 maps to the query engine's type and to its wire
// name, which types may be primary keys and which DEFAULTs fit which columns,
// the system columns _seq and _deleted, and the column family naming of
// table data.
//
// It is the one table the rest of core consults, so adding or changing a
// type is a change here and nowhere else.
package schema
