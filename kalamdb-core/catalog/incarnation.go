package catalog

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// IncarnationDigits is how many lowercase hex digits a table's
// incarnation has (systable.TableMeta.Incarnation): 48 random bits, so
// that two incarnations of one table id, a dropped table and the table
// created again, or restored, under its name, practically never share
// one (the cleanup of the dropped table would then remove the other's
// files).
const IncarnationDigits = 12

// NewIncarnation returns a new table incarnation: CREATE TABLE gives one
// to every table, and a restore to every table it restores (the restored
// table is not the dropped one whose cleanup may still be running, even
// though it has its id and creation time).
func NewIncarnation() string {
	var b [IncarnationDigits / 2]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it aborts the process instead)
	return hex.EncodeToString(b[:])
}

// ValidIncarnation reports whether s is an incarnation NewIncarnation
// could have returned.
func ValidIncarnation(s string) bool {
	return len(s) == IncarnationDigits && strings.Trim(s, "0123456789abcdef") == ""
}

// Incarnation is the table's incarnation: the one its metadata records,
// or, for a table created before incarnations were recorded, one derived
// from its id and creation time. The derived one is stable (both are
// never changed) and differs from every recorded one but by chance (it is
// a hash). Two tables of one id share a creation time only when one was
// restored from a backup of the other, and a restore records a new
// incarnation: so no two tables that write files under incarnations share
// one, but with the odds of NewIncarnation.
func (t *Table) Incarnation() string {
	if ValidIncarnation(t.Meta.Incarnation) {
		return t.Meta.Incarnation
	}
	sum := sha256.Sum256([]byte("kalamdb table incarnation\x00" + t.Meta.TableID + "\x00" +
		t.Meta.CreatedAt.UTC().Format(time.RFC3339Nano)))
	return hex.EncodeToString(sum[:IncarnationDigits/2])
}
