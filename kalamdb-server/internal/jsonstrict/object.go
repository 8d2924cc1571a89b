package jsonstrict

import (
	"encoding/json"
	"strconv"
	"strings"
)

// FieldError is a field of a request object that is not what its reader
// expects: a known name spelled in another case (encoding/json, and so
// many proxies and loggers, would read "SQL" as "sql", so the request is
// ambiguous), or a value of the wrong type.
type FieldError struct {
	// Field is the field's path as sent, as `subscription.options.Batch_Size`.
	Field   string
	problem string
}

func (e *FieldError) Error() string { return "field " + strconv.Quote(e.Field) + " " + e.problem }

// Object is a decoded JSON object whose known field names are spelled
// exactly (DecodeObject, Object.Object); other fields are ignored by the
// accessors.
type Object struct {
	fields map[string]any
	path   string
}

// NotObjectError is a JSON value, other than null, where a reader wants
// an object.
type NotObjectError struct {
	// Kind is what it is instead (Kind).
	Kind string
}

func (e *NotObjectError) Error() string { return "want a JSON object, not " + e.Kind }

// DecodeObject decodes data (Decode), which must be one JSON object
// whose fields include the known ones only with exactly their spelling
// (else a *FieldError). JSON null is an object with no fields, as
// encoding/json decodes it into a struct; any other value is a
// *NotObjectError.
func DecodeObject(data []byte, known ...string) (Object, error) {
	v, err := decode(data, known)
	if err != nil {
		return Object{}, err
	}
	if v == nil {
		return Object{}, nil
	}
	return objectOf(v, "", known)
}

func objectOf(v any, path string, known []string) (Object, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Object{}, &NotObjectError{Kind: Kind(v)}
	}
	for name := range m {
		for _, k := range known {
			if name != k && strings.EqualFold(name, k) {
				return Object{}, &FieldError{Field: join(path, name),
					problem: "is not " + strconv.Quote(join(path, k)) + ": field names are case-sensitive"}
			}
		}
	}
	return Object{fields: m, path: path}, nil
}

// Has reports whether the object has the field, null included.
func (o Object) Has(name string) bool {
	_, ok := o.fields[name]
	return ok
}

// String is the field when it is a string, nil when it is absent or null.
func (o Object) String(name string) (*string, error) {
	switch v := o.fields[name].(type) {
	case nil:
		return nil, nil
	case string:
		return &v, nil
	default:
		return nil, o.typeError(name, "a string", v)
	}
}

// Array is the field when it is an array, nil when it is absent or null.
func (o Object) Array(name string) ([]any, error) {
	switch v := o.fields[name].(type) {
	case nil:
		return nil, nil
	case []any:
		return v, nil
	default:
		return nil, o.typeError(name, "an array", v)
	}
}

// Object is the field when it is an object, checked for the known names
// like the outer one; ok is false when it is absent or null.
func (o Object) Object(name string, known ...string) (inner Object, ok bool, err error) {
	v := o.fields[name]
	if v == nil {
		return Object{}, false, nil
	}
	if _, isObject := v.(map[string]any); !isObject {
		return Object{}, false, o.typeError(name, "an object", v)
	}
	inner, err = objectOf(v, join(o.path, name), known)
	return inner, err == nil, err
}

// Int is the field when it is an integral number that fits in 64 bits,
// 0 when it is absent or null.
func (o Object) Int(name string) (int64, error) {
	switch v := o.fields[name].(type) {
	case nil:
		return 0, nil
	case json.Number:
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return 0, &FieldError{Field: join(o.path, name), problem: "must be an integer"}
		}
		return n, nil
	default:
		return 0, o.typeError(name, "an integer", v)
	}
}

func (o Object) typeError(name, want string, got any) *FieldError {
	return &FieldError{Field: join(o.path, name), problem: "must be " + want + ", not " + Kind(got)}
}

// Kind names the JSON type of a decoded value, as encoding/json's type
// errors do.
func Kind(v any) string {
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
