package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

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
	if req.SQL, err = stringField(obj, "sql"); err != nil {
		return req, err
	}
	if req.Params, err = arrayField(obj, "params"); err != nil {
		return req, err
	}
	req.Namespace, err = stringField(obj, "namespace_id")
	return req, err
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
	if req.User, err = stringField(obj, "user"); err != nil {
		return req, err
	}
	if req.Username, err = stringField(obj, "username"); err != nil {
		return req, err
	}
	req.Password, err = stringField(obj, "password")
	return req, err
}

// decodeObject decodes a body that must be one JSON object whose fields
// include (exactly spelled) the known ones. JSON null is an object with
// no fields, as encoding/json decodes it into a struct.
func decodeObject(body []byte, known ...string) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, apierror.New(apierror.InvalidInput, "request body is empty; want a JSON object")
	}
	v, err := jsonstrict.Decode(body)
	if err != nil {
		return nil, jsonError(err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			return map[string]any{}, nil
		}
		return nil, apierror.New(apierror.InvalidInput, "request body must be a JSON object, not %s", jsonKind(v))
	}
	for name := range obj {
		for _, k := range known {
			if name != k && strings.EqualFold(name, k) {
				return nil, apierror.New(apierror.InvalidInput,
					"field %q is not %q: field names are case-sensitive", name, k).
					WithDetails(map[string]string{"field": name})
			}
		}
	}
	return obj, nil
}

// stringField is obj[name] when it is a string, nil when it is absent or
// null.
func stringField(obj map[string]any, name string) (*string, error) {
	switch v := obj[name].(type) {
	case nil:
		return nil, nil
	case string:
		return &v, nil
	default:
		return nil, fieldTypeError(name, "a string", v)
	}
}

// arrayField is obj[name] when it is an array, nil when it is absent or
// null.
func arrayField(obj map[string]any, name string) ([]any, error) {
	switch v := obj[name].(type) {
	case nil:
		return nil, nil
	case []any:
		return v, nil
	default:
		return nil, fieldTypeError(name, "an array", v)
	}
}

func fieldTypeError(name, want string, got any) error {
	return apierror.New(apierror.InvalidInput, "field %q must be %s, not %s", name, want, jsonKind(got)).
		WithDetails(map[string]string{"field": name})
}

// jsonKind names the JSON type of a decoded value, as encoding/json's
// type errors do.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "null"
}

func jsonError(err error) error {
	var dup *jsonstrict.DuplicateKeyError
	var syntaxErr *jsonstrict.SyntaxError
	switch {
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
