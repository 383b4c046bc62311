package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nashd/nashd/cmd/nash/cli"
	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/models"
)

// remoteTokens is the length of each generation in BenchmarkRemoteOverhead, remotePairs
// the local/remote pairs of one iteration (`make bench-daemon` runs one).
const remoteTokens, remotePairs = 64, 8

// remoteGrammar keeps a generation from ending before max_tokens, so every request of the
// benchmark generates remoteTokens tokens whatever the model.
const remoteGrammar = `root ::= [a-z ]{400,}`

// BenchmarkRemoteOverhead measures what a remote model costs: the wall-clock time of a
// 64-token chat completion sent to a nashd whose model lives on a second nashd (over its
// Unix socket) against the same request sent to that second nashd directly. Each
// iteration runs remotePairs local/remote pairs, in alternating order, so load on the shared machine
// hits both sides alike; the result is the median per-pair remote/local ratio with its
// range.
func BenchmarkRemoteOverhead(b *testing.B) {
	model := benchModel(b)
	backend := startDaemon(b, model, 1)
	defer backend.stop()
	front := startDaemonModels(b, fmt.Sprintf(`default = "far"
[models.far]
url = "unix://%s"
served_name = "bench"
dialect = "nashd"
max_concurrency = 1
`, backend.sock), 1)
	defer front.stop()
	if st := front.status(b); st.Model.Serving == nil || st.Model.Serving.Remote == nil {
		b.Fatalf("front does not serve the remote model: %+v", st.Model)
	}
	gen := func(d *daemonProc) time.Duration {
		t0 := time.Now()
		n, err := d.chatGrammar(remoteTokens)
		el := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		if n != remoteTokens {
			b.Fatalf("generated %d tokens, want %d", n, remoteTokens)
		}
		return el
	}
	gen(backend) // warm both paths: prompt cached, connections open
	gen(front)
	var ratios []float64
	var local, remote []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N*remotePairs; i++ {
		var l, r time.Duration
		if i%2 == 0 {
			l = gen(backend)
			r = gen(front)
		} else {
			r = gen(front)
			l = gen(backend)
		}
		local, remote = append(local, l), append(remote, r)
		ratios = append(ratios, r.Seconds()/l.Seconds())
	}
	b.StopTimer()
	slices.Sort(ratios)
	med := median(ratios)
	b.ReportMetric(med, "remote/local")
	b.ReportMetric(ms(medianDur(local)), "local-ms")
	b.ReportMetric(ms(medianDur(remote)), "remote-ms")
	b.Logf("%d pairs of %d-token generations: remote/local median %.3f (min %.3f, max %.3f); median local %.1f ms, remote %.1f ms",
		len(ratios), remoteTokens, med, ratios[0], ratios[len(ratios)-1], ms(medianDur(local)), ms(medianDur(remote)))
}

// chatGrammar runs one non-streamed temperature-0 chat completion held to maxTokens by
// remoteGrammar and returns the completion tokens.
func (d *daemonProc) chatGrammar(maxTokens int) (int, error) {
	body, _ := json.Marshal(map[string]any{"messages": []map[string]string{{"role": "user", "content": prompt}},
		"max_tokens": maxTokens, "temperature": 0, "grammar": remoteGrammar})
	resp, err := d.hc.Post("http://nashd/v1/chat/completions", "application/json", strings.NewReader(string(body)))
	if err != nil {
		return 0, fmt.Errorf("chat: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("chat: reading the response: %w", err)
	}
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("chat: %d %s", resp.StatusCode, raw)
	}
	var r api.ChatResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return 0, fmt.Errorf("chat: %w in %s", err, raw)
	}
	return r.Usage.CompletionTokens, nil
}

// median returns the middle of sorted xs (the mean of the two middle values for an even
// count).
func median(xs []float64) float64 {
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func medianDur(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// experimentGames is the number of games of one measurement in BenchmarkRemoteExperiment
// (4 runs of the prisoner's dilemma, with and without a negotiation round), experimentRounds
// the measurements of each --parallel level per iteration.
const experimentGames, experimentRounds = 8, 3

// experimentLevels are the --parallel levels BenchmarkRemoteExperiment compares, on remotes
// with experimentSlots slots.
var experimentLevels, experimentSlots = []int{1, 2, 4}, []int{4, 8}

// BenchmarkRemoteExperiment measures `nash experiment games --parallel N` against a remote
// model: the harness talks to a front nashd over its socket (as `nash experiment --socket`
// does), whose model lives on a second nashd reached over loopback TCP, which batches the
// requests the front forwards over its slots (4, then 8: a game's two agents are two
// conversations, so --parallel 4 keeps 8 caches warm only on 8 slots). Each iteration
// measures every level experimentRounds times, the levels' order rotating each round so load
// on the shared machine hits them alike; the result is games/min per level (median of the
// rounds) and its ratio to --parallel 1, with each level's prompt tokens per generation and
// the share the remote took from its cache. The model is the tiny test model (games on the
// bench model take minutes on a CPU); NASHD_BENCH_EXPERIMENT_MODEL names another.
func BenchmarkRemoteExperiment(b *testing.B) {
	model := os.Getenv("NASHD_BENCH_EXPERIMENT_MODEL")
	if model == "" {
		model = filepath.Join(b.TempDir(), "tiny.gguf")
		spec, err := models.ShapeSpec("tiny")
		if err != nil {
			b.Fatal(err)
		}
		if err := models.Generate(model, spec); err != nil {
			b.Fatal(err)
		}
	}
	for _, slots := range experimentSlots {
		b.Run(fmt.Sprintf("slots=%d", slots), func(b *testing.B) { benchRemoteExperiment(b, model, slots) })
	}
}

// experimentUsage sums a level's records.
type experimentUsage struct {
	prompt, cached, generations int
}

func benchRemoteExperiment(b *testing.B, model string, slots int) {
	addr := freeLoopbackPort(b)
	backend := startDaemonFiles(b, fmt.Sprintf("[server]\ntcp = %q\n[inference]\nthreads = %d\ncontext_size = 4096\nslots = %d\nqueue_size = 16\n[log]\nlevel = \"warn\"\n", addr, threads(), slots),
		fmt.Sprintf("default = \"tiny\"\n[models.tiny]\npath = %q\n", model))
	defer backend.stop()
	front := startDaemonFiles(b, "[log]\nlevel = \"warn\"\n", fmt.Sprintf(`default = "far"
[models.far]
url = "http://%s/v1"
served_name = "tiny"
dialect = "nashd"
max_concurrency = %d
`, addr, slots))
	defer front.stop()
	if st := front.status(b); st.Model.Serving == nil || st.Model.Serving.Remote == nil {
		b.Fatalf("front does not serve the remote model: %+v", st.Model)
	}
	gamesDir, _ := filepath.Abs(filepath.Join("..", "..", "configs", "games"))
	usage := map[int]*experimentUsage{}
	play := func(n int) float64 {
		var stdout, stderr bytes.Buffer
		out := filepath.Join(b.TempDir(), "games")
		t0 := time.Now()
		code := cli.Run(context.Background(), []string{"experiment", "games", "--games", "prisoner_dilemma", "--modes", "raw",
			"--runs", fmt.Sprint(experimentGames / 2), "--rounds", "1", "--games-dir", gamesDir, "--out", out,
			"--socket", front.sock, "--parallel", fmt.Sprint(n), "--message-chars", "16", "--reason-chars", "16"}, nil, &stdout, &stderr)
		el := time.Since(t0)
		if code != 0 {
			b.Fatalf("nash experiment --parallel %d: exit %d\n%s", n, code, stderr.String())
		}
		if !strings.Contains(stderr.String(), fmt.Sprintf("%d runs (%d this time)", experimentGames, experimentGames)) {
			b.Fatalf("nash experiment --parallel %d: not %d runs:\n%s", n, experimentGames, stderr.String())
		}
		u := usage[n]
		if u == nil {
			u = &experimentUsage{}
			usage[n] = u
		}
		recs, err := os.ReadFile(filepath.Join(out, "records.jsonl"))
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(recs)), "\n") {
			var r struct {
				Tokens struct {
					Prompt, Generations int
				}
				Timings struct {
					CacheN int `json:"cache_n"`
				}
			}
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				b.Fatalf("record %s: %v", line, err)
			}
			u.prompt += r.Tokens.Prompt
			u.cached += r.Timings.CacheN
			u.generations += r.Tokens.Generations
		}
		return float64(experimentGames) / el.Minutes()
	}
	play(1) // warm: the remote's slots, both daemons' connections
	clear(usage)
	load0 := loadAverage()
	rates := map[int][]float64{}
	b.ResetTimer()
	for i := 0; i < b.N*experimentRounds; i++ {
		for k := range experimentLevels {
			n := experimentLevels[(i+k)%len(experimentLevels)]
			rates[n] = append(rates[n], play(n))
		}
	}
	b.StopTimer()
	base := median(slices.Sorted(slices.Values(rates[1])))
	for _, n := range experimentLevels {
		r := slices.Sorted(slices.Values(rates[n]))
		med := median(r)
		b.ReportMetric(med, fmt.Sprintf("games/min-p%d", n))
		if n != 1 {
			b.ReportMetric(med/base, fmt.Sprintf("p%d/p1", n))
		}
		u := usage[n]
		b.Logf("--parallel %d: %.1f games/min (min %.1f, max %.1f of %d; ×%.2f); per generation %d prompt tokens, %.0f%% from the remote's cache",
			n, med, r[0], r[len(r)-1], len(r), med/base, u.prompt/max(u.generations, 1), 100*float64(u.cached)/float64(max(u.prompt, 1)))
	}
	b.Logf("%d slots on the remote, %d games a measurement; load average %s before, %s after", slots, experimentGames, load0, loadAverage())
}

// freeLoopbackPort returns a loopback address whose port was free a moment ago.
func freeLoopbackPort(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// loadAverage returns the 1, 5 and 15-minute load averages ("?" where unknown).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}
