package gamesolver

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/nashd/nashd/daemon/api"
)

func TestSolve(t *testing.T) {
	data, err := os.ReadFile("../../configs/games/prisoner_dilemma.toml")
	if err != nil {
		t.Fatal(err)
	}
	var b Backend
	g, err := b.ParseFile("games/prisoner_dilemma.toml", data)
	if err != nil {
		t.Fatal(err)
	}
	js, err := b.EncodeJSON(g)
	if err != nil {
		t.Fatal(err)
	}
	if g2, err := b.ParseJSON(js); err != nil || g2.Name != g.Name || g2.Normal == nil {
		t.Fatalf("ParseJSON(EncodeJSON(g)) = %+v, %v", g2, err)
	}
	tests := []struct {
		method string
		status int    // 0: solved
		code   string // the API error's code
	}{
		{"", 0, ""},
		{"ce", 0, ""},
		{"spe", 400, api.CodeMethodNotApplicable},
		{"magic", 400, api.CodeMethodNotApplicable},
		{"zerosum", 422, api.CodeUnsolvable},
	}
	for _, tt := range tests {
		rep, err := b.Solve(context.Background(), g, tt.method)
		var ae *api.APIError
		switch {
		case tt.status == 0:
			if err != nil || rep == nil || len(rep.Players) != 2 {
				t.Errorf("Solve(%q) = %+v, %v", tt.method, rep, err)
			}
		case !errors.As(err, &ae) || ae.Status != tt.status || ae.Code != tt.code:
			t.Errorf("Solve(%q) error %#v, want status %d code %q", tt.method, err, tt.status, tt.code)
		}
	}
}
