package daemon

import (
	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/daemon/modelmgr"
	"github.com/nashd/nashd/inference/engine/threadctl"
	"github.com/nashd/nashd/inference/remote"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the daemon's Prometheus series, in a registry of their own (so several
// servers can live in one process, as in tests).
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	tokens    *prometheus.CounterVec
	genSecs   prometheus.Counter
	tps       prometheus.Gauge
	tpsHist   prometheus.Histogram
	cancelled prometheus.Counter
	// reasonRetries counts GTAlign pass-1 attempts retried because a generator without a
	// grammar wrote output that did not parse (gtalign.Result.Retries).
	reasonRetries prometheus.Counter
}

func newMetrics(store *config.Store, mm *modelmgr.Manager) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nashd_http_requests_total", Help: "HTTP requests by endpoint and status code.",
		}, []string{"endpoint", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "nashd_http_request_duration_seconds", Help: "HTTP request latency by endpoint.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}, []string{"endpoint"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nashd_tokens_total", Help: "Tokens processed: kind=prompt (in) or completion (out).",
		}, []string{"kind"}),
		genSecs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nashd_generation_seconds_total", Help: "Time spent generating completion tokens (rate(tokens)/rate(this) = tokens/s per stream).",
		}),
		tps: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nashd_last_tokens_per_second", Help: "Generation speed of the last finished request.",
		}),
		tpsHist: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "nashd_tokens_per_second", Help: "Generation speed per request.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 14),
		}),
		cancelled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nashd_generations_cancelled_total", Help: "Generations stopped by a client disconnect or timeout.",
		}),
		reasonRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nashd_reason_retries_total", Help: "GTAlign payoff passes retried because a model served without a grammar wrote output that did not parse.",
		}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.tokens, m.genSecs, m.tps, m.tpsHist, m.cancelled, m.reasonRetries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	status := func(f func(modelmgr.Status) float64) func() float64 {
		return func() float64 { return f(mm.Status()) }
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "nashd_queue_depth", Help: "Requests waiting for a slot."},
			status(func(s modelmgr.Status) float64 { return float64(s.Queued) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "nashd_slots_busy", Help: "Slots generating."},
			status(func(s modelmgr.Status) float64 { return float64(s.Running) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "nashd_slots", Help: "Parallel slots of the serving model."},
			status(func(s modelmgr.Status) float64 { return float64(s.Slots) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "nashd_model_ready", Help: "1 when a model is serving."},
			status(func(s modelmgr.Status) float64 {
				if s.State == "ready" {
					return 1
				}
				return 0
			})),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "nashd_model_swaps_total", Help: "Model swaps completed."},
			status(func(s modelmgr.Status) float64 { return float64(s.Swaps) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "nashd_model_load_failures_total", Help: "Model loads that failed."},
			status(func(s modelmgr.Status) float64 { return float64(s.LoadFailed) })),
	)
	// A remote serving model's retried 429/503 answers and server-side faults, since it was
	// loaded.
	remoteStat := func(f func(remote.Status) uint64) func() float64 {
		return func() float64 {
			if s := mm.Status().Serving; s != nil && s.Remote != nil {
				return float64(f(*s.Remote))
			}
			return 0
		}
	}
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "nashd_remote_retries_total", Help: "429/503 answers of the serving remote model's server that were retried; since it was loaded."},
			remoteStat(func(s remote.Status) uint64 { return s.Retries })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "nashd_remote_faults_total", Help: "Calls to the serving remote model's server that failed on the server's side (unreachable, refused key, busy, server error, stream cut); since it was loaded."},
			remoteStat(func(s remote.Status) uint64 { return s.Faults })),
	)
	// Threads of the serving model's decode steps, by kind (generation: single-token steps;
	// batch: prompt steps). The counters are the serving model's since it was loaded.
	for _, k := range []struct {
		kind string
		f    func(threadctl.Report) threadctl.Stats
	}{
		{"generation", func(r threadctl.Report) threadctl.Stats { return r.Generation }},
		{"batch", func(r threadctl.Report) threadctl.Stats { return r.Batch }},
	} {
		threads := func(f func(threadctl.Stats) float64) func() float64 {
			return func() float64 {
				if s := mm.Status().Serving; s != nil && s.Threads != nil {
					return f(k.f(*s.Threads))
				}
				return 0
			}
		}
		labels := prometheus.Labels{"kind": k.kind}
		m.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "nashd_threads", Help: "Threads the serving model's decode steps use now, by kind (generation, batch).", ConstLabels: labels},
				threads(func(s threadctl.Stats) float64 { return float64(s.Threads) })),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "nashd_thread_stalls_total", Help: "Decode steps much slower than usual (a thread preempted), by kind; since the serving model was loaded.", ConstLabels: labels},
				threads(func(s threadctl.Stats) float64 { return float64(s.Stalls) })),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "nashd_thread_steps_stopped_total", Help: "Stalled decode steps stopped and run again with fewer threads, by kind; since the serving model was loaded.", ConstLabels: labels},
				threads(func(s threadctl.Stats) float64 { return float64(s.Stopped) })),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "nashd_thread_changes_total", Help: "Changes of the adaptive thread count, by kind and direction; since the serving model was loaded.", ConstLabels: prometheus.Labels{"kind": k.kind, "direction": "down"}},
				threads(func(s threadctl.Stats) float64 { return float64(s.StepsDown) })),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "nashd_thread_changes_total", Help: "Changes of the adaptive thread count, by kind and direction; since the serving model was loaded.", ConstLabels: prometheus.Labels{"kind": k.kind, "direction": "up"}},
				threads(func(s threadctl.Stats) float64 { return float64(s.StepsUp) })),
		)
	}
	for _, r := range []struct {
		result string
		f      func(config.ReloadStats) uint64
	}{
		{"ok", func(s config.ReloadStats) uint64 { return s.OK }},
		{"failed", func(s config.ReloadStats) uint64 { return s.Failed }},
		{"unchanged", func(s config.ReloadStats) uint64 { return s.Unchanged }},
	} {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "nashd_config_reloads_total", Help: "Config reloads by result.", ConstLabels: prometheus.Labels{"result": r.result},
		}, func() float64 { return float64(r.f(store.Stats())) }))
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "nashd_config_generation", Help: "Generation of the config in force."},
		func() float64 { return float64(store.Current().Generation) }))
	return m
}
