package main

import (
	"testing"

	"github.com/nashd/nashd/inference/engine"
)

func TestParseConfigs(t *testing.T) {
	for _, tt := range []struct {
		threads, polls string
		want           []config
		bad            bool
	}{
		{"1,2,auto", "0", []config{{name: "1", threads: 1}, {name: "2", threads: 2}, {name: "auto", threads: engine.AutoThreads}}, false},
		{"1/2", "0", []config{{name: "1/2", threads: 1, batch: 2}}, false},
		{"2", "0,50", []config{{name: "2/poll0", threads: 2}, {name: "2/poll50", threads: 2, poll: 50}}, false},
		{"0", "0", nil, true},
		{"1/0", "0", nil, true},
		{"auto/2", "0", nil, true},
		{"x", "0", nil, true},
		{"1", "101", nil, true},
	} {
		got, err := parseConfigs(tt.threads, tt.polls)
		if tt.bad {
			if err == nil {
				t.Errorf("parseConfigs(%q, %q) = %+v, want an error", tt.threads, tt.polls, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseConfigs(%q, %q): %v", tt.threads, tt.polls, err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("parseConfigs(%q, %q) = %+v, want %+v", tt.threads, tt.polls, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("parseConfigs(%q, %q)[%d] = %+v, want %+v", tt.threads, tt.polls, i, got[i], tt.want[i])
			}
		}
	}
}
