package auth

import (
	"container/list"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	gohash "hash"
	"sync"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// expiringCache is a bounded map whose entries expire: each entry lives
// until its own expiry time, and when the cache is full the oldest entry
// is evicted. Entries are kept in insertion order, which is (about) expiry
// order when lifetimes are (about) equal, so one FIFO list serves both
// expiry and eviction; an expired entry not at the front is dropped when it
// is looked up, or when it reaches the front. Safe for concurrent use.
type expiringCache[K comparable, V any] struct {
	maxEntries int

	mu      sync.Mutex
	entries map[K]*expiringEntry[K, V]
	order   list.List // of *expiringEntry[K, V], oldest first
}

type expiringEntry[K comparable, V any] struct {
	key     K
	value   V
	expires time.Time
	elem    *list.Element
}

func newExpiringCache[K comparable, V any](maxEntries int) *expiringCache[K, V] {
	return &expiringCache[K, V]{maxEntries: maxEntries, entries: make(map[K]*expiringEntry[K, V])}
}

// get returns k's value unless it is absent or expired at now (an expired
// entry is dropped).
func (c *expiringCache[K, V]) get(k K, now time.Time) (V, bool) {
	var zero V
	if c.maxEntries <= 0 {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		return zero, false
	}
	if !now.Before(e.expires) {
		c.removeLocked(e)
		return zero, false
	}
	return e.value, true
}

// put stores v under k until expires, replacing what k held.
func (c *expiringCache[K, V]) put(k K, v V, expires, now time.Time) {
	if c.maxEntries <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[k]; ok {
		c.removeLocked(old)
	}
	c.evictLocked(now)
	e := &expiringEntry[K, V]{key: k, value: v, expires: expires}
	e.elem = c.order.PushBack(e)
	c.entries[k] = e
}

// remove drops k.
func (c *expiringCache[K, V]) remove(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[k]; ok {
		c.removeLocked(e)
	}
}

// evictLocked drops expired entries from the front, then the oldest ones
// until there is room for one more.
func (c *expiringCache[K, V]) evictLocked(now time.Time) {
	for front := c.order.Front(); front != nil; front = c.order.Front() {
		e := front.Value.(*expiringEntry[K, V])
		if now.Before(e.expires) && len(c.entries) < c.maxEntries {
			return
		}
		c.removeLocked(e)
	}
}

func (c *expiringCache[K, V]) removeLocked(e *expiringEntry[K, V]) {
	c.order.Remove(e.elem)
	delete(c.entries, e.key)
}

// len is the number of entries held (for tests and metrics).
func (c *expiringCache[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// cacheKey is HMAC-SHA256(process key, user NUL password). Keying by a keyed
// hash means the cache never holds a password, and a memory dump of it
// cannot be used to test password guesses offline without the process key.
type cacheKey [sha256.Size]byte

// verifiedCredential is what a bcrypt verification proved: the password
// matched this hash of this user at this credential version. A hit is
// valid only while all three are the user's current ones, which is what
// makes ALTER USER SET PASSWORD (and a role change) and DROP USER take
// effect at once.
type verifiedCredential struct {
	userID  string
	hash    string
	version int64
}

// credentialCache remembers recently verified Basic credentials for ttl so
// that steady-state requests skip bcrypt.
type credentialCache struct {
	ttl     time.Duration
	entries *expiringCache[cacheKey, verifiedCredential]
	// macs holds keyed HMAC states (with a scratch buffer), reused so
	// that computing a key allocates nothing.
	macs sync.Pool
}

// keyer computes cache keys; pooled in credentialCache.macs.
type keyer struct {
	mac gohash.Hash
	buf []byte
	// sum receives the MAC: a key's own array, passed to the interface's
	// Sum, would escape, an allocation of every Basic request.
	sum [sha256.Size]byte
}

func newCredentialCache(ttl time.Duration, maxEntries int) (*credentialCache, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("auth: generate credential cache key: %w", err)
	}
	if ttl <= 0 {
		maxEntries = 0 // disabled
	}
	c := &credentialCache{ttl: ttl, entries: newExpiringCache[cacheKey, verifiedCredential](maxEntries)}
	c.macs.New = func() any { return &keyer{mac: hmac.New(sha256.New, key)} }
	return c, nil
}

func (c *credentialCache) key(username, password string) cacheKey {
	k := c.macs.Get().(*keyer)
	k.buf = append(append(append(k.buf[:0], username...), 0), password...)
	k.mac.Reset()
	k.mac.Write(k.buf)
	// The scratch buffer held a password: leave nothing of it behind.
	clear(k.buf)
	out := cacheKey(k.mac.Sum(k.sum[:0]))
	c.macs.Put(k)
	return out
}

// hit reports whether (username, password) was verified within ttl
// against u's current row: same id, hash and credential version. A stale
// entry (verified against another row) is dropped.
func (c *credentialCache) hit(k cacheKey, u *systable.User, now time.Time) bool {
	v, ok := c.entries.get(k, now)
	if !ok {
		return false
	}
	if v.userID != u.UserID || v.hash != u.PasswordHash || v.version != u.CredentialVersion {
		c.entries.remove(k)
		return false
	}
	return true
}

// put records a successful bcrypt verification against u's row.
func (c *credentialCache) put(k cacheKey, u *systable.User, now time.Time) {
	c.entries.put(k, verifiedCredential{userID: u.UserID, hash: u.PasswordHash, version: u.CredentialVersion}, now.Add(c.ttl), now)
}

// len is the number of entries held (for tests and metrics).
func (c *credentialCache) len() int { return c.entries.len() }
