package api

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestLeaf keeps the package a leaf: of this module, only the inference types, the pure-Go
// solver (whose report it carries) and the pure-Go reasoning packages (whose result it
// carries, with the grammar checker they use); nothing that uses cgo.
func TestLeaf(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}} {{len .CgoFiles}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	const module = "github.com/nashd/nashd/"
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 10 {
		t.Fatalf("go list printed %d packages:\n%s", len(lines), out)
	}
	for _, line := range lines {
		f := strings.Fields(line)
		path, std, cgo := f[0], f[1] == "true", f[2] != "0"
		if cgo && !std {
			t.Errorf("package api depends on %s, which uses cgo", path)
		}
		if rest, ok := strings.CutPrefix(path, module); ok && !allowed(rest) {
			t.Errorf("package api depends on %s", path)
		}
	}
}

// allowed reports whether package api may depend on the module's package at path rest.
func allowed(rest string) bool {
	switch rest {
	case "daemon/api", "inference", "inference/gbnf", "solver", "reasoning/gtalign", "reasoning/pricing", "internal/stricttoml",
		"reasoning/agents", "reasoning/dond", "reasoning/internal/turn": // the games' results (POST /v1/games/play)
		return true
	}
	return strings.HasPrefix(rest, "solver/")
}

func TestBadRequest(t *testing.T) {
	tests := []struct {
		param, format string
		args          []any
		want          string
	}{
		{"top_p", "%v outside [0, 1]", []any{1.5}, `{"error":{"message":"top_p: 1.5 outside [0, 1]","type":"invalid_request_error","param":"top_p"}}`},
		{"", "empty request body", nil, `{"error":{"message":"empty request body","type":"invalid_request_error"}}`},
	}
	for _, tt := range tests {
		e := BadRequest(tt.param, tt.format, tt.args...)
		if e.Status != 400 {
			t.Errorf("BadRequest(%q) status %d", tt.param, e.Status)
		}
		b, err := json.Marshal(ErrorBody{Error: e})
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("BadRequest(%q, %q) encodes as %s, want %s", tt.param, tt.format, b, tt.want)
		}
	}
}

func TestNewList(t *testing.T) {
	b, err := json.Marshal(NewList[GameEntry](nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"object":"list","data":[]}`; string(b) != want {
		t.Errorf("empty list encodes as %s, want %s", b, want)
	}
}
