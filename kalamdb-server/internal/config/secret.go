package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// JWTSecretFile is the name, inside the data directory, of the generated
// JWT secret.
const JWTSecretFile = "jwt_secret"

// EnsureJWTSecret makes sure cfg.Auth.JWTSecret is set. A configured secret
// is kept. Otherwise the secret persisted in <data_dir>/jwt_secret is read,
// or, on first start, a random 256-bit one is generated and written there
// (mode 0600) so that issued tokens survive restarts without the operator
// having to invent a secret.
func EnsureJWTSecret(cfg *Config) error {
	if cfg.Auth.JWTSecret != "" {
		return nil
	}
	dir := cfg.Storage.DataDir
	path := filepath.Join(dir, JWTSecretFile)

	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		secret := strings.TrimSpace(string(data))
		if len(secret) < MinJWTSecretBytes {
			return fmt.Errorf("config: %s holds %d bytes, want at least %d (delete it to generate a new secret, which invalidates issued tokens)", path, len(secret), MinJWTSecretBytes)
		}
		cfg.Auth.JWTSecret = secret
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("config: read JWT secret: %w", err)
	}

	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return fmt.Errorf("config: generate JWT secret: %w", err)
	}
	secret := hex.EncodeToString(raw)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("config: create data dir for JWT secret: %w", err)
	}
	if err := writeFileAtomic(path, []byte(secret+"\n"), 0o600); err != nil {
		return fmt.Errorf("config: persist JWT secret: %w", err)
	}
	cfg.Auth.JWTSecret = secret
	return nil
}

// writeFileAtomic writes data to a temporary file in path's directory,
// fsyncs it and renames it into place, so a crash never leaves a truncated
// secret (which would silently invalidate every token on the next start).
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	committed := false
	defer func() {
		if !committed {
			_ = os.Remove(tmpName)
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		_ = tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	committed = true
	// Make the rename itself durable.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
