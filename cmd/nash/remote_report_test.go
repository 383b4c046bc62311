package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriteRemoteReport(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
		wantErr    bool
	}{
		{
			name: "mixed and pure",
			body: `{"report":{"game":"bos","players":["Alice","Bob"],"strategies":[["o","f"],["o","f"]],"method":"enummixed","complete":true,
				"equilibria":[{"profile":[["1","0"],["1","0"]],"payoffs":["2","1"]},{"profile":[["2/3","1/3"],["1/3","2/3"]],"payoffs":["2/3","2/3"]}]}}`,
			want: []string{"2 equilibria", "method:  enummixed (complete)", "1  o", "o:2/3 f:1/3", "2/3, 2/3"},
		},
		{
			name: "one equilibrium, unnamed strategies, incomplete",
			body: `{"report":{"game":"g","players":["P1","P2"],"strategies":[],"method":"lh","complete":false,
				"equilibria":[{"profile":[["0","1"],["1"]],"payoffs":["0","0"]}],"note":"one path"}}`,
			want: []string{"1 equilibrium\n", "not guaranteed complete", "note: one path"},
		},
		{name: "not JSON", body: `{"report":`, wantErr: true},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		err := writeRemoteReport(&b, []byte(tt.body))
		if (err != nil) != tt.wantErr {
			t.Fatalf("%s: err = %v, wantErr %v", tt.name, err, tt.wantErr)
		}
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: output lacks %q:\n%s", tt.name, w, b.String())
			}
		}
	}
}
