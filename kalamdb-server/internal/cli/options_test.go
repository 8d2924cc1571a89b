package cli

import (
	"math"
	"testing"
	"time"
)

func TestParseOptions(t *testing.T) {
	env := map[string]string{"KALAMDB_USER": "alice", "KALAMDB_PASSWORD": "pw"}
	o, err := parseOptions([]string{"-H", "db.example", "--port", "9000", "--csv"}, func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.URL != "http://db.example:9000" || o.User != "alice" || o.Password != "pw" || o.Format != FormatCSV {
		t.Fatalf("options %+v", o)
	}
	o, err = parseOptions([]string{"--url", "localhost:8080/", "-c", "SELECT 1"}, func(string) string { return "" }, nil)
	if err != nil || o.URL != "http://localhost:8080" || o.Command != "SELECT 1" || o.User != "" {
		t.Fatalf("options %+v %v", o, err)
	}
	for _, bad := range [][]string{{"--json", "--csv"}, {"-c", "x", "-f", "y"}, {"--format", "xml"}, {"--token", "t", "--user", "u"}, {"stray"}, {"--port", "70000"}} {
		if _, err := parseOptions(bad, func(string) string { return "" }, nil); exitCode(err) != ExitUsage {
			t.Errorf("%v: want a usage error, got %v", bad, err)
		}
	}
}

// A limit past the largest Duration saturates: converted from float it
// was the int64 minimum, and a negative connection timeout fails every
// dial at once. NaN is refused. Failed before: --connection-timeout 1e12
// gave -2562047h47m16.854775808s.
func TestParseOptionsHugeTimeoutsSaturate(t *testing.T) {
	o, err := parseOptions([]string{"--timeout", "inf", "--connection-timeout", "1e12", "--loading-threshold-ms", "1e300"}, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	const most = time.Duration(math.MaxInt64)
	if o.Timeout != most || o.ConnectTimeout != most || o.LoadingThreshold != most {
		t.Fatalf("timeout %v, connection timeout %v, loading threshold %v: want %v each", o.Timeout, o.ConnectTimeout, o.LoadingThreshold, most)
	}
	if _, err := parseOptions([]string{"--timeout", "NaN"}, func(string) string { return "" }, nil); exitCode(err) != ExitUsage {
		t.Errorf("--timeout NaN: want a usage error, got %v", err)
	}
}
