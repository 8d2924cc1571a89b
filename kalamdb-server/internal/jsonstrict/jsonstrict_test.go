package jsonstrict

import (
	"errors"
	"testing"
)

func TestCheckNoDuplicateKeys(t *testing.T) {
	for _, c := range []struct {
		in   string
		key  string
		path string
	}{
		{in: `{"sql":"SELECT 1","sql":"DROP USER 'x'"}`, key: "sql"},
		{in: `{"a":{"b":1,"b":2}}`, key: "b", path: "a"},
		{in: `{"params":[1,{"k":1,"k":2}]}`, key: "k", path: "params[1]"},
		{in: `[{"x":[{}, {"y":1,"y":1}]}]`, key: "y", path: "[0].x[1]"},
		{in: `{"a.b":{"c":1,"c":2}}`, key: "c", path: `["a.b"]`},
	} {
		err := CheckNoDuplicateKeys([]byte(c.in))
		var dup *DuplicateKeyError
		if !errors.As(err, &dup) || dup.Key != c.key || dup.Path != c.path {
			t.Errorf("%s: %v (%+v)", c.in, err, dup)
		}
	}
	for _, ok := range []string{
		`{"sql":"x","params":[{"a":1},{"a":2}],"namespace_id":"n"}`,
		`{"a":{"k":1},"b":{"k":1}}`,
		`[1,"k",{"k":"k"},["k","k"]]`,
		`{"k":{"k":{"k":1}}}`,
		`"just a string"`,
		`{"broken":`, // malformed: left for the decoder to report
		``,
	} {
		if err := CheckNoDuplicateKeys([]byte(ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}
