// Command nash is nashd's command-line client and toolbox: it talks to a running daemon over its
// Unix socket (chat, status, models, solve) and works offline on model files and games
// (model gen/info, generate, solve). Run `nash help` for the list of commands; they live in
// package cli.
package main

import (
	"os"

	"github.com/nashd/nashd/cmd/nash/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	cli.Version = version
	os.Exit(cli.Main(os.Args[1:]))
}
