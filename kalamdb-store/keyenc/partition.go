package keyenc

import (
	"errors"
	"fmt"
)

// MaxUserIDLen bounds user ids, which appear in every USER table key and in
// cold-storage paths.
const MaxUserIDLen = 128

// PartitionSeparator ends the user id inside a USER table key. User ids may
// not contain it (ValidateUserID), so "alice"+sep is never a prefix of
// "alice2"+sep: one user's prefix scan can never reach another's rows.
const PartitionSeparator = 0x00

// ErrBadUserID is returned for a user id that is not safe in keys and paths.
var ErrBadUserID = errors.New("invalid user id")

// ValidateUserID checks that id is 1..MaxUserIDLen characters of
// [A-Za-z0-9_.@-] and not "." or "..". Those characters are safe in keys
// (no separator byte) and in file paths (no '/', no traversal).
func ValidateUserID(id string) error {
	if id == "" || len(id) > MaxUserIDLen {
		return fmt.Errorf("%w: length must be 1..%d", ErrBadUserID, MaxUserIDLen)
	}
	if id == "." || id == ".." {
		return fmt.Errorf("%w: %q", ErrBadUserID, id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '.' || c == '@' || c == '-'
		if !ok {
			return fmt.Errorf("%w: character %q not allowed (use letters, digits, '_', '.', '@', '-')", ErrBadUserID, c)
		}
	}
	return nil
}

// AppendUserPrefix appends the partition prefix of a USER table key: the
// user id followed by PartitionSeparator. The caller must have validated id.
func AppendUserPrefix(buf []byte, userID string) []byte {
	buf = append(buf, userID...)
	return append(buf, PartitionSeparator)
}

// SplitUserKey splits a USER table key into its user id and the encoded
// primary key that follows the separator.
func SplitUserKey(key []byte) (userID string, pk []byte, err error) {
	for i, c := range key {
		if c == PartitionSeparator {
			return string(key[:i]), key[i+1:], nil
		}
	}
	return "", nil, fmt.Errorf("%w: user key without separator", ErrCorrupt)
}

// CounterKey is the key of a partition's buffered-rows counter in
// user_table_counters: "{ns}:{table}", separator, user id. Namespace and
// table names cannot contain the separator.
func CounterKey(namespace, table, userID string) []byte {
	buf := make([]byte, 0, len(namespace)+len(table)+len(userID)+2)
	buf = append(buf, namespace...)
	buf = append(buf, ':')
	buf = append(buf, table...)
	buf = append(buf, PartitionSeparator)
	return append(buf, userID...)
}

// CounterPrefix is the prefix of every counter key of one table.
func CounterPrefix(namespace, table string) []byte {
	buf := make([]byte, 0, len(namespace)+len(table)+2)
	buf = append(buf, namespace...)
	buf = append(buf, ':')
	buf = append(buf, table...)
	return append(buf, PartitionSeparator)
}

// STREAM table keys. A stream has one partition per user, like a USER
// table: the key is the user prefix (AppendUserPrefix), then the event time
// in big-endian milliseconds, then the event's _seq. Within a partition
// keys sort by time, so evicting a user's events older than a time is one
// range delete, and a user's reads and subscriptions touch one prefix.
//
// Keys written before streams were partitioned were the bare (ms, _seq)
// pair. Such a key starts with the high byte of a millisecond time, 0x00
// for any time before the year 2 million, while a partitioned key starts
// with a user id's first character, never below '-' (ValidateUserID).
// IsLegacyStreamKey tells them apart, and every key of the legacy layout
// sorts before LegacyStreamKeysEnd, so one range delete removes them all
// without touching any user's partition.

// minUserIDByte is the smallest byte ValidateUserID allows.
const minUserIDByte = '-'

// LegacyStreamKeysEnd bounds the keys of the unpartitioned stream layout:
// they all sort before it, every partitioned key at or after it.
var LegacyStreamKeysEnd = []byte{minUserIDByte}

// IsLegacyStreamKey reports whether key belongs to the unpartitioned
// stream layout (or is otherwise not a partitioned stream key).
func IsLegacyStreamKey(key []byte) bool { return len(key) == 0 || key[0] < minUserIDByte }

// StreamKey is the key of a STREAM table event of userID's partition. The
// caller must have validated userID.
func StreamKey(userID string, unixMillis int64, seq int64) []byte {
	buf := make([]byte, 0, len(userID)+1+16)
	buf = AppendUserPrefix(buf, userID)
	buf = AppendUint64(buf, uint64(unixMillis))
	return AppendUint64(buf, uint64(seq))
}

// StreamTimeBound is the smallest key of userID's partition with an event
// time at or after unixMillis: the exclusive end of the events older than
// it.
func StreamTimeBound(userID string, unixMillis int64) []byte {
	return AppendUint64(AppendUserPrefix(nil, userID), uint64(unixMillis))
}

// DecodeStreamKey splits a StreamKey into its user id, time and _seq.
func DecodeStreamKey(key []byte) (userID string, unixMillis int64, seq int64, err error) {
	if IsLegacyStreamKey(key) {
		return "", 0, 0, fmt.Errorf("%w: stream key without a user partition", ErrCorrupt)
	}
	userID, local, err := SplitUserKey(key)
	if err != nil {
		return "", 0, 0, err
	}
	unixMillis, seq, err = DecodeStreamLocal(local)
	return userID, unixMillis, seq, err
}

// DecodeStreamLocal decodes the part of a stream key after the user
// prefix: the event time and _seq.
func DecodeStreamLocal(local []byte) (unixMillis int64, seq int64, err error) {
	ms, rest, err := DecodeUint64(local)
	if err != nil {
		return 0, 0, err
	}
	s, rest, err := DecodeUint64(rest)
	if err != nil {
		return 0, 0, err
	}
	if len(rest) != 0 {
		return 0, 0, fmt.Errorf("%w: %d trailing bytes in stream key", ErrCorrupt, len(rest))
	}
	return int64(ms), int64(s), nil
}
