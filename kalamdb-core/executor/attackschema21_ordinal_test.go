package executor_test

import "testing"

// ordinal_position is PostgreSQL's attnum: stable, a dropped column
// leaves a gap and an added one takes the next number ever unused
// (PostgreSQL 15: CREATE TABLE st (id bigint PRIMARY KEY, x text); ALTER
// TABLE st ADD COLUMN y int; ALTER TABLE st DROP COLUMN x; lists id 1,
// y 3). KalamDB's column ids follow the same rule; the system columns
// come after the table's own.
func TestAttackschema21OrdinalPositionKeepsGaps(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.st (id BIGINT PRIMARY KEY, x TEXT)`)
	root.must(`ALTER TABLE app.st ADD COLUMN y INT`)
	root.must(`ALTER TABLE app.st DROP COLUMN x`)
	got := root.rows(`SELECT column_name, ordinal_position, dtd_identifier FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 'st' ORDER BY ordinal_position`)
	if want := `[["id",1,"1"],["y",3,"3"],["_seq",4,"4"],["_deleted",5,"5"]]`; got != want {
		t.Errorf("columns after DROP COLUMN: %s, want %s", got, want)
	}
}
