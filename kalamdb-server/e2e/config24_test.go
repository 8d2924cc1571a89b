package e2e_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The binary refuses to start on out-of-range values, from the file and
// from the environment, printing every offending key with its value and
// range, and creates nothing in the data directory. Failed before: a
// ten-year access token and a million job workers started a server.
func TestServerRefusesOutOfRangeConfig(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	cfgFile := filepath.Join(dir, "server.toml")
	if err := os.WriteFile(cfgFile, []byte("[auth]\naccess_token_ttl = \"87600h\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", cfgFile)
	cmd.Env = append(os.Environ(), "KALAMDB_SERVER_PORT=0", "KALAMDB_DATA_DIR="+dataDir, "KALAMDB_STORAGE_JOB_WORKERS=1000000")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("the server did not exit on a bad config; it printed:\n%s", stderr.String())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit %v, want status 1; it printed:\n%s", err, stderr.String())
	}
	for _, want := range []string{
		"auth.access_token_ttl: 87600h is outside 1s..24h",
		"storage.job_workers: 1000000 is outside 1..64",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
		}
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("the data directory was created (%v)", err)
	}
}
