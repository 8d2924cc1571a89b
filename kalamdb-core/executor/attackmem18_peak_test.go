//go:build attackmem18

package executor_test

import (
	"runtime/debug"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackmem18PeakSurvey logs the peak of the heap's objects and the
// bytes allocated for statements that build large values in one call.
func TestAttackmem18PeakSurvey(t *testing.T) {
	const budget = 32 << 20
	e := newEnvWithMemory(t, budget, memory.NewAccount(1<<30))
	alice := e.as("alice", systable.RoleUser)
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	for _, q := range []string{
		"SELECT length(replace(repeat('a', 8000000), 'a', 'aaaaaaaaaaaaaaaa'))",
		"SELECT length(to_json(repeat(chr(1), 8000000))::text)",
		"SELECT length(repeat('x', 8000000) || repeat('y', 8000000) || repeat('z', 8000000))",
		"SELECT length(translate(repeat('a', 8000000), 'a', 'é'))",
		"SELECT length(upper(repeat('ß', 4000000)))",
		"SELECT length(lpad('', 16000000, 'é'))",
		"SELECT length(encode(convert_to(repeat('a', 8000000), 'UTF8'), 'hex'))",
		"SELECT length(md5(repeat('a', 16000000)))",
		"SELECT length(json_build_object('a', repeat('x', 8000000), 'b', repeat('\"', 8000000))::text)",
		"SELECT length(format('%s%s%s', repeat('x', 8000000), repeat('x', 8000000), repeat('x', 8000000)))",
		"SELECT length(concat_ws(repeat(',', 8000000), 'a', 'b', 'c'))",
		"SELECT count(*) FROM regexp_split_to_table(repeat('a', 2000000), '')",
	} {
		before := heapAllocated()
		var err error
		rise := heapObjectsRise(func() { _, err = alice.exec(q) })
		t.Logf("%.70s: peak +%d MiB, allocated %d MiB, err %v", q, rise>>20, (heapAllocated()-before)>>20, err)
	}
}
