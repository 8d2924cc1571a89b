package auth

import (
	"container/list"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// cacheKey is HMAC-SHA256(process key, user NUL password). Keying by a keyed
// hash means the cache never holds a password, and a memory dump of it
// cannot be used to test password guesses offline without the process key.
type cacheKey [sha256.Size]byte

type cacheEntry struct {
	key    cacheKey
	userID string
	// hash and version are the bcrypt hash the password was verified
	// against and the user's credential version then. A hit is valid only
	// while both are unchanged, which is what makes ALTER USER SET
	// PASSWORD (and a role change) and DROP USER take effect at once.
	hash    string
	version int64
	expires time.Time
	elem    *list.Element
}

// credentialCache remembers recently verified Basic credentials so that
// steady-state requests skip bcrypt. It is bounded: entries expire after ttl
// and, when full, the oldest entry is evicted. Because every entry lives for
// the same ttl, insertion order is expiry order, so one FIFO list serves
// both expiry and eviction. Safe for concurrent use.
type credentialCache struct {
	hmacKey    []byte
	ttl        time.Duration
	maxEntries int

	mu      sync.Mutex
	entries map[cacheKey]*cacheEntry
	order   *list.List // of *cacheEntry, oldest first
}

func newCredentialCache(ttl time.Duration, maxEntries int) (*credentialCache, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("auth: generate credential cache key: %w", err)
	}
	return &credentialCache{
		hmacKey:    key,
		ttl:        ttl,
		maxEntries: maxEntries,
		entries:    make(map[cacheKey]*cacheEntry),
		order:      list.New(),
	}, nil
}

// enabled reports whether the cache stores anything at all.
func (c *credentialCache) enabled() bool { return c.ttl > 0 && c.maxEntries > 0 }

func (c *credentialCache) key(username, password string) cacheKey {
	m := hmac.New(sha256.New, c.hmacKey)
	m.Write([]byte(username))
	m.Write([]byte{0})
	m.Write([]byte(password))
	var k cacheKey
	m.Sum(k[:0])
	return k
}

// hit reports whether (username, password) was verified within ttl
// against u's current row: same id, hash and credential version. A stale
// entry (expired, or verified against another row) is dropped.
func (c *credentialCache) hit(k cacheKey, u *systable.User, now time.Time) bool {
	if !c.enabled() {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		return false
	}
	if !now.Before(e.expires) || e.userID != u.UserID || e.hash != u.PasswordHash || e.version != u.CredentialVersion {
		c.removeLocked(e)
		return false
	}
	return true
}

// put records a successful bcrypt verification against u's row.
func (c *credentialCache) put(k cacheKey, u *systable.User, now time.Time) {
	if !c.enabled() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[k]; ok {
		c.removeLocked(old)
	}
	c.evictLocked(now)
	e := &cacheEntry{key: k, userID: u.UserID, hash: u.PasswordHash, version: u.CredentialVersion, expires: now.Add(c.ttl)}
	e.elem = c.order.PushBack(e)
	c.entries[k] = e
}

// evictLocked drops expired entries from the front, then the oldest ones
// until there is room for one more.
func (c *credentialCache) evictLocked(now time.Time) {
	for front := c.order.Front(); front != nil; front = c.order.Front() {
		e := front.Value.(*cacheEntry)
		if now.Before(e.expires) && len(c.entries) < c.maxEntries {
			return
		}
		c.removeLocked(e)
	}
}

func (c *credentialCache) removeLocked(e *cacheEntry) {
	c.order.Remove(e.elem)
	delete(c.entries, e.key)
}

// len is the number of entries held (for tests and metrics).
func (c *credentialCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
