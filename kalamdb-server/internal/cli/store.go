package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Instance is what is stored for one named server: its URL, who signed in
// and the token pair. Never a password: a stolen file gives at most a
// session the server can revoke (a password change does), and it ends when
// the refresh token expires.
type Instance struct {
	URL              string    `json:"url"`
	Username         string    `json:"username"`
	UserID           string    `json:"user_id,omitempty"`
	Role             string    `json:"role,omitempty"`
	AccessToken      string    `json:"access_token"`
	ExpiresAt        time.Time `json:"expires_at,omitzero"`
	RefreshToken     string    `json:"refresh_token,omitempty"`
	RefreshExpiresAt time.Time `json:"refresh_expires_at,omitzero"`
	SavedAt          time.Time `json:"saved_at"`
}

// credentialsFile is the JSON document of the store.
type credentialsFile struct {
	Instances map[string]Instance `json:"instances"`
}

// Store keeps named instances in one JSON file (~/.kalam/credentials.json)
// readable by its owner only: the directory is 0700 and the file 0600, and
// the file is replaced atomically so that a crash never leaves half of it.
type Store struct {
	path string
}

// NewStore returns the store in dir.
func NewStore(dir string) *Store {
	return &Store{path: filepath.Join(dir, "credentials.json")}
}

// Path is the file's path.
func (s *Store) Path() string { return s.path }

func (s *Store) load() (credentialsFile, error) {
	f := credentialsFile{Instances: map[string]Instance{}}
	raw, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("reading stored credentials: %w", err)
	}
	// Tokens are credentials: a file others can read (copied, or made by
	// hand) is closed to them before it is used.
	if st, err := os.Stat(s.path); err == nil && st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(s.path, 0o600); err != nil {
			return f, fmt.Errorf("%s is readable by others and could not be restricted: %w", s.path, err)
		}
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return f, fmt.Errorf("stored credentials in %s are unreadable (delete the file to start over): %w", s.path, err)
	}
	if f.Instances == nil {
		f.Instances = map[string]Instance{}
	}
	return f, nil
}

func (s *Store) save(f credentialsFile) error {
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".credentials-*.json")
	if err != nil {
		return fmt.Errorf("saving credentials: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("saving credentials: %w", err)
	}
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("saving credentials: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("saving credentials: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving credentials: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("saving credentials: %w", err)
	}
	return nil
}

// Get returns a stored instance.
func (s *Store) Get(name string) (Instance, bool, error) {
	f, err := s.load()
	if err != nil {
		return Instance{}, false, err
	}
	in, ok := f.Instances[name]
	return in, ok, nil
}

// Put stores an instance, replacing one of the same name.
func (s *Store) Put(name string, in Instance) error {
	f, err := s.load()
	if err != nil {
		return err
	}
	f.Instances[name] = in
	return s.save(f)
}

// Delete removes an instance; ok is false when there was none.
func (s *Store) Delete(name string) (bool, error) {
	f, err := s.load()
	if err != nil {
		return false, err
	}
	if _, ok := f.Instances[name]; !ok {
		return false, nil
	}
	delete(f.Instances, name)
	return true, s.save(f)
}

// List returns the stored instances by name.
func (s *Store) List() ([]string, map[string]Instance, error) {
	f, err := s.load()
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, 0, len(f.Instances))
	for n := range f.Instances {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, f.Instances, nil
}

// instanceFrom builds the stored form of a signed-in session.
func instanceFrom(url string, u User, t Tokens, now time.Time) Instance {
	return Instance{
		URL: url, Username: u.Username, UserID: u.ID, Role: u.Role,
		AccessToken: t.Access, ExpiresAt: t.AccessExpiresAt,
		RefreshToken: t.Refresh, RefreshExpiresAt: t.RefreshExpiresAt,
		SavedAt: now.UTC(),
	}
}

// tokens returns the stored token pair.
func (in Instance) tokens() Tokens {
	return Tokens{Access: in.AccessToken, Refresh: in.RefreshToken,
		AccessExpiresAt: in.ExpiresAt, RefreshExpiresAt: in.RefreshExpiresAt}
}
