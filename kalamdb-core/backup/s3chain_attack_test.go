package backup_test

import (
	"path"
	"slices"
	"testing"
)

// TestDroppedUserTablesCleanupOnS3ChainLosesNoPartition: a USER table's
// directory can hold objects beside its users' directories (a SHARED
// table created again under the name writes its batch files and
// manifest.json there; a person's note). The minio client hands out a
// listing page's objects before its common prefixes, so a page holding
// the directory of a user and an object named after it ("<user>_note",
// right after "<user>/" in key order) gives the object first. A run that
// reaches its bound at that user then records resume_after
// "<user>_note", past the user's directory, and the run it hands on to
// never visits it: the chain completes, saying so, with the
// dropped table's files left in u3's partition for good.
func TestDroppedUserTablesCleanupOnS3ChainLosesNoPartition(t *testing.T) {
	_, s, bucket := boundedCleanupOnS3(t)
	partitions := userTableOnS3(t, s, bucket, "u1", "u2", "u3", "u4", "u5")
	slices.Sort(partitions)
	// Keys of the table's directory, 2 a page: [p0/ p1/] [p2/ p2_note] [p3/ p4/].
	note := partitions[2] + "_note" // right after partitions[2] + "/" in key order
	writeObject(t, bucket, note, []byte("not the table's"))
	// One object a partition: the fake store pages by objects and hands a
	// directory split across two pages out twice (S3 does not), which
	// would hide the order. The mirrors are a convenience; the batch files
	// stay, each partition's one.
	for _, dir := range partitions {
		if err := bucket.Remove(t.Context(), path.Join(dir, "manifest.json")); err != nil {
			t.Fatal(err)
		}
	}
	s.must("DROP TABLE app.msgs")
	for range 4 { // each run may hand on to one more
		waitAllJobs(t, s)
	}
	left := s3Files(t, bucket, ".")
	delete(left, note)
	if len(left) != 0 {
		t.Fatalf("the cleanup chain completed and left the dropped table's files %v", slices.Sorted(func(yield func(string) bool) {
			for k := range left {
				if !yield(k) {
					return
				}
			}
		}))
	}
}
