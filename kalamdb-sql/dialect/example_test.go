package dialect_test

import (
	"fmt"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// Parse splits a request into statements, classifies each one and parses
// KalamDB's own statements into typed structs; standard SQL is classified
// and passed on as text for the query engine.
func ExampleParse() {
	stmts, err := dialect.Parse(`
		CREATE TABLE chat.messages (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), content TEXT)
			WITH (FLUSH_POLICY = 'rows:1000');
		INSERT INTO chat.messages (content) VALUES ('hi');
		SELECT content FROM chat.messages`)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, st := range stmts {
		fmt.Println(st.Kind())
	}
	ct := stmts[0].(*dialect.CreateTable)
	fmt.Println(ct.Table, ct.TableType, ct.PrimaryKey, ct.Options.FlushPolicy.Rows)

	// Errors are typed and point into the text.
	_, err = dialect.Parse("CREATE NAMESPACE")
	fmt.Println(apierror.CodeOf(err))
	// Output:
	// CREATE TABLE
	// INSERT
	// SELECT
	// chat.messages USER id 1000
	// INVALID_SQL
}
