package cli

import "testing"

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
