// Command embedded is KalamDB used the way a program uses SQLite: the
// database lives in a directory the program owns, opened in-process, with
// no server and no HTTP. It keeps notes per user; each user sees only
// their own, because a USER table is partitioned by user.
//
//	embedded -data ./notes -user alice add "buy milk"
//	embedded -data ./notes -user alice list
//
// Notes survive restarts: every statement that returned is durable.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "embedded:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("embedded", flag.ContinueOnError)
	dataDir := fs.String("data", "notes-data", "the directory holding the database")
	user := fs.String("user", "", "whose notes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *user == "" || fs.NArg() == 0 {
		return errors.New("usage: embedded -data DIR -user NAME add TEXT | list")
	}
	// The name is written into CREATE USER, which takes no parameters:
	// only plain names.
	for _, c := range *user {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("user name %q: use lower-case letters, digits and _", *user)
		}
	}

	store, err := kv.Open(filepath.Join(*dataDir, "rocksdb"), kv.Options{Sync: true})
	if err != nil {
		return err
	}
	defer store.Close()
	db, err := database.Open(store, database.Config{StorageDir: filepath.Join(*dataDir, "storage")})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Start(); err != nil {
		return err
	}
	ctx := context.Background()
	exec := func(userID string, role systable.Role, sql string, params ...any) ([]executor.Result, error) {
		return db.Executor.Execute(ctx, executor.Request{UserID: userID, Role: role, SQL: sql, Params: params})
	}

	// The schema and the user, on first use. Statements run as root here
	// are the program's own administration.
	if _, err := exec("root", systable.RoleSystem, `CREATE NAMESPACE IF NOT EXISTS app;
		CREATE TABLE IF NOT EXISTS app.notes (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), body TEXT NOT NULL)`); err != nil {
		return err
	}
	u, ok := db.Catalog.UserByName(*user)
	if !ok {
		// Nobody signs in to an embedded database: the password only
		// has to exist.
		var pw [16]byte
		if _, err := rand.Read(pw[:]); err != nil {
			return err
		}
		if _, err := exec("root", systable.RoleSystem, fmt.Sprintf("CREATE USER '%s' WITH PASSWORD '%s' ROLE user",
			*user, hex.EncodeToString(pw[:]))); err != nil {
			return err
		}
		u, _ = db.Catalog.UserByName(*user)
	}

	switch fs.Arg(0) {
	case "add":
		if fs.NArg() != 2 {
			return errors.New("usage: embedded -data DIR -user NAME add TEXT")
		}
		_, err := exec(u.UserID, u.Role, "INSERT INTO app.notes (body) VALUES ($1)", fs.Arg(1))
		return err
	case "list":
		res, err := exec(u.UserID, u.Role, "SELECT body FROM app.notes ORDER BY id")
		if err != nil {
			return err
		}
		for _, r := range res[0].Rows {
			fmt.Fprintln(out, r[0])
		}
		return nil
	}
	return apierror.New(apierror.InvalidInput, "unknown command %q (add or list)", fs.Arg(0))
}
