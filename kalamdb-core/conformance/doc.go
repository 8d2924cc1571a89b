// Package conformance holds the SQL conformance corpus of KalamDB-Go:
// sqllogictest-style files (corpus/*.slt, format in corpus/README.md) that
// state, one line each, what a statement answers or which error it fails
// with, checked against a whole database core (catalog, engine, executor)
// by this package's tests. The package has no code of its own.
package conformance
