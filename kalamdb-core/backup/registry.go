package backup

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Record is the registry's entry of a backup taken by this server.
type Record struct {
	Namespace string    `json:"namespace"`
	Location  string    `json:"location"`
	CreatedAt time.Time `json:"created_at"`
	Format    int       `json:"format"`
	Tables    int       `json:"tables"`
	Rows      int64     `json:"rows"`
	Bytes     int64     `json:"bytes"`
	Files     int       `json:"files"`
	MaxSeq    int64     `json:"max_seq"`
}

// Listing is a Record with what is found at its location now.
type Listing struct {
	Record
	// Status is "available" (the backup's manifest is there, is this
	// backup's, and every file it lists is there with its size),
	// "incomplete" (files it lists are missing or cut short: RESTORE
	// would refuse it), "missing" (no backup there any more) or
	// "replaced" (another backup is there now).
	Status string
}

// registryKey sorts a namespace's backups by time.
func registryKey(ns string, at time.Time) []byte {
	return fmt.Appendf(nil, "%s:%020d", ns, at.UnixNano())
}

func (s *Service) record(man *Manifest, location string) error {
	r := Record{Namespace: man.Namespace, Location: location, CreatedAt: man.CreatedAt, Format: man.Format,
		Tables: len(man.Tables), Rows: man.Rows, Bytes: man.Bytes, Files: len(man.Files), MaxSeq: man.MaxSeq}
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := s.registry.Put(registryKey(man.Namespace, man.CreatedAt), raw); err != nil {
		return fmt.Errorf("record the backup: %w", err)
	}
	return nil
}

// List returns the backups of namespace ns this server took, oldest
// first, each with what its location holds now.
func (s *Service) List(ctx context.Context, ns string) ([]Listing, error) {
	it, err := s.registry.NewIter(kv.PrefixOptions([]byte(ns + ":")))
	if err != nil {
		return nil, err
	}
	var recs []Record
	for ok := it.First(); ok; ok = it.Next() {
		var r Record
		if err := json.Unmarshal(it.Value(), &r); err != nil {
			_ = it.Close()
			return nil, fmt.Errorf("read backup registry: %w", err)
		}
		recs = append(recs, r)
	}
	if err := it.Error(); err != nil {
		_ = it.Close()
		return nil, err
	}
	_ = it.Close()
	out := make([]Listing, 0, len(recs))
	for _, r := range recs {
		out = append(out, Listing{Record: r, Status: s.statusAt(ctx, r)})
	}
	return out, nil
}

func (s *Service) statusAt(ctx context.Context, r Record) string {
	st, err := s.o.Opener.Open(ctx, r.Location)
	if err != nil {
		return "missing"
	}
	defer st.Close()
	src, err := openSource(ctx, st, r.Location)
	if err != nil {
		return "missing"
	}
	if !src.man.CreatedAt.Equal(r.CreatedAt) || src.man.Namespace != r.Namespace {
		return "replaced"
	}
	if !filesPresent(ctx, st, src.man.Files) {
		return "incomplete"
	}
	return "available"
}

// filesPresent reports whether every file a manifest lists is there with
// its size, listing each directory once (one request per directory on an
// object store). Contents are not hashed here: RESTORE checks them.
func filesPresent(ctx context.Context, st cold.Storage, files []File) bool {
	sizes := map[string]map[string]int64{}
	for _, f := range files {
		dir, name := path.Split(f.Path)
		dir = strings.TrimSuffix(dir, "/")
		if dir == "" {
			dir = "."
		}
		got, ok := sizes[dir]
		if !ok {
			ents, err := st.List(ctx, dir)
			if err != nil {
				return false
			}
			got = make(map[string]int64, len(ents))
			for _, e := range ents {
				if !e.IsDir {
					got[e.Name] = e.Size
				}
			}
			sizes[dir] = got
		}
		if size, ok := got[name]; !ok || size != f.Size {
			return false
		}
	}
	return true
}
