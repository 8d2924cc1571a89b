// Package regex stands in for github.com/dolthub/go-icu-regex, the ICU
// regular expressions that go-mysql-server links for its REGEXP_LIKE,
// REGEXP_INSTR, REGEXP_SUBSTR and REGEXP_REPLACE.
//
// KalamDB-Go never runs those: the SQL front end translates every regular
// expression (~, ~*, !~, !~*, the regexp_* functions) to KalamDB's own
// functions, which run on Go's RE2 in time linear in their input
// (kalamdb-core/regex), and the engine refuses a plan that still holds one
// of go-mysql-server's (a backtracking engine, where a pattern such as
// (a*)*b takes time exponential in its input).
//
// The original compiles an 800 KB WebAssembly build of ICU when the process
// starts, whether or not a regular expression ever runs: ~260 ms of every
// server start and ~2.5 s under the race detector, and the compiled module
// stays in memory. This package keeps the API go-mysql-server calls and
// refuses every expression, so nothing is compiled or kept.
//
// Invariant: no Regex of this package ever matches; every call that would
// use an expression returns ErrUnsupported.
package regex

import (
	"context"

	"gopkg.in/src-d/go-errors.v1"
)

// Regex is the interface go-mysql-server's regular expression functions
// use. Here every implementation refuses.
type Regex interface {
	SetRegexString(ctx context.Context, regexStr string, flags RegexFlags) error
	SetMatchString(ctx context.Context, matchStr string) error
	IndexOf(ctx context.Context, start int, occurrence int, endIndex bool) (int, error)
	Matches(ctx context.Context, start int, occurrence int) (bool, error)
	Replace(ctx context.Context, replacementStr string, position int, occurrence int) (string, error)
	Substring(ctx context.Context, start int, occurrence int) (string, bool, error)
	StringBufferSize() uint32
	Close() error
}

var (
	// ErrUnsupported is every refusal of this package.
	ErrUnsupported = errors.NewKind("the query engine's own regular expressions are not available: KalamDB's regular expression functions replace them")
	// ErrRegexNotYetSet, ErrMatchNotYetSet and ErrInvalidRegex are the
	// original's error kinds, kept for code that names them.
	ErrRegexNotYetSet = errors.NewKind("SetRegexString must be called before any other function")
	ErrMatchNotYetSet = errors.NewKind("SetMatchString must be called as there is nothing to match against")
	ErrInvalidRegex   = errors.NewKind("the given regular expression is invalid")
)

// RegexFlags are the original's flags (ICU's values), accepted and ignored.
type RegexFlags uint32

// The flags go-mysql-server combines, with ICU's values.
const (
	RegexFlags_None                     RegexFlags = 0
	RegexFlags_Unix_Lines               RegexFlags = 1
	RegexFlags_Case_Insensitive         RegexFlags = 2
	RegexFlags_Comments                 RegexFlags = 4
	RegexFlags_Multiline                RegexFlags = 8
	RegexFlags_Literal                  RegexFlags = 16
	RegexFlags_Dot_All                  RegexFlags = 32
	RegexFlags_Unicode_Word             RegexFlags = 256
	RegexFlags_Error_On_Unknown_Escapes RegexFlags = 512
)

// SetRegexLeakHandler exists for go-mysql-server's init, which installs a
// handler for expressions finalized without Close. Nothing here holds
// memory outside Go's heap, so nothing can leak and the handler is unused.
func SetRegexLeakHandler(func()) {}

// CreateRegex returns a Regex that refuses every expression.
func CreateRegex(uint32) Regex { return refused{} }

type refused struct{}

func (refused) SetRegexString(context.Context, string, RegexFlags) error {
	return ErrUnsupported.New()
}

func (refused) SetMatchString(context.Context, string) error { return ErrUnsupported.New() }

func (refused) IndexOf(context.Context, int, int, bool) (int, error) {
	return 0, ErrUnsupported.New()
}

func (refused) Matches(context.Context, int, int) (bool, error) {
	return false, ErrUnsupported.New()
}

func (refused) Replace(context.Context, string, int, int) (string, error) {
	return "", ErrUnsupported.New()
}

func (refused) Substring(context.Context, int, int) (string, bool, error) {
	return "", false, ErrUnsupported.New()
}

func (refused) StringBufferSize() uint32 { return 0 }

func (refused) Close() error { return nil }
