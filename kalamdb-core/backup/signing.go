package backup

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// A dba may write where backups are (a backup root, a bucket of an s3
// storage of its own), so it may change a backup that a system user
// restores later: add a system user to it, or rows to a system user's
// partition. A backup therefore carries a signature: an HMAC-SHA256, under
// a key derived from the operator's storage secret key (SigningKey), of
// its backup.json, which lists every other file with its size and
// SHA-256, so the signature covers every byte a restore reads.
//
// A restore trusts a backup, and restores it as it was written, only when
// the signature is this server's and matches (verify). Any other backup
// (unsigned: written by a server without a storage secret key, or before
// signatures existed; signed with another key; changed since it was
// written) restores under the rules of a dba's restore, whoever runs it:
// it creates no system user and writes into no system user's partition
// (caller.go). A dba's own restore follows those rules whatever the
// signature, and so does any restore of a backup a dba took (signed, it
// is still what a dba wrote, and its users are matched by name: its rows
// could land in the partition of a system user of that name).

// Contexts of the keys derived from the storage secret key: each use of
// the secret has a key of its own.
const (
	signingContext = "kalamdb-go backup signing v1"
	keyIDContext   = "kalamdb-go backup signing key id v1"
	// SignatureAlgorithm is the only algorithm of a Signature.
	SignatureAlgorithm = "hmac-sha256"
)

// SigningKey derives the key that signs backups from the operator's
// storage secret key; an empty secret gives none (backups are written
// unsigned).
func SigningKey(secret string) []byte {
	if secret == "" {
		return nil
	}
	return mac([]byte(secret), []byte(signingContext))
}

// Signature is backup.json's signature: the HMAC of the manifest without
// it (signedBytes).
type Signature struct {
	Algorithm string `json:"algorithm"`
	// KeyID names the key (an HMAC of a constant under it, not the key):
	// a backup signed with another key is told from a changed one.
	KeyID string `json:"key_id"`
	MAC   string `json:"mac"`
}

func mac(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

func keyID(key []byte) string { return hex.EncodeToString(mac(key, []byte(keyIDContext))[:8]) }

// signedBytes is what a signature covers: the manifest without its
// signature, as compact JSON. A restore computes it again from the
// manifest it parsed, so the signature covers exactly what the restore
// uses (whitespace or fields this version does not know are not used).
func signedBytes(man *Manifest) ([]byte, error) {
	cp := *man
	cp.Signature = nil
	return json.Marshal(&cp)
}

// sign signs man with key (nil: leaves it unsigned).
func sign(man *Manifest, key []byte) error {
	man.Signature = nil
	if len(key) == 0 {
		return nil
	}
	msg, err := signedBytes(man)
	if err != nil {
		return err
	}
	man.Signature = &Signature{Algorithm: SignatureAlgorithm, KeyID: keyID(key), MAC: hex.EncodeToString(mac(key, msg))}
	return nil
}

// trust is what a restore makes of a backup's signature: trusted, or
// why not.
type trust struct {
	ok     bool
	reason string
}

// verify checks man's signature against this server's key.
func verify(man *Manifest, key []byte) trust {
	sig := man.Signature
	switch {
	case sig == nil:
		return trust{reason: "the backup is not signed (written by a server without a storage secret key, or by an older version)"}
	case len(key) == 0:
		return trust{reason: "this server has no storage secret key to check its signature with"}
	case sig.Algorithm != SignatureAlgorithm:
		return trust{reason: fmt.Sprintf("its signature has an unknown algorithm %q", sig.Algorithm)}
	case sig.KeyID != keyID(key):
		return trust{reason: "it is signed with another key than this server's (another storage secret key)"}
	}
	msg, err := signedBytes(man)
	if err != nil {
		return trust{reason: fmt.Sprintf("its manifest cannot be encoded: %v", err)}
	}
	got, err := hex.DecodeString(sig.MAC)
	if err != nil || !hmac.Equal(got, mac(key, msg)) {
		return trust{reason: "its signature does not match its backup.json (changed since it was written)"}
	}
	return trust{ok: true}
}
