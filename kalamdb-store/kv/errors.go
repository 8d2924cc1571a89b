package kv

import "errors"

var (
	// ErrNotFound is returned by Get when the key does not exist.
	ErrNotFound = errors.New("kv: key not found")
	// ErrClosed is returned by operations on a closed DB.
	ErrClosed = errors.New("kv: db closed")
	// ErrDropped is returned by operations on a dropped column family.
	ErrDropped = errors.New("kv: column family dropped")
	// ErrInvalidName is returned for an empty or reserved column family name.
	ErrInvalidName = errors.New("kv: invalid column family name")
)
