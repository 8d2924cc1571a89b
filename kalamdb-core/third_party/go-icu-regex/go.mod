// KalamDB-Go's stand-in for go-mysql-server's ICU regular expressions:
// see regex.go. Every module of the workspace replaces the original with it.
module github.com/dolthub/go-icu-regex

go 1.23

require gopkg.in/src-d/go-errors.v1 v1.0.0
