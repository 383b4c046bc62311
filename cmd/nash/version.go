package main

import (
	"fmt"
	"io"

	"github.com/nashd/nashd/inference/llama"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func init() {
	register(&command{
		name:    "version",
		summary: "print nash's version and llama.cpp's system info (SIMD features)",
		run: func(args []string, stdout, stderr io.Writer) error {
			c := commands["version"]
			fs := newFlags(c, stderr)
			if _, err := parseInterspersed(fs, args); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "nash %s\nllama.cpp %s\nsystem_info: %s\n", version, llama.BuildInfo(), llama.SystemInfo())
			return nil
		},
	})
}
