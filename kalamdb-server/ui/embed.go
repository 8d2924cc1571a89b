// Package ui holds the admin console's built assets: dist/ is the output
// of `make ui` (Vite) from the sources beside it, committed so that
// building the server needs no Node.js, and embedded in the binary.
package ui

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist is the console's files: index.html and assets/.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// "dist" is a valid path, which is all fs.Sub checks.
		panic(err)
	}
	return sub
}
