// Package cli is kalam, the command-line client of KalamDB-Go: an
// interactive shell (line editing, history, completion, backslash
// commands, live queries) and a script runner (-c, -f, standard input,
// --subscribe), over the server's public wire contract only (HTTP SQL,
// login and refresh, WebSocket live queries).
//
// Files by concern: client.go speaks HTTP and holds the tokens;
// subscribe.go speaks the WebSocket; store.go keeps named instances in
// ~/.kalam; statements.go decides where statements end (with the SQL
// dialect's lexer and splitter, so by PostgreSQL's lexical rules) and which
// go in one request; exec.go runs them and reports errors with their
// place; format.go and table.go print results; meta.go has the backslash
// commands; complete.go Tab completion; shell.go the interactive loop;
// connect.go signing in; run.go the flags' modes and exit statuses.
//
// Invariants: a password is never written to disk (the store holds a
// refreshable token pair, mode 0600); every request runs under a context
// that Ctrl-C cancels, so a running statement is cancelled without ending
// the shell; output to a closed pipe ends the run with a non-zero status;
// data shown in a table cannot send control characters to the terminal.
package cli
