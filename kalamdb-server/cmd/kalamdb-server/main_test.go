package main

import (
	"bytes"
	"errors"
	"flag"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
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

// The server adds its runtime setting to GODEBUG, keeping the operator's
// other settings, and leaves a GODEBUG that names it alone.
func TestRuntimeEnv(t *testing.T) {
	want := "GODEBUG=" + runtimeSetting + "=" + runtimeSettingValue
	cases := []struct {
		env     []string
		want    []string
		changed bool
	}{
		{[]string{"HOME=/root"}, []string{"HOME=/root", want}, true},
		{[]string{"GODEBUG=madvdontneed=1", "A=b"}, []string{"GODEBUG=madvdontneed=1," + runtimeSetting + "=" + runtimeSettingValue, "A=b"}, true},
		{[]string{"GODEBUG="}, []string{want}, true},
		{[]string{"GODEBUG=" + runtimeSetting + "=0"}, []string{"GODEBUG=" + runtimeSetting + "=0"}, false},
		{[]string{"GODEBUG=gctrace=1," + runtimeSetting + "=500"}, []string{"GODEBUG=gctrace=1," + runtimeSetting + "=500"}, false},
	}
	for _, c := range cases {
		in := slices.Clone(c.env)
		got, changed := runtimeEnv(c.env)
		if changed != c.changed || !slices.Equal(got, c.want) {
			t.Errorf("runtimeEnv(%q) = %q, %v; want %q, %v", in, got, changed, c.want, c.changed)
		}
		if !slices.Equal(c.env, in) {
			t.Errorf("runtimeEnv changed its argument: %q", c.env)
		}
	}
	// The value is one the runtime takes (an int32 of milliseconds).
	if n, err := strconv.ParseInt(runtimeSettingValue, 10, 32); err != nil || n <= 0 {
		t.Fatalf("%s=%s: %v", runtimeSetting, runtimeSettingValue, err)
	}
}

// The server sets the heap limit its configuration derives, and leaves
// the runtime's alone when GOMEMLIMIT chose one (or the configuration
// asks for none).
func TestApplyHeapLimit(t *testing.T) {
	cfg := config.Default()
	cfg.Limits.ServerMemoryBytes = 1 << 30
	want, _ := cfg.HeapLimit("")
	for _, c := range []struct {
		env   string
		limit int64
		want  []int64
	}{
		{"", 0, []int64{want, -1}},
		{"2GiB", 0, []int64{-1}},
		{"", -1, []int64{-1}},
		{"2GiB", 3 << 30, []int64{3 << 30, -1}},
	} {
		cfg.Limits.HeapLimitBytes = c.limit
		var calls []int64
		applyHeapLimit(&cfg, c.env, func(n int64) int64 { calls = append(calls, n); return 0 }, zap.NewNop())
		if !slices.Equal(calls, c.want) {
			t.Errorf("GOMEMLIMIT=%q heap_limit_bytes=%d: set(%v), want set(%v)", c.env, c.limit, calls, c.want)
		}
	}
}
