// Command kalam is a small command-line client for a KalamDB server: it sends
// SQL to POST /v1/api/sql and prints the results as tables.
//
//	kalam -c "SHOW NAMESPACES"                 one batch, then exit
//	kalam --user alice --password secret       interactive: statements end with ';'
//
// The password may also come from KALAMDB_PASSWORD.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "server base URL")
	user := flag.String("user", "root", "user name")
	password := flag.String("password", os.Getenv("KALAMDB_PASSWORD"), "password (default $KALAMDB_PASSWORD)")
	namespace := flag.String("namespace", "", "default namespace for unqualified table names")
	command := flag.String("c", "", "run this SQL and exit")
	flag.Parse()

	c := &client{url: strings.TrimRight(*url, "/"), user: *user, password: *password, namespace: *namespace,
		http: &http.Client{Timeout: 5 * time.Minute}}
	if *command != "" {
		if !c.run(*command, os.Stdout) {
			os.Exit(1)
		}
		return
	}
	repl(c, os.Stdin, os.Stdout)
}

// repl reads statements up to ';' and runs each batch.
func repl(c *client, in io.Reader, out io.Writer) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var pending strings.Builder
	prompt := func() {
		if pending.Len() == 0 {
			fmt.Fprint(out, "kalam> ")
		} else {
			fmt.Fprint(out, "   ... ")
		}
	}
	prompt()
	for sc.Scan() {
		line := sc.Text()
		if pending.Len() == 0 && (strings.TrimSpace(line) == `\q` || strings.TrimSpace(line) == "exit") {
			return
		}
		pending.WriteString(line)
		pending.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			c.run(pending.String(), out)
			pending.Reset()
		}
		prompt()
	}
}

type client struct {
	url, user, password, namespace string
	http                           *http.Client
}

type response struct {
	Status  string `json:"status"`
	Results []struct {
		Schema []struct {
			Name string `json:"name"`
		} `json:"schema"`
		Rows     [][]json.RawMessage `json:"rows"`
		RowCount int64               `json:"row_count"`
		Message  string              `json:"message"`
	} `json:"results"`
	Took  float64 `json:"took"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// run sends one batch and prints its results; it reports success.
func (c *client) run(sqlText string, out io.Writer) bool {
	body, _ := json.Marshal(map[string]any{"sql": sqlText, "namespace_id": c.namespace})
	if c.namespace == "" {
		body, _ = json.Marshal(map[string]any{"sql": sqlText})
	}
	req, err := http.NewRequest(http.MethodPost, c.url+"/v1/api/sql", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintln(out, "error:", err)
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(c.user, c.password)
	resp, err := c.http.Do(req)
	if err != nil {
		fmt.Fprintln(out, "error:", err)
		return false
	}
	defer resp.Body.Close()
	var r response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		fmt.Fprintf(out, "error: HTTP %d with an unreadable body: %v\n", resp.StatusCode, err)
		return false
	}
	if r.Error != nil {
		fmt.Fprintf(out, "ERROR %s: %s\n", r.Error.Code, r.Error.Message)
		return false
	}
	for _, res := range r.Results {
		if len(res.Schema) == 0 {
			fmt.Fprintf(out, "%s (%d)\n", res.Message, res.RowCount)
			continue
		}
		tw := tabwriter.NewWriter(out, 0, 2, 2, ' ', 0)
		names := make([]string, len(res.Schema))
		for i, s := range res.Schema {
			names[i] = s.Name
		}
		fmt.Fprintln(tw, strings.Join(names, "\t"))
		for _, row := range res.Rows {
			cells := make([]string, len(row))
			for i, v := range row {
				cells[i] = cell(v)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		tw.Flush()
		fmt.Fprintf(out, "(%d rows)\n", res.RowCount)
	}
	fmt.Fprintf(out, "took %.2f ms\n", r.Took)
	return true
}

// cell renders a JSON value for the table: strings without quotes.
func cell(v json.RawMessage) string {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s
	}
	return string(v)
}
