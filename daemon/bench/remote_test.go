package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon/api"
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
