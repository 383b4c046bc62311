package main

import (
	"context"
	"errors"
	"time"

	"github.com/nashd/nashd/inference"
)

// generate is one configuration's engine: its Generate without streaming.
type generate func(context.Context, inference.Request) (inference.Result, error)

// meter is one measurement of one engine in progress: requests of PROMPT tokens generating
// GEN until they have run minTime (at least one), then prompt-only requests until the prompts
// too have taken minTime (a slow model's prompt is one decode step per request, so minTime of
// requests holds a step or two), at most 4 × minTime in all. Fast models need many requests
// for a figure that one preemption does not halve.
type meter struct {
	promptN, genN   int
	promptMS, genMS float64
	cpu, wall       time.Duration // this process's CPU time and the wall time of the requests
	cut             bool          // a request was cut off during its prompt (a collapse)
}

// done reports whether the measurement is complete.
func (m *meter) done(minTime time.Duration) bool {
	if m.promptN == 0 || m.wall < minTime {
		return false
	}
	return m.cut || m.promptMS >= ms(minTime) || m.wall >= 4*minTime
}

func ms(d time.Duration) float64 { return d.Seconds() * 1000 }

// request sends one request to gen1: of gen tokens while the measurement is in its first part
// (or minTime is 0), a prompt-only one (one token, not counted) after. It adds what the
// request did and reports whether it was cut off at limit during its prompt: all that is
// known then is that the prompt took longer than limit, which is what it counts.
func (m *meter) request(ctx context.Context, gen1 generate, prompt string, gen int, limit, minTime time.Duration) (cut bool, err error) {
	topUp := m.promptN > 0 && m.wall >= minTime && minTime > 0
	maxTokens := gen
	if topUp {
		maxTokens = 1
	}
	cpu0, t0 := cpuTime(), time.Now()
	rctx, cancel := context.WithTimeout(ctx, limit)
	res, err := gen1(rctx, inference.Request{Prompt: prompt, MaxTokens: maxTokens, Sampling: inference.Sampling{Temperature: 0}})
	cancel()
	m.wall += time.Since(t0)
	m.cpu += cpuTime() - cpu0
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return false, err
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	t := res.Timings
	m.promptN += t.PromptN
	if t.PredictedN == 0 {
		m.promptMS += ms(limit)
		m.cut = true
		return true, nil
	}
	m.promptMS += t.PromptMS
	if !topUp {
		m.genN += t.PredictedN
		m.genMS += t.PredictedMS
	}
	return false, nil
}

// sample returns the measurement's figures (generation 0 when nothing was generated before
// the limit).
func (m *meter) sample() sample {
	s := sample{promptN: m.promptN, genN: m.genN, promptMS: m.promptMS, genMS: m.genMS}
	if m.promptMS > 0 {
		s.prompt = float64(m.promptN) / m.promptMS * 1000
	}
	if m.genMS > 0 {
		s.gen = float64(m.genN) / m.genMS * 1000
	}
	if m.wall > 0 {
		s.cpu = m.cpu.Seconds() / m.wall.Seconds()
	}
	return s
}

// measureRound measures each engine once (a repetition), the engines taking turns in order:
// each turn runs requests for slice (at least one request) until that engine's measurement
// is done, and the turns go round until every one is. Short turns put every configuration
// through the same moments of the machine (bursts of other programs, the scheduler's
// placement of the busy loops, which lasts seconds), so the ratios between configurations
// measured in one round vary much less than measurements one after the other; a slice of
// minTime or more measures each engine in one turn. After a request cut off at limit (a
// collapse can leave a step still finishing) the next turn waits for settle.
func measureRound(ctx context.Context, engines []generate, order []int, next func() string, gen int, limit, minTime, slice time.Duration) ([]sample, error) {
	meters := make([]meter, len(engines))
	for more := true; more; {
		more = false
		for _, i := range order {
			m := &meters[i]
			for start, first := time.Now(), true; !m.done(minTime) && (first || time.Since(start) < slice); first = false {
				more = true
				cut, err := m.request(ctx, engines[i], next(), gen, limit, minTime)
				if err != nil {
					return nil, err
				}
				if cut {
					time.Sleep(settle)
					break
				}
			}
		}
	}
	out := make([]sample, len(engines))
	for i := range meters {
		out[i] = meters[i].sample()
	}
	return out, nil
}

// settle is the pause after a request that was cut off.
const settle = 200 * time.Millisecond
