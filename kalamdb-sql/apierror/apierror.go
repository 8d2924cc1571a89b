// Package apierror defines the typed errors that carry the error codes of the
// KalamDB v1 wire contract (docs/api.md). Every layer that can reject a request
// returns one of these, so the server maps an error to its code and HTTP
// status in one place and never has to parse messages.
//
// It lives in kalamdb-sql, the lowest layer that rejects user input (the
// dialect parser), so that kalamdb-sql, kalamdb-core and kalamdb-server all
// share one definition.
package apierror

import (
	"errors"
	"fmt"
)

// Code is an error code of the wire contract.
type Code string

// HTTP SQL endpoint codes (docs/api.md, "Error codes").
const (
	InvalidSQL        Code = "INVALID_SQL"
	BatchParseError   Code = "BATCH_PARSE_ERROR"
	EmptySQL          Code = "EMPTY_SQL"
	InvalidParameter  Code = "INVALID_PARAMETER"
	ParamsWithBatch   Code = "PARAMS_WITH_BATCH"
	InvalidInput      Code = "INVALID_INPUT"
	NamespaceNotFound Code = "NAMESPACE_NOT_FOUND"
	TableNotFound     Code = "TABLE_NOT_FOUND"
	NotFound          Code = "NOT_FOUND"
	AlreadyExists     Code = "ALREADY_EXISTS"
	Unauthorized      Code = "UNAUTHORIZED"
	PermissionDenied  Code = "PERMISSION_DENIED"
	PayloadTooLarge   Code = "PAYLOAD_TOO_LARGE"
	RateLimitExceeded Code = "RATE_LIMIT_EXCEEDED"
	SQLExecutionError Code = "SQL_EXECUTION_ERROR"
	InternalError     Code = "INTERNAL_ERROR"
)

// Resource governance codes: a statement that would take more time or
// memory than the server allows ends with one of these, and nothing it did
// is kept. Both are the client's to fix (a narrower statement, or a higher
// configured limit), so they answer 400 like SQL_EXECUTION_ERROR, never a
// 5xx that clients and proxies would retry.
const (
	// QueryTimeout: the statement ran longer than its time limit and was
	// cancelled.
	QueryTimeout Code = "QUERY_TIMEOUT"
	// ResourceLimitExceeded: the statement is larger or more complex than
	// the server plans, or would build a value, hold memory or return a
	// result over a configured limit.
	ResourceLimitExceeded Code = "RESOURCE_LIMIT_EXCEEDED"
)

// WebSocket codes (docs/api.md, "WebSocket /v1/ws") that are not also HTTP codes.
const (
	AuthRequired              Code = "AUTH_REQUIRED"
	InvalidSubscriptionID     Code = "INVALID_SUBSCRIPTION_ID"
	SubscriptionLimitExceeded Code = "SUBSCRIPTION_LIMIT_EXCEEDED"
	Unsupported               Code = "UNSUPPORTED"
	SubscriptionFailed        Code = "SUBSCRIPTION_FAILED"
	BatchFetchFailed          Code = "BATCH_FETCH_FAILED"
	MessageTooLarge           Code = "MESSAGE_TOO_LARGE"
	UnsupportedData           Code = "UNSUPPORTED_DATA"
	Protocol                  Code = "PROTOCOL"
	Killed                    Code = "KILLED"
)

// Error is an error with a wire-contract code. Message is shown to the client
// as is, so it must never contain file paths, stack traces or another user's
// data; Cause (optional) is kept for logs only.
type Error struct {
	Code    Code
	Message string
	// Details is optional structured data for the client (for example the
	// position of a parse error). It is encoded as JSON.
	Details any
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap exposes the cause to errors.Is/As.
func (e *Error) Unwrap() error { return e.Cause }

// New returns an Error with a formatted client-facing message (Format:
// input repeated in it is clipped).
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: Format(format, args...)}
}

// Wrap returns an Error whose client-facing message is msg (clipped to
// MaxMessageRunes) and whose cause (kept out of the client message) is
// err.
func Wrap(code Code, err error, msg string) *Error {
	return &Error{Code: code, Message: clip(msg, MaxMessageRunes), Cause: err}
}

// Error messages often repeat the input they refuse (a user name, a
// field, a value). Repeated in full, a megabyte of input makes a megabyte
// of error, in the answer and in every log line. So messages repeat at
// most MaxEchoRunes characters of any one argument and are at most
// MaxMessageRunes characters in all; a cut is marked with "…".
const (
	MaxEchoRunes    = 200
	MaxMessageRunes = 1000
)

// Format is fmt.Sprintf for client-facing messages: each string, byte
// slice, error or Stringer argument longer than MaxEchoRunes is clipped
// to that, and the result to MaxMessageRunes.
func Format(format string, args ...any) string {
	clipped := args
	for i, a := range args {
		var text string
		switch v := a.(type) {
		case string:
			text = v
		case []byte:
			text = string(v)
		case error:
			text = v.Error()
		case fmt.Stringer:
			text = v.String()
		default:
			continue
		}
		if len(text) <= MaxEchoRunes {
			continue // fewer bytes than the limit is fewer characters too
		}
		if c := clip(text, MaxEchoRunes); len(c) < len(text) {
			if &clipped[0] == &args[0] {
				clipped = append([]any(nil), args...)
			}
			clipped[i] = c
		}
	}
	return clip(fmt.Sprintf(format, clipped...), MaxMessageRunes)
}

// Clip shortens s to MaxEchoRunes characters and "…" when it is longer.
func Clip(s string) string { return clip(s, MaxEchoRunes) }

func clip(s string, runes int) string {
	if len(s) <= runes {
		return s
	}
	n := 0
	for i := range s {
		if n == runes {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// Count is n and a noun for messages, the noun plural unless n is 1
// ("1 table", "2 tables"). noun must form its plural with an s.
func Count[N ~int | ~int64](n N, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// WithDetails sets Details and returns e, for chaining.
func (e *Error) WithDetails(d any) *Error {
	e.Details = d
	return e
}

// CodeOf returns the code of the first *Error in err's chain, or
// InternalError when there is none: an error nobody classified is a bug.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return InternalError
}

// As returns the first *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool {
	e, ok := As(err)
	return ok && e.Code == code
}
