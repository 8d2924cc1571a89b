package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/jsonstrict"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// Request bodies are read in one pass by jsonstrict.Decode: numbers stay
// json.Number (so 64-bit integers survive exactly), unknown fields are
// ignored (clients may send more than this version knows), and the body is
// refused when it is not one JSON object, when a field has the wrong type,
// and when it is ambiguous: a key given twice at any depth (two "sql"s:
// this server would run one, a proxy or an audit log may read the other),
// or a known field spelled in another case (encoding/json, and so many
// proxies, take "SQL" for "sql").

// sqlRequest is the body of POST /v1/api/sql. Pointers tell a missing or
// null field from an empty one.
type sqlRequest struct {
	SQL       *string
	Params    []any
	Namespace *string
}

func decodeSQLRequest(body []byte) (sqlRequest, error) {
	var req sqlRequest
	obj, err := decodeObject(body, "sql", "params", "namespace_id")
	if err != nil {
		return req, err
	}
	if req.SQL, err = obj.String("sql"); err != nil {
		return req, fieldError(err)
	}
	if req.Params, err = obj.Array("params"); err != nil {
		return req, fieldError(err)
	}
	req.Namespace, err = obj.String("namespace_id")
	return req, fieldError(err)
}

// loginRequest is the body of POST /v1/api/auth/login; `username` is
// accepted as a synonym of `user`.
type loginRequest struct {
	User     *string
	Username *string
	Password *string
}

func decodeLoginRequest(body []byte) (loginRequest, error) {
	var req loginRequest
	obj, err := decodeObject(body, "user", "username", "password")
	if err != nil {
		return req, err
	}
	if req.User, err = obj.String("user"); err != nil {
		return req, fieldError(err)
	}
	if req.Username, err = obj.String("username"); err != nil {
		return req, fieldError(err)
	}
	req.Password, err = obj.String("password")
	return req, fieldError(err)
}

// decodeObject decodes a body that must be one JSON object whose fields
// include (exactly spelled) the known ones.
func decodeObject(body []byte, known ...string) (jsonstrict.Object, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return jsonstrict.Object{}, apierror.New(apierror.InvalidInput, "request body is empty; want a JSON object")
	}
	obj, err := jsonstrict.DecodeObject(body, known...)
	if err == nil {
		return obj, nil // before errors.As, whose target would escape on every request
	}
	var notObject *jsonstrict.NotObjectError
	if errors.As(err, &notObject) {
		return obj, apierror.New(apierror.InvalidInput, "request body must be a JSON object, not %s", notObject.Kind)
	}
	return obj, jsonError(err)
}

// fieldError is the INVALID_INPUT error of a field of the wrong type or
// spelling, naming it in details.
func fieldError(err error) error {
	if err == nil {
		return nil // before errors.As, whose target would escape on every request
	}
	var fe *jsonstrict.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	return apierror.Wrap(apierror.InvalidInput, err, err.Error()).WithDetails(map[string]string{"field": fe.Field})
}

func jsonError(err error) error {
	var dup *jsonstrict.DuplicateKeyError
	var syntaxErr *jsonstrict.SyntaxError
	var field *jsonstrict.FieldError
	switch {
	case errors.As(err, &field):
		return fieldError(err)
	case errors.Is(err, jsonstrict.ErrInvalidText) && errors.As(err, &syntaxErr):
		return apierror.Wrap(apierror.InvalidInput, err,
			fmt.Sprintf("invalid JSON at byte %d: %s (text must be UTF-8)", syntaxErr.Offset, syntaxErr.Error()))
	case errors.As(err, &dup):
		return apierror.Wrap(apierror.InvalidInput, err, "invalid JSON: "+err.Error())
	case errors.Is(err, jsonstrict.ErrTrailingData):
		return apierror.Wrap(apierror.InvalidInput, err, "invalid JSON: unexpected data after the request object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apierror.Wrap(apierror.InvalidInput, err, "invalid JSON: unexpected end of input")
	case errors.As(err, &syntaxErr):
		return apierror.Wrap(apierror.InvalidInput, err,
			fmt.Sprintf("invalid JSON at byte %d: %s", syntaxErr.Offset, syntaxErr.Error()))
	default:
		return apierror.Wrap(apierror.InvalidInput, err, "invalid JSON request body")
	}
}
