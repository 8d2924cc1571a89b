package catalog

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// An s3 storage is stored with its location normalised: Bucket is the
// bucket name, BaseDirectory is s3://bucket[/prefix], Endpoint is the
// object store's URL ("" for AWS), Config the client settings as JSON and
// Credentials sealed with the server's storage secret key (sealedPrefix)
// or, without a key, the credentials' JSON as given.

// S3Settings is an s3 storage definition as a client needs it.
type S3Settings struct {
	Endpoint  string // host[:port]; "" is AWS
	Insecure  bool   // plain http (CONFIG allow_http)
	Region    string
	Bucket    string
	Prefix    string // no leading or trailing slash
	PathStyle bool
	// RequestTimeout of each request (0: the client's default).
	RequestTimeout time.Duration
	// ListPageSize of listings (0: the client's default).
	ListPageSize int
	Credentials  S3Credentials
}

// S3Credentials are the keys of an s3 storage; all empty is anonymous.
type S3Credentials struct {
	AccessKeyID     string `json:"access_key_id,omitempty"`
	SecretAccessKey string `json:"secret_access_key,omitempty"`
	SessionToken    string `json:"session_token,omitempty"`
}

// s3Config is CONFIG of an s3 storage.
type s3Config struct {
	Endpoint         string `json:"endpoint,omitempty"`
	PathStyle        *bool  `json:"path_style,omitempty"`
	ForcePathStyle   *bool  `json:"force_path_style,omitempty"`
	AllowHTTP        bool   `json:"allow_http,omitempty"`
	RequestTimeoutMS int64  `json:"request_timeout_ms,omitempty"`
	// ListPageSize is how many keys a listing asks for per request (0:
	// the client's default, S3's most, 1000); for stores that send fewer.
	ListPageSize int `json:"list_page_size,omitempty"`
}

const s3ConfigKeys = "endpoint, path_style (or force_path_style), allow_http, request_timeout_ms, list_page_size"

// RedactedCredentials is what system.storages shows for credentials.
const RedactedCredentials = systable.RedactedCredentials

// sealedPrefix starts credentials sealed with AES-256-GCM: the rest is
// base64 of nonce and ciphertext, the storage id being the additional
// data (sealed credentials copied onto another storage do not open).
const sealedPrefix = "aes256gcm:v1:"

// CredentialKey derives the key that seals storage credentials from the
// operator's secret (at least 16 bytes, high entropy: a random string,
// not a password).
func CredentialKey(secret string) ([]byte, error) {
	if len(secret) < 16 {
		return nil, fmt.Errorf("the storage secret key has %d bytes, want at least 16", len(secret))
	}
	sum := sha256.Sum256([]byte("kalamdb storage credentials v1\x00" + secret))
	return sum[:], nil
}

func (c *Catalog) aead() (cipher.AEAD, error) {
	if len(c.opts.CredentialKey) == 0 {
		return nil, nil
	}
	block, err := aes.NewCipher(c.opts.CredentialKey)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// CredentialsEncrypted reports whether new credentials are sealed (the
// server has a storage secret key).
func (c *Catalog) CredentialsEncrypted() bool { return len(c.opts.CredentialKey) > 0 }

// sealCredentials checks the CREDENTIALS JSON of a storage and returns
// what is stored: sealed when the server has a key.
func (c *Catalog) sealCredentials(id, raw string) (string, error) {
	var cr S3Credentials
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cr); err != nil {
		// The message never quotes the value: it holds secrets.
		return "", apierror.New(apierror.InvalidInput, "CREDENTIALS must be a JSON object with access_key_id, secret_access_key and optionally session_token (string values)")
	}
	if (cr.AccessKeyID == "") != (cr.SecretAccessKey == "") {
		return "", apierror.New(apierror.InvalidInput, "CREDENTIALS need both access_key_id and secret_access_key (or neither, for anonymous access)")
	}
	if cr == (S3Credentials{}) {
		return "", nil
	}
	plain, err := json.Marshal(cr)
	if err != nil {
		return "", err
	}
	aead, err := c.aead()
	if err != nil || aead == nil {
		return string(plain), err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return sealedPrefix + base64.StdEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, []byte(id))), nil
}

// openCredentials returns the stored credentials of a storage in clear.
func (c *Catalog) openCredentials(st *systable.Storage) (S3Credentials, error) {
	var cr S3Credentials
	raw := st.Credentials
	if raw == "" {
		return cr, nil
	}
	if rest, sealed := strings.CutPrefix(raw, sealedPrefix); sealed {
		aead, err := c.aead()
		if err != nil {
			return cr, err
		}
		if aead == nil {
			return cr, apierror.New(apierror.SQLExecutionError,
				"the credentials of storage %s are encrypted and this server has no storage secret key (KALAMDB_STORAGE_SECRET_KEY or storage.secret_key_file)", st.StorageID)
		}
		b, err := base64.StdEncoding.DecodeString(rest)
		if err != nil || len(b) < aead.NonceSize() {
			return cr, apierror.New(apierror.SQLExecutionError, "the stored credentials of storage %s are damaged", st.StorageID)
		}
		plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(st.StorageID))
		if err != nil {
			return cr, apierror.New(apierror.SQLExecutionError,
				"the credentials of storage %s do not open with this server's storage secret key (was it changed? set them again with ALTER STORAGE %s SET CREDENTIALS)", st.StorageID, st.StorageID)
		}
		raw = string(plain)
	}
	if err := json.Unmarshal([]byte(raw), &cr); err != nil {
		return cr, apierror.New(apierror.SQLExecutionError, "the stored credentials of storage %s are damaged", st.StorageID)
	}
	return cr, nil
}

// S3Settings returns what a client needs to reach an s3 storage, its
// credentials in clear.
func (c *Catalog) S3Settings(st *systable.Storage) (S3Settings, error) {
	var s S3Settings
	if st.StorageType != StorageS3 {
		return s, apierror.New(apierror.InternalError, "storage %s is not an s3 storage", st.StorageID)
	}
	cfg, err := parseS3Config(st.Config)
	if err != nil {
		return s, err
	}
	bucket, prefix, err := parseS3URL(st.BaseDirectory)
	if err != nil {
		return s, err
	}
	s = S3Settings{Region: st.Region, Bucket: bucket, Prefix: prefix, RequestTimeout: time.Duration(cfg.RequestTimeoutMS) * time.Millisecond,
		ListPageSize: cfg.ListPageSize}
	if st.Endpoint != "" {
		u, err := url.Parse(st.Endpoint)
		if err != nil {
			return s, apierror.New(apierror.SQLExecutionError, "storage %s: bad endpoint %q", st.StorageID, st.Endpoint)
		}
		s.Endpoint, s.Insecure = u.Host, u.Scheme == "http"
	}
	s.PathStyle = pathStyle(st.Endpoint, cfg)
	if s.Credentials, err = c.openCredentials(st); err != nil {
		return s, err
	}
	return s, nil
}

// pathStyle is whether a client of an s3 storage at endpoint (as stored)
// with CONFIG cfg puts the bucket in the path. A custom endpoint is most
// often an S3-compatible server that only knows path-style addressing;
// AWS itself prefers virtual hosts.
func pathStyle(endpoint string, cfg s3Config) bool {
	switch {
	case cfg.PathStyle != nil:
		return *cfg.PathStyle
	case cfg.ForcePathStyle != nil:
		return *cfg.ForcePathStyle
	}
	return endpoint != ""
}

func parseS3Config(raw string) (s3Config, error) {
	var cfg s3Config
	if strings.TrimSpace(raw) == "" {
		return cfg, nil
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, apierror.New(apierror.InvalidInput, "CONFIG: %v (known keys: %s)", err, s3ConfigKeys)
	}
	if cfg.PathStyle != nil && cfg.ForcePathStyle != nil && *cfg.PathStyle != *cfg.ForcePathStyle {
		return cfg, apierror.New(apierror.InvalidInput, "CONFIG: path_style and force_path_style disagree")
	}
	if cfg.RequestTimeoutMS < 0 || cfg.RequestTimeoutMS > 10*60*1000 {
		return cfg, apierror.New(apierror.InvalidInput, "CONFIG: request_timeout_ms must be between 0 (the default) and 600000")
	}
	if cfg.ListPageSize < 0 || cfg.ListPageSize > 1000 {
		return cfg, apierror.New(apierror.InvalidInput, "CONFIG: list_page_size must be between 0 (the default) and 1000")
	}
	return cfg, nil
}

// parseS3URL splits s3://bucket[/prefix].
func parseS3URL(s string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return "", "", apierror.New(apierror.InvalidInput, "%q is not an s3://bucket/prefix URL", s)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	prefix = strings.Trim(prefix, "/")
	if err := checkBucketName(bucket); err != nil {
		return "", "", err
	}
	if prefix != "" && (path.Clean(prefix) != prefix || strings.ContainsAny(prefix, "\\\x00") || hasDotDot(prefix)) {
		return "", "", apierror.New(apierror.InvalidInput, "the prefix %q of an s3 storage must be a clean relative path", prefix)
	}
	return bucket, prefix, nil
}

func hasDotDot(p string) bool {
	for _, el := range strings.Split(p, "/") {
		if el == ".." || el == "." {
			return true
		}
	}
	return false
}

// checkBucketName applies S3's bucket naming rules.
func checkBucketName(b string) error {
	ok := len(b) >= 3 && len(b) <= 63
	for i := 0; ok && i < len(b); i++ {
		ch := b[i]
		ok = ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || (ch == '-' || ch == '.') && i > 0 && i < len(b)-1
	}
	if !ok {
		return apierror.New(apierror.InvalidInput, "invalid bucket name %q: 3 to 63 lower-case letters, digits, dots and hyphens", b)
	}
	return nil
}

// normalizeEndpoint turns an endpoint as written (a URL or host[:port])
// into the URL stored.
func normalizeEndpoint(e string, allowHTTP bool) (string, error) {
	e = strings.TrimSpace(e)
	if e == "" {
		return "", nil
	}
	if !strings.Contains(e, "://") {
		e = "https://" + e
	}
	u, err := url.Parse(e)
	if err != nil || u.Host == "" || u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
		return "", apierror.New(apierror.InvalidInput, "invalid endpoint %q: want http(s)://host[:port]", e)
	}
	if err := checkEndpointHost(u.Hostname()); err != nil {
		return "", err
	}
	if _, ok := portNumber(u.Port()); !ok {
		return "", apierror.New(apierror.InvalidInput, "invalid endpoint %q: the port must be a number from 1 to 65535", e)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !allowHTTP {
			return "", apierror.New(apierror.InvalidInput, "endpoint %q uses plain http, which sends data unencrypted; set \"allow_http\": true in CONFIG to allow it", e)
		}
	default:
		return "", apierror.New(apierror.InvalidInput, "invalid endpoint %q: want http(s)://host[:port]", e)
	}
	return u.Scheme + "://" + u.Host, nil
}

// DNS's limits on a name (RFC 1035, 2.3.4): the overlap check lists a
// place for each split of an AWS host's labels, so the host's length
// bounds its cost, and it runs under the catalog's lock.
const (
	maxHostLength  = 253 // characters, without a trailing dot
	maxLabelLength = 63
)

// checkEndpointHost refuses a host no client can reach: longer than a DNS
// name may be, or with a label longer than DNS allows (minio-go refuses
// hosts over 255 characters too, but only when the storage is probed,
// after the overlap check). It is asked before any place is listed.
func checkEndpointHost(host string) error {
	h := strings.TrimSuffix(host, ".")
	if len(h) > maxHostLength {
		return apierror.New(apierror.InvalidInput,
			"invalid endpoint: its host has %d characters, more than a DNS name's limit of %d", len(h), maxHostLength)
	}
	for label := range strings.SplitSeq(h, ".") {
		if len(label) > maxLabelLength {
			return apierror.New(apierror.InvalidInput,
				"invalid endpoint: its host has a label of %d characters, more than DNS's limit of %d", len(label), maxLabelLength)
		}
	}
	return nil
}

// portNumber reads a URL's port ("" is none, ok) as Go's dialer does: as
// a decimal number, leading zeros and all (09000 is 9000, 0443 is 443);
// a port out of range reaches nothing (!ok).
func portNumber(port string) (int, bool) {
	if port == "" {
		return 0, true
	}
	digits := strings.TrimLeft(port, "0")
	if len(digits) > 5 {
		return 0, false
	}
	n, err := strconv.Atoi("0" + digits)
	if err != nil || n < 1 || n > 65535 {
		return 0, false
	}
	return n, true
}

// MachineNames are the names this machine answers at besides its
// loopback names and addresses: its host name (Debian's /etc/hosts maps
// it to 127.0.1.1) and its interfaces' addresses, where a store
// listening on all addresses answers too. The s3 storages' overlap check
// takes them for the loopback store.
type MachineNames struct {
	HostName string
	Addrs    []netip.Addr
}

// SystemMachineNames reads this machine's names (os.Hostname,
// net.InterfaceAddrs). A name that cannot be read is left out: the
// overlap check then compares what it has.
func SystemMachineNames() MachineNames {
	var m MachineNames
	if h, err := os.Hostname(); err == nil {
		m.HostName = h
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				m.Addrs = append(m.Addrs, p.Addr())
			}
		}
	}
	return m
}

// machineNames are this machine's names now (Options.MachineNames):
// asked at each check, as interfaces and the host name change.
func (c *Catalog) machineNames() MachineNames {
	if c.opts.MachineNames != nil {
		return c.opts.MachineNames()
	}
	return SystemMachineNames()
}

// isSelf reports whether host (lower-case, no trailing dot) is one of
// this machine's own names in m.
func (m MachineNames) isSelf(host string) bool {
	if m.HostName != "" && host == strings.TrimSuffix(strings.ToLower(m.HostName), ".") {
		return true
	}
	ip, ok := hostAddr(host)
	if !ok {
		return false
	}
	ip = ip.WithZone("")
	for _, a := range m.Addrs {
		if a.Unmap().WithZone("") == ip {
			return true
		}
	}
	return false
}

// anyBucket is the bucket of an s3Place that can be any bucket of its
// store: an AWS access point's, which names no bucket it reaches.
const anyBucket = "*"

// s3Place is one place where a storage's objects could be: the store
// (endpointPlace), a bucket there (or anyBucket) and a key prefix.
type s3Place struct{ store, bucket, prefix string }

func (a s3Place) overlaps(b s3Place) bool {
	return a.store == b.store && (a.bucket == b.bucket || a.bucket == anyBucket || b.bucket == anyBucket) &&
		prefixesOverlap(a.prefix, b.prefix)
}

// s3Places lists every place where the objects of an s3 storage at
// endpoint (as stored), bucket and prefix could be. It is one place but
// for an AWS endpoint that carries a bucket in its host (virtual-hosted
// style, BUCKET.s3.REGION.amazonaws.com): minio-go does not take such a
// host for AWS's own and sends the storage's bucket in the path, which
// AWS reads as the start of the key in the host's bucket; a client that
// put the bucket in the host instead would reach bucket BUCKET.HOST-BUCKET
// (AWS reads everything before .s3 as the bucket). Both are listed: a
// storage refused for a place it would not use is safe, one allowed next
// to a place it does use can have its files deleted.
//
// self are this machine's names (endpointPlace).
func s3Places(self MachineNames, endpoint, bucket, prefix string) []s3Place {
	store, hostBuckets := endpointPlace(self, endpoint)
	if store == "aws" && isAccessPointAlias(bucket) {
		bucket = anyBucket
	}
	if hostBuckets == nil {
		return []s3Place{{store, bucket, prefix}}
	}
	var out []s3Place
	for _, hb := range hostBuckets {
		switch hb {
		case "": // a host that carries no bucket (PrivateLink's bucket.vpce-...)
			out = append(out, s3Place{store, bucket, prefix})
		case anyBucket:
			out = append(out, s3Place{store, anyBucket, path.Join(bucket, prefix)})
		default:
			out = append(out, s3Place{store, hb, path.Join(bucket, prefix)}, s3Place{store, bucket + "." + hb, prefix})
		}
	}
	return out
}

// placesOverlap reports whether any place of a is any place of b's, or
// inside or around it.
func placesOverlap(a, b []s3Place) bool {
	for _, x := range a {
		for _, y := range b {
			if x.overlaps(y) {
				return true
			}
		}
	}
	return false
}

// storagePlaces are the places of a stored s3 storage's objects.
func storagePlaces(self MachineNames, st *systable.Storage) []s3Place {
	_, prefix, _ := parseS3URL(st.BaseDirectory)
	return s3Places(self, st.Endpoint, st.Bucket, prefix)
}

// endpointPlace is what the storages' overlap check compares of an
// endpoint (as normalizeEndpoint stores it): the store it names, as far
// as its spelling tells, and for an AWS host that carries buckets
// (awsHostBuckets) those. Host case, a trailing dot, leading zeros of the
// port and the scheme's default port do not matter (the port is the
// number Go's dialer reads); an IP address is compared as the address
// it is (hostAddr: 127.1, 0x7f000001, [::ffff:127.0.0.1] are 127.0.0.1);
// every loopback name and address (all of 127.0.0.0/8 too), the
// unspecified one, and this machine's own host name and interface
// addresses (self), which all reach this machine, are one place: a store
// listening on all addresses answers at each of them, and whether two
// loopback addresses are two servers cannot be told, so they are taken
// for one (a refused CREATE is safe, a missed overlap is not). Every AWS
// S3 endpoint, of every partition, is one place ("" included: AWS bucket
// names are global). Other names are taken as written: whether two hosts
// are one store cannot be known (DNS aliases, proxies), so the drop's
// cleanup never relies on this check to keep another table's files
// (tier, cleanPartition). A host over DNS's limits (checkEndpointHost,
// which refuses it as input) is one place as written, so that its cost
// is bounded even for a storage stored before the limits were checked.
func endpointPlace(self MachineNames, endpoint string) (string, []string) {
	if endpoint == "" {
		return "aws", nil
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return endpoint, nil
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if checkEndpointHost(host) != nil {
		return strings.ToLower(endpoint), nil
	}
	port := u.Port()
	if n, ok := portNumber(port); ok && n != 0 {
		port = strconv.Itoa(n)
	} else if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	if isLoopbackName(host) || self.isSelf(host) {
		host = "loopback"
	} else if ip, ok := hostAddr(host); ok {
		// A connection to the unspecified address (0.0.0.0, [::]) reaches
		// this machine too.
		host = ip.String()
		if ip.IsLoopback() || ip.IsUnspecified() {
			host = "loopback"
		}
	}
	hb := awsHostBuckets(host)
	if isAWSS3Host(host) || s3utils.IsAmazonEndpoint(url.URL{Scheme: "https", Host: host}) {
		// minio-go's own test (looser than isAWSS3Host: its patterns'
		// dots match any character) decides where the client connects:
		// for such a host, to the bucket's regional endpoint, with the
		// storage's own bucket. A host that also reads as a bucket before
		// an S3 endpoint (s3-data.s3.REGION...) is that bucket to a
		// client that sends the host as written: both.
		if hb == nil {
			return "aws", nil
		}
		return "aws", append([]string{""}, hb...)
	}
	if hb != nil {
		return "aws", hb
	}
	return net.JoinHostPort(host, port), nil
}

// isLoopbackName reports whether host is a name of this machine's
// loopback interface: localhost and its subdomains (RFC 6761), and the
// names Debian's and Red Hat's /etc/hosts give it.
func isLoopbackName(host string) bool {
	switch host {
	case "localhost", "localhost.localdomain", "localhost4", "localhost4.localdomain4",
		"localhost6", "localhost6.localdomain6", "ip6-localhost", "ip6-loopback":
		return true
	}
	return strings.HasSuffix(host, ".localhost")
}

// hostAddr reads host as an IP address the way a client's resolver can:
// an IPv6 address (an IPv4-mapped one is its IPv4 address) or an IPv4
// address in any form inet_aton reads (parseInetAton).
func hostAddr(host string) (netip.Addr, bool) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap(), true
	}
	return parseInetAton(host)
}

// parseInetAton reads an IPv4 address as the C library's inet_aton does:
// one to four parts, each decimal, octal (a leading 0) or hex (0x), the
// last filling the bytes the others leave (127.1 is 127.0.0.1,
// 2130706433 and 0x7f000001 are too, 0177.0.0.1 is, 0127.0.0.1 is
// 87.0.0.1). glibc's getaddrinfo reads a host so, and Go's resolver uses
// it when built with cgo and the system's configuration asks for it (this
// server links RocksDB through cgo; GODEBUG=netdns=cgo, an nsswitch.conf
// with other sources) and on macOS; curl reads URLs' hosts so too. Go's
// own resolver takes such a host for a DNS name, which resolves to
// nothing or to whatever DNS says: equating the two spellings then only
// refuses what could have been one store. The server's S3 client,
// minio-go, sends a custom endpoint's requests to its host as written
// (path style), so which of the two it reaches is the resolver's choice.
// aws-sdk-go-v2 (not used here) would by default put the bucket in such
// a host (it keeps path style only for hosts net.ParseIP reads), a name
// no resolver reads as an address; with UsePathStyle it is as minio-go.
func parseInetAton(host string) (netip.Addr, bool) {
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var a uint64
	for i, p := range parts {
		base := 10
		if len(p) > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') {
			base, p = 16, p[2:]
		} else if len(p) > 1 && p[0] == '0' {
			base, p = 8, p[1:]
		}
		v, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		bits := 8
		if i == len(parts)-1 {
			bits = 8 * (5 - len(parts))
		}
		if v>>bits != 0 {
			return netip.Addr{}, false
		}
		a = a<<bits | v
	}
	return netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), true
}

// isAWSS3Host reports whether host is one of AWS S3's own endpoints:
// s3.SUFFIX, s3.REGION.SUFFIX, s3-REGION.SUFFIX,
// s3.dualstack.REGION.SUFFIX, s3-fips[.dualstack].REGION.SUFFIX, SUFFIX
// being the DNS suffix of any AWS partition (awsPartitionHost).
func isAWSS3Host(host string) bool {
	rest, ok := awsPartitionHost(host)
	return ok && (rest == "s3" || strings.HasPrefix(rest, "s3.") || strings.HasPrefix(rest, "s3-"))
}

// awsPartitionHost cuts the DNS suffix of an AWS partition off host:
// those aws-sdk-go-v2 knows (internal/endpoints/awsrulesfn/partitions.json,
// dnsSuffix: aws and aws-us-gov, aws-cn, aws-eusc, aws-iso, aws-iso-b,
// aws-iso-e, aws-iso-f). S3 serves each the same way: BUCKET.s3.REGION.
// SUFFIX is bucket BUCKET.
func awsPartitionHost(host string) (string, bool) {
	for _, suffix := range [...]string{".amazonaws.com", ".amazonaws.com.cn", ".amazonaws.eu", ".c2s.ic.gov",
		".sc2s.sgov.gov", ".cloud.adc-e.uk", ".csp.hci.ic.gov"} {
		if rest, ok := strings.CutSuffix(host, suffix); ok {
			return rest, true
		}
	}
	return "", false
}

// awsHostBuckets returns the buckets an AWS host names before one of S3's
// own endpoints (isAWSS3Host), nil if it is no such host: BUCKET.s3...
// names BUCKET (a bucket name can hold dots, so every split that leaves
// an S3 endpoint is listed); an access point's host
// (NAME-ACCOUNT.s3-accesspoint..., s3-object-lambda, s3-outposts) names
// anyBucket; a PrivateLink endpoint (bucket.vpce-ID.s3.REGION.vpce...)
// names "" (the storage's own bucket) or, as BUCKET.bucket.vpce-ID...,
// BUCKET, and accesspoint.vpce-ID... anyBucket. The splits are cut out
// of host, not joined: with checkEndpointHost's limits a host has at most
// 127 labels, so at most 127 buckets.
func awsHostBuckets(host string) []string {
	labels := strings.Split(host, ".")
	var out []string
	start := 0 // the offset of labels[i] in host
	for i := 1; i < len(labels); i++ {
		start += len(labels[i-1]) + 1
		if !isAWSS3Host(host[start:]) {
			continue
		}
		b := host[:start-1]
		switch svc := labels[i]; {
		case strings.HasPrefix(svc, "s3-accesspoint"), strings.HasPrefix(svc, "s3-object-lambda"), strings.HasPrefix(svc, "s3-outposts"):
			b = anyBucket
		case strings.HasPrefix(labels[i-1], "vpce-"):
			switch before := labels[:i-1]; {
			case len(before) == 0:
				b = ""
			case before[len(before)-1] == "accesspoint":
				b = anyBucket
			case before[len(before)-1] == "bucket" && len(before) == 1:
				b = ""
			case before[len(before)-1] == "bucket":
				b = strings.Join(before[:len(before)-1], ".")
			default:
				b = anyBucket // a form not known: any bucket
			}
		}
		if isAccessPointAlias(b) {
			b = anyBucket
		}
		out = append(out, b)
	}
	return out
}

// isAccessPointAlias reports whether an AWS bucket name is an access
// point's alias, which S3 takes wherever a bucket name goes and which can
// reach any bucket: AWS reserves the suffixes -s3alias (access points),
// --ol-s3 (Object Lambda) and --op-s3 (Outposts) for them.
func isAccessPointAlias(bucket string) bool {
	return strings.HasSuffix(bucket, "-s3alias") || strings.HasSuffix(bucket, "--ol-s3") || strings.HasSuffix(bucket, "--op-s3")
}

// validateS3 checks and normalises an s3 storage definition: its bucket
// and prefix (from BUCKET, a bucket or an s3:// URL, and BASE_DIRECTORY, a
// prefix or an s3:// URL), endpoint and CONFIG, and that no other s3
// storage overlaps it. bucketOrDirGiven says the statement set BUCKET or
// BASE_DIRECTORY (a new storage always does).
func (c *Catalog) validateS3(s *Snapshot, st *systable.Storage, locationGiven bool) error {
	cfg, err := parseS3Config(st.Config)
	if err != nil {
		return err
	}
	if st.Endpoint, err = normalizeEndpoint(st.Endpoint, cfg.AllowHTTP); err != nil {
		return err
	}
	if cfg.Endpoint != "" {
		// Compared as stored: the stored endpoint is the CONFIG's once
		// normalised, and a storage is validated again as it stands.
		e, err := normalizeEndpoint(cfg.Endpoint, cfg.AllowHTTP)
		if err != nil {
			return err
		}
		if st.Endpoint != "" && st.Endpoint != e {
			return apierror.New(apierror.InvalidInput, "ENDPOINT and the endpoint of CONFIG differ")
		}
		st.Endpoint = e
	}
	if locationGiven {
		bucket, prefix := st.Bucket, ""
		if strings.HasPrefix(bucket, "s3://") {
			if bucket, prefix, err = parseS3URL(bucket); err != nil {
				return err
			}
		}
		dir := st.BaseDirectory
		if strings.HasPrefix(dir, "s3://") {
			b, p, err := parseS3URL(dir)
			if err != nil {
				return err
			}
			if bucket != "" && bucket != b || prefix != "" && p != prefix {
				return apierror.New(apierror.InvalidInput, "BUCKET and BASE_DIRECTORY name different places")
			}
			bucket, prefix = b, p
		} else if dir != "" {
			if prefix != "" && strings.Trim(dir, "/") != prefix {
				return apierror.New(apierror.InvalidInput, "BUCKET and BASE_DIRECTORY name different prefixes")
			}
			prefix = strings.Trim(dir, "/")
		}
		if bucket == "" {
			return apierror.New(apierror.InvalidInput, "an s3 storage needs a BUCKET (a name or s3://bucket/prefix) or a BASE_DIRECTORY 's3://bucket/prefix'")
		}
		loc := "s3://" + bucket
		if prefix != "" {
			loc += "/" + prefix
		}
		if _, _, err := parseS3URL(loc); err != nil {
			return err
		}
		st.Bucket, st.BaseDirectory = bucket, loc
	}
	if st.BaseDirectory == "" {
		return apierror.New(apierror.InvalidInput, "an s3 storage needs a BUCKET")
	}
	self := c.machineNames()
	places := storagePlaces(self, st)
	if cur, ok := s.Storage(st.StorageID); ok && cur.StorageType == StorageS3 && slices.Equal(storagePlaces(self, cur), places) {
		// An ALTER that keeps the storage where it is makes no overlap: a
		// pair the check did not see as one when it was defined (two
		// spellings of one endpoint, before they were compared by the
		// store they name) can still be renamed or given new credentials.
		return nil
	}
	for _, o := range s.Storages() {
		if o.StorageID == st.StorageID || o.StorageType != StorageS3 {
			continue
		}
		if placesOverlap(places, storagePlaces(self, o)) {
			return apierror.New(apierror.InvalidInput,
				"storage location %s overlaps storage %s (%s): a storage may neither be inside another one nor contain one", st.BaseDirectory, o.StorageID, o.BaseDirectory)
		}
	}
	return nil
}

func prefixesOverlap(a, b string) bool {
	if a == "" || b == "" || a == b {
		return true
	}
	return strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}

// sameJSON reports whether two JSON texts hold the same value, so that a
// CONFIG written with other spacing is no change.
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	ra, _ := json.Marshal(x)
	rb, _ := json.Marshal(y)
	return bytes.Equal(ra, rb)
}

// SealStoredCredentials seals, with the server's key, the credentials
// stored in clear (before the key was configured). It returns how many it
// sealed; without a key it does nothing.
func (c *Catalog) SealStoredCredentials() (int, error) {
	if !c.CredentialsEncrypted() {
		return 0, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	next := snap.clone()
	n := 0
	var b kv.Batch
	for _, st := range snap.Storages() {
		if st.Credentials == "" || strings.HasPrefix(st.Credentials, sealedPrefix) {
			continue
		}
		sealed, err := c.sealCredentials(st.StorageID, st.Credentials)
		if err != nil {
			return 0, fmt.Errorf("storage %s: %w", st.StorageID, err)
		}
		cp := *st
		cp.Credentials = sealed
		if err := c.storages.PutInBatch(&b, &cp); err != nil {
			return 0, err
		}
		next.storages[st.StorageID] = &cp
		next.storageGen++
		n++
	}
	if n == 0 {
		return 0, nil
	}
	return n, c.commit(&b, next)
}

// PlaintextCredentials lists the storages whose credentials are stored
// in clear, for the server to warn about at start.
func (c *Catalog) PlaintextCredentials() []string {
	var out []string
	for _, st := range c.cur.Load().Storages() {
		if st.Credentials != "" && !strings.HasPrefix(st.Credentials, sealedPrefix) {
			out = append(out, st.StorageID)
		}
	}
	return out
}
