// Command secuird runs the Secuird identity provider and its operator
// commands. See `secuird --help`.
package main

import (
	"os"

	"github.com/secuird/secuird/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
