package experiment

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// Options are how an experiment runs, not what it measures: they are not part of the
// parameters hash.
type Options struct {
	// Dir is the output directory.
	Dir string
	// Resume continues the experiment whose records Dir holds: only the runs without a record
	// run.
	Resume bool
	// Parallel is the number of runs in flight at once (0 = 1). The generator must serve that
	// many requests at once (an engine with as many slots) or queue them.
	Parallel int
	// ModelSHA256 identifies the model file in the manifest and the records.
	ModelSHA256 string
	// Progress receives the progress (nil: none): on a terminal (Terminal set) one line
	// redrawn in place, otherwise a plain line per finished run.
	Progress io.Writer
	Terminal bool
	// OnRecord, when set, is called after each record is written, with its id.
	OnRecord func(id string)
}

// job is one run of an experiment.
type job struct {
	id  string
	run func(ctx context.Context, h Header) (any, error)
}

// Outcome says what a run of an experiment did.
type Outcome struct {
	// Total is the number of runs of the experiment; Skipped those a resume found done;
	// Done those this call finished.
	Total, Skipped, Done int
	// Summary is the Markdown summary written (empty when the experiment did not finish).
	Summary string
}

// execute runs the jobs that have no record yet in o.Dir and writes the summary when all
// have one. On ctx's cancellation it returns ctx's error after the runs in flight stop;
// every record written stays.
func execute(ctx context.Context, kind string, params any, jobs []job, o Options) (*Outcome, error) {
	m, err := newManifest(kind, params, o.ModelSHA256, len(jobs))
	if err != nil {
		return nil, err
	}
	if err := prepare(o.Dir, m, o.Resume); err != nil {
		return nil, err
	}
	have, err := readRecords(o.Dir, true)
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	for _, r := range have {
		done[r.ID] = true
	}
	var todo []job
	for _, j := range jobs {
		if !done[j.id] {
			todo = append(todo, j)
		}
	}
	out := &Outcome{Total: len(jobs), Skipped: len(jobs) - len(todo)}
	app, err := openAppender(o.Dir)
	if err != nil {
		return nil, err
	}
	defer app.close()
	seed := paramsSeed(params)
	prog := newProgress(o.Progress, o.Terminal, kind, len(jobs), out.Skipped)
	n := max(1, o.Parallel)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan job)
	var mu sync.Mutex
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				h := Header{ID: j.id, Experiment: kind, Seed: runSeed(seed, j.id), ModelSHA256: o.ModelSHA256, ParamsHash: m.ParamsHash}
				rec, err := j.run(ctx, h)
				if err != nil {
					if ctx.Err() == nil {
						fail(fmt.Errorf("run %s: %w", j.id, err))
					}
					continue
				}
				if err := app.write(rec); err != nil {
					fail(err)
					continue
				}
				mu.Lock()
				out.Done++
				mu.Unlock()
				prog.step()
				if o.OnRecord != nil {
					o.OnRecord(j.id)
				}
			}
		}()
	}
feed:
	for _, j := range todo {
		select {
		case ch <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	prog.finish()
	if firstErr != nil {
		return out, fmt.Errorf("experiment stopped after %d of %d runs (the records of the finished runs are kept; --resume continues): %w", out.Skipped+out.Done, out.Total, firstErr)
	}
	if err := ctx.Err(); err != nil {
		return out, fmt.Errorf("experiment interrupted after %d of %d runs (the records are kept; --resume continues): %w", out.Skipped+out.Done, out.Total, err)
	}
	rep, err := WriteReport(o.Dir)
	if err != nil {
		return out, err
	}
	out.Summary = rep.Markdown
	return out, nil
}

// seeded is a configuration that carries the experiment's seed.
type seeded interface{ seed() uint64 }

func paramsSeed(p any) uint64 {
	if s, ok := p.(seeded); ok {
		return s.seed()
	}
	return 0
}

// progress reports runs done, the rate and the time left.
type progress struct {
	mu          sync.Mutex
	w           io.Writer
	term        bool
	kind        string
	total, done int
	skipped     int
	start       time.Time
}

func newProgress(w io.Writer, term bool, kind string, total, skipped int) *progress {
	p := &progress{w: w, term: term, kind: kind, total: total, done: skipped, skipped: skipped, start: time.Now()}
	if w != nil && skipped > 0 {
		fmt.Fprintf(w, "experiment %s: resuming, %d of %d runs already recorded\n", kind, skipped, total)
	}
	return p
}

func (p *progress) step() {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	el := time.Since(p.start)
	ran := p.done - p.skipped
	rate := float64(ran) / el.Seconds()
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(p.total-p.done)/rate) * time.Second).Round(time.Second).String()
	}
	line := fmt.Sprintf("experiment %s: %d/%d runs, %.2f runs/min, %s left", p.kind, p.done, p.total, 60*rate, eta)
	if p.term {
		const width = 24
		k := width * p.done / max(1, p.total)
		bar := make([]byte, width)
		for i := range bar {
			bar[i] = '.'
			if i < k {
				bar[i] = '#'
			}
		}
		fmt.Fprintf(p.w, "\r[%s] %s\x1b[K", bar, line)
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p *progress) finish() {
	if p.w != nil && p.term {
		fmt.Fprintln(p.w)
	}
}
