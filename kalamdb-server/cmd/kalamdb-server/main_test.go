package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
)

// The server offers its own flags only: vitess registers MySQL's on the
// process-wide flag set when it is imported.
func TestFlagsAreTheServersOwn(t *testing.T) {
	var out bytes.Buffer
	if _, err := parseFlags([]string{"-help"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-help: %v", err)
	}
	usage := out.String()
	for _, want := range []string{"-config", "-version"} {
		if !strings.Contains(usage, want) {
			t.Fatalf("usage lacks %s:\n%s", want, usage)
		}
	}
	if strings.Contains(strings.ToLower(usage), "mysql") {
		t.Fatalf("usage offers MySQL's flags:\n%s", usage)
	}
	out.Reset()
	if _, err := parseFlags([]string{"-mysql_auth_server_static_file", "/etc/passwd"}, &out); err == nil ||
		!strings.Contains(out.String(), "flag provided but not defined") {
		t.Fatalf("a MySQL flag was taken: %v\n%s", err, out.String())
	}
	o, err := parseFlags([]string{"-config", "/tmp/x.toml", "-version"}, &out)
	if err != nil || o.configPath != "/tmp/x.toml" || !o.version {
		t.Fatalf("parsed %+v, %v", o, err)
	}
}
