package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// limits.heap_limit_bytes from a file and from the environment: a
// string, a fraction, a value past int64, a negative other than -1 and
// one below the server's memory bound are each refused at start with an
// error naming the setting; -1 and a large value load.
func TestAttackmem18HeapLimitFromFileAndEnv(t *testing.T) {
	dir := t.TempDir()
	load := func(toml string, env map[string]string) error {
		p := filepath.Join(dir, "c.toml")
		if err := os.WriteFile(p, []byte(toml), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		return err
	}
	base := "[limits]\nserver_memory_bytes = 1073741824\n"
	for _, bad := range []string{`"2GiB"`, "2.5", "99999999999999999999", "-2", "1073741823"} {
		err := load(base+"heap_limit_bytes = "+bad+"\n", nil)
		if err == nil || !strings.Contains(err.Error(), "heap_limit_bytes") {
			t.Errorf("heap_limit_bytes = %s: %v, want an error naming it", bad, err)
		}
	}
	for _, good := range []string{"-1", "0", "1073741824", "9223372036854775807"} {
		if err := load(base+"heap_limit_bytes = "+good+"\n", nil); err != nil {
			t.Errorf("heap_limit_bytes = %s: %v", good, err)
		}
	}
	var envName string
	for name, field := range EnvNames() {
		if strings.HasSuffix(strings.ToLower(field), "heap_limit_bytes") {
			envName = name
		}
	}
	if envName == "" {
		t.Fatal("no environment name for limits.heap_limit_bytes")
	}
	for _, bad := range []string{"2GiB", "-3", "x"} {
		if err := load(base, map[string]string{envName: bad}); err == nil || !strings.Contains(err.Error(), "heap_limit_bytes") && !strings.Contains(err.Error(), envName) {
			t.Errorf("%s=%s: %v", envName, bad, err)
		}
	}
}
