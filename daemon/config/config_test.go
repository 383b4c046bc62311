package config

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestShippedConfigs loads the documented examples in configs/.
func TestShippedConfigs(t *testing.T) {
	s, err := Load("../../configs", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Models.Default == "" || s.DefaultSpec() == nil || !s.DefaultSpec().Fallback {
		t.Errorf("shipped models.toml: %+v", s.Models)
	}
	if s.Daemon.Server.SocketMode != "0600" || s.Daemon.Reasoning.SelectionRule != "welfare" {
		t.Errorf("shipped nashd.toml: %+v", s.Daemon)
	}
	if n, ok := s.Pricing.ExpectedCompletionTokens["AQ"]; !ok || s.Pricing.Cost(float64(n)) <= 0 {
		t.Errorf("pricing cost of AQ: %d tokens, cost %v", n, s.Pricing.Cost(float64(n)))
	}
}

func TestDefaultsWithoutFiles(t *testing.T) {
	s, err := Load(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.DefaultSpec() != nil || s.Daemon.Inference.Slots != 2 || s.Pricing.Payer != "user" || s.PricingVersion() != "pricing.toml@builtin" {
		t.Errorf("defaults: %+v", s)
	}
}

func TestStrictErrors(t *testing.T) {
	tests := []struct {
		file, content, want string
	}{
		{"nashd.toml", "[server]\nsocket = \"x\"\nbogus = 1\n", "nashd.toml:3: unknown key server.bogus"},
		{"nashd.toml", "[serve]\nsocket = 1\n", "nashd.toml:1: unknown key serve"},
		{"nashd.toml", "[inference]\nslots = \"two\"\n", "nashd.toml:2: inference.slots: incompatible types"},
		{"nashd.toml", "[inference]\nslots = 0\n", "inference.slots: 0 outside"},
		{"nashd.toml", "[server]\nsocket_mode = \"0400\"\n", "socket_mode"},
		{"nashd.toml", "[server]\nsocket_mode = \"rw\"\n", "socket_mode"},
		{"nashd.toml", "[server]\ntcp = \"0.0.0.0:80\"\n", "not a loopback"},
		{"nashd.toml", "[server]\ntcp = \"127.0.0.1:80\"\nallowed_uids = [1]\n", "allowed_uids"},
		{"nashd.toml", "[server]\nrequest_timeout = \"soon\"\n", "invalid duration"},
		{"nashd.toml", "[log]\nformat = \"xml\"\n", "log.format"},
		{"nashd.toml", "[log]\nlevel = \"loud\"\n", "log.level"},
		{"nashd.toml", "[reasoning]\nselection_rule = \"max\"\n", "selection_rule"},
		{"nashd.toml", "[reasoning]\nmismatch_policy = \"ignore\"\n", "mismatch_policy"},
		{"nashd.toml", "[server\n", "nashd.toml:2: expected"},
		{"models.toml", "default = \"a\"\n", "default: \"a\" is not"},
		{"models.toml", "[models.a]\npath = \"x\"\n", "default: missing"},
		{"models.toml", "default = \"a\"\n[models.a]\n", "models.a.path: missing"},
		{"models.toml", "default = \"a\"\n[models.a]\npath = \"x\"\ngpu = 3\n", "models.toml:4: unknown key models.a.gpu"},
		{"models.toml", "default = \"a\"\n[models.a]\npath = \"x\"\ncontext = 8\n", "models.a.context"},
		{"models.toml", "default = \"default\"\n[models.default]\npath = \"x\"\n", "reserved"},
		{"pricing.toml", "payer = \"bank\"\n", "payer"},
		{"pricing.toml", "rate = -1.0\n", "rate"},
		{"pricing.toml", "[expected_completion_tokens]\nDA = -5\n", "expected_completion_tokens.DA"},
		{"pricing.toml", "[expected_completion_tokens]\n\"D A\" = 5\n", "bad strategy id"},
		{"pricing.toml", "price = 3\n", "pricing.toml:1: unknown key price"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, tc.file, tc.content)
			_, err := Load(dir, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load(%s = %q) error %v, want it to contain %q", tc.file, tc.content, err, tc.want)
			}
		})
	}
}

func TestSpecMerge(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "nashd.toml", "[inference]\nthreads = 3\ncontext_size = 1024\nslots = 4\n")
	write(t, dir, "models.toml", "default = \"a\"\n[models.a]\npath = \"m/a.gguf\"\nslots = 1\n")
	s, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	sp := s.DefaultSpec()
	want := Spec{Name: "a", Path: filepath.Join(s.Dir, "m/a.gguf"), ContextSize: 1024, BatchSize: 512, Threads: 3, Slots: 1}
	if *sp != want {
		t.Errorf("spec %+v, want %+v", *sp, want)
	}
}

// TestReloadAtomic: a bad file in a reload leaves every file's old version in force.
func TestReloadAtomic(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "pricing.toml", "rate = 1.0\n")
	write(t, dir, "nashd.toml", "[inference]\nslots = 2\n")
	st, err := Open(dir, StoreOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	old := st.Current()
	write(t, dir, "pricing.toml", "rate = 2.0\n")            // valid change
	write(t, dir, "nashd.toml", "[inference]\nslots = -1\n") // invalid
	if changed, err := st.Reload("test"); changed || err == nil {
		t.Fatalf("Reload = %v, %v; want rejection", changed, err)
	}
	if st.Current() != old || st.Current().Pricing.Rate != 1 {
		t.Fatal("half-applied: pricing changed although nashd.toml was invalid")
	}
	if e := st.Errors(); e["nashd.toml"] == "" || e["pricing.toml"] != "" {
		t.Errorf("errors %v", e)
	}
	write(t, dir, "nashd.toml", "[inference]\nslots = 3\n")
	if changed, err := st.Reload("test"); !changed || err != nil {
		t.Fatalf("Reload = %v, %v", changed, err)
	}
	cur := st.Current()
	if cur.Pricing.Rate != 2 || cur.Daemon.Inference.Slots != 3 || cur.Generation != old.Generation+1 || len(st.Errors()) != 0 {
		t.Errorf("after the fix: %+v errors %v", cur, st.Errors())
	}
	if changed, _ := st.Reload("test"); changed {
		t.Error("a reload without edits changed the config")
	}
	if s := st.Stats(); s.OK != 1 || s.Failed != 1 || s.Unchanged != 1 {
		t.Errorf("stats %+v", s)
	}
}

func FuzzLoadFiles(f *testing.F) {
	for _, s := range []string{"[server]\nsocket = \"x\"\n", "default = \"a\"\n[models.a]\npath = \"p\"\n", "payer = \"user\"\n[expected_completion_tokens]\nDA = 1\n", "[[x]]\n", "a.b.c = 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		files := map[string][]byte{DaemonFile: []byte(content), ModelsFile: []byte(content), PricingFile: []byte(content), "games/g.toml": []byte(content)}
		s, errs := parse("/nonexistent", files, nil)
		if len(errs) == 0 {
			if err := s.Daemon.Validate(); err != nil {
				t.Fatalf("accepted an invalid nashd.toml: %v", err)
			}
		}
	})
}

// TestThreadsAndPoll: threads and batch_threads take an integer or "auto"; models.toml's
// values (including poll = 0) override nashd.toml's, and absent ones inherit them.
func TestThreadsAndPoll(t *testing.T) {
	for _, tt := range []struct {
		name, daemon, model  string
		threads, batch, poll int
	}{
		{"defaults", "", "", -1, 0, 0},
		{"0 is the default", "threads = 0\n", "", 0, 0, 0},
		{"auto in nashd.toml", "threads = \"auto\"\n", "", -1, 0, 0},
		{"fixed in nashd.toml", "threads = 3\nbatch_threads = 2\npoll = 50\n", "", 3, 2, 50},
		{"model auto over fixed", "threads = 3\npoll = 50\n", "threads = \"auto\"\nbatch_threads = \"auto\"\npoll = 0\n", -1, -1, 0},
		{"model fixed over auto", "threads = \"auto\"\n", "threads = 1\npoll = 100\n", 1, 0, 100},
		{"model inherits", "threads = 4\nbatch_threads = \"auto\"\npoll = 20\n", "threads = 0\n", 4, -1, 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "nashd.toml", "[inference]\n"+tt.daemon)
			write(t, dir, "models.toml", "default = \"a\"\n[models.a]\npath = \"a.gguf\"\n"+tt.model)
			s, err := Load(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			sp := s.DefaultSpec()
			if sp.Threads != tt.threads || sp.BatchThreads != tt.batch || sp.Poll != tt.poll {
				t.Errorf("spec threads %d, batch_threads %d, poll %d; want %d, %d, %d", sp.Threads, sp.BatchThreads, sp.Poll, tt.threads, tt.batch, tt.poll)
			}
		})
	}
	for _, tt := range []struct{ file, content, want string }{
		{"nashd.toml", "[inference]\nthreads = -2\n", "nashd.toml:2"},
		{"nashd.toml", "[inference]\n\nthreads = \"many\"\n", "nashd.toml:3"},
		{"nashd.toml", "[inference]\nbatch_threads = 513\n", "outside [0, 512]"},
		{"nashd.toml", "[inference]\npoll = 101\n", "inference.poll: 101 outside [0, 100]"},
		{"nashd.toml", "[inference]\nthreads = 1.5\n", "nashd.toml:2"},
		{"models.toml", "default = \"a\"\n[models.a]\npath = \"a.gguf\"\npoll = -1\n", "models.a.poll: -1 outside [0, 100]"},
		{"models.toml", "default = \"a\"\n[models.a]\npath = \"a.gguf\"\nthreads = \"Auto\"\n", "models.toml:4"},
	} {
		dir := t.TempDir()
		write(t, dir, tt.file, tt.content)
		if _, err := Load(dir, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%s = %q) error %v, want it to contain %q", tt.file, tt.content, err, tt.want)
		}
	}
}
