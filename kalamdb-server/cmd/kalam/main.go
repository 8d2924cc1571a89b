// Command kalam is the command-line client of KalamDB-Go: an interactive
// SQL shell and a script runner. See docs/cli.md; the client is package
// internal/cli.
package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/cli"
)

func main() {
	// A closed pipe on stdout must surface as a write error, which the
	// client reports and exits on, not kill the process mid-line.
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(cli.Main())
}
