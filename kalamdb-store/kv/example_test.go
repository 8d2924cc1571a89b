package kv_test

import (
	"fmt"
	"log"
	"os"

	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Open a store, write one user's rows in a batch and read back only that
// user's partition with a prefix scan: the shape every USER table read has.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "kv-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	db, err := kv.Open(dir, kv.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	cf, err := db.ColumnFamily("notes")
	if err != nil {
		log.Fatal(err)
	}

	var b kv.Batch
	for _, r := range []struct{ user, key, value string }{
		{"alice", "1", "buy milk"}, {"bob", "1", "call mum"}, {"alice", "2", "write docs"},
	} {
		b.Put(cf, append(keyenc.AppendUserPrefix(nil, r.user), r.key...), []byte(r.value))
	}
	if err := db.Write(&b); err != nil { // one atomic write, WAL on
		log.Fatal(err)
	}

	it, err := cf.NewIter(kv.PrefixOptions(keyenc.AppendUserPrefix(nil, "alice")))
	if err != nil {
		log.Fatal(err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		fmt.Printf("%s\n", it.Value())
	}
	// Output:
	// buy milk
	// write docs
}
