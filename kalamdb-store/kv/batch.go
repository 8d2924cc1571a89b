package kv

import "encoding/binary"

type opKind uint8

const (
	opPut opKind = iota + 1
	opDelete
	opDeleteRange
	opMerge
)

type batchOp struct {
	kind  opKind
	cf    *ColumnFamily
	key   []byte
	value []byte // the end key for opDeleteRange
}

// Batch collects writes to apply atomically with DB.Write. It is built in Go
// memory and only turned into a RocksDB batch at Write, so an abandoned
// batch needs no cleanup and callers can inspect what is pending.
//
// A Batch is not safe for concurrent use. The slices passed to it are
// retained, not copied: do not modify them until the batch is written.
type Batch struct {
	ops []batchOp
}

// Put records a put of value under key.
func (b *Batch) Put(cf *ColumnFamily, key, value []byte) {
	b.ops = append(b.ops, batchOp{kind: opPut, cf: cf, key: key, value: value})
}

// Delete records a delete of key.
func (b *Batch) Delete(cf *ColumnFamily, key []byte) {
	b.ops = append(b.ops, batchOp{kind: opDelete, cf: cf, key: key})
}

// DeleteRange records a delete of every key in [start, end).
func (b *Batch) DeleteRange(cf *ColumnFamily, start, end []byte) {
	b.ops = append(b.ops, batchOp{kind: opDeleteRange, cf: cf, key: start, value: end})
}

// AddCounter records adding delta to the int64 counter under key. Counters
// are RocksDB merges, so concurrent batches adding to one counter never lose
// an increment and no read happens on the write path.
func (b *Batch) AddCounter(cf *ColumnFamily, key []byte, delta int64) {
	b.ops = append(b.ops, batchOp{kind: opMerge, cf: cf, key: key, value: encodeCounter(delta)})
}

// SetCounter records overwriting the counter under key with n (a reset).
func (b *Batch) SetCounter(cf *ColumnFamily, key []byte, n int64) {
	b.Put(cf, key, encodeCounter(n))
}

// Len is the number of recorded operations.
func (b *Batch) Len() int { return len(b.ops) }

// Reset empties the batch for reuse.
func (b *Batch) Reset() {
	clear(b.ops)
	b.ops = b.ops[:0]
}

// Mark returns a position that Rollback can return the batch to, for
// statement-level atomicity inside a multi-statement transaction.
func (b *Batch) Mark() int { return len(b.ops) }

// Rollback drops every operation recorded after mark.
func (b *Batch) Rollback(mark int) {
	if mark < 0 || mark > len(b.ops) {
		return
	}
	clear(b.ops[mark:])
	b.ops = b.ops[:mark]
}

// Append records every operation of other after b's own.
func (b *Batch) Append(other *Batch) {
	b.ops = append(b.ops, other.ops...)
}

func encodeCounter(n int64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(n))
}

// DecodeCounter reads a counter value as stored by AddCounter/SetCounter,
// for callers that iterate a counter family.
func DecodeCounter(v []byte) (int64, bool) { return decodeCounter(v) }

func decodeCounter(v []byte) (int64, bool) {
	if len(v) != 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(v)), true
}

// int64AddOperator is the merge operator behind counters: the value is an
// 8-byte big-endian int64 and each operand is added to it.
type int64AddOperator struct{}

func (*int64AddOperator) Name() string { return "kalamdb.int64add" }

func (*int64AddOperator) FullMerge(_, existing []byte, operands [][]byte) ([]byte, bool) {
	var sum int64
	if existing != nil {
		n, ok := decodeCounter(existing)
		if !ok {
			return nil, false
		}
		sum = n
	}
	for _, op := range operands {
		n, ok := decodeCounter(op)
		if !ok {
			return nil, false
		}
		sum += n
	}
	return encodeCounter(sum), true
}

func (*int64AddOperator) PartialMerge(_, left, right []byte) ([]byte, bool) {
	l, ok1 := decodeCounter(left)
	r, ok2 := decodeCounter(right)
	if !ok1 || !ok2 {
		return nil, false
	}
	return encodeCounter(l + r), true
}

// RocksDB WriteBatch record tags for non-default column families
// (db/dbformat.h: kTypeColumnFamily*).
const (
	tagCFDeletion      = 0x4
	tagCFValue         = 0x5
	tagCFMerge         = 0x6
	tagCFRangeDeletion = 0xE
	batchHeaderLen     = 12 // fixed64 sequence, fixed32 count
)

// encodeBatch serialises ops in RocksDB's WriteBatch format: a header
// (sequence, filled in by RocksDB, and record count), then per record a
// tag, the column family id and length-prefixed key (and value).
func encodeBatch(ops []batchOp) []byte {
	size := batchHeaderLen
	for i := range ops {
		size += 1 + 5 + 5 + len(ops[i].key) + 5 + len(ops[i].value)
	}
	buf := make([]byte, batchHeaderLen, size)
	for i := range ops {
		op := &ops[i]
		switch op.kind {
		case opPut:
			buf = append(buf, tagCFValue)
		case opDelete:
			buf = append(buf, tagCFDeletion)
		case opMerge:
			buf = append(buf, tagCFMerge)
		case opDeleteRange:
			buf = append(buf, tagCFRangeDeletion)
		}
		buf = binary.AppendUvarint(buf, uint64(op.cf.id))
		buf = binary.AppendUvarint(buf, uint64(len(op.key)))
		buf = append(buf, op.key...)
		if op.kind != opDelete {
			buf = binary.AppendUvarint(buf, uint64(len(op.value)))
			buf = append(buf, op.value...)
		}
	}
	binary.LittleEndian.PutUint32(buf[8:], uint32(len(ops)))
	return buf
}
