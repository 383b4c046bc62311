package gtalign

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// Constants of GTAlign's mutual-welfare reward (reasoning.md §3).
const (
	// ScoreEpsilon keeps U and L positive, so W = √(U·L) is defined and a zero term does not
	// erase the other side.
	ScoreEpsilon = 1e-4
	// LengthSlope is k, the slope of both length logistics.
	LengthSlope = 0.005
	// ResponseWordsMin and ResponseWordsMax bound the response length the user side rewards.
	ResponseWordsMin = 20
	ResponseWordsMax = 500
	// TotalWordsMin and TotalWordsMax bound the whole transcript's length the LLM side
	// rewards.
	TotalWordsMin = 500
	TotalWordsMax = 1000
	// PrefaceChars is the scale of the user side's penalty on text before `<response>`:
	// exp(−chars / PrefaceChars).
	PrefaceChars = 500
)

// LenLogistic is GTAlign's length reward: 1/(1+e^{k(lmin−n)}) · 1/(1+e^{k(n−lmax)}), near 1
// for lmin ≪ n ≪ lmax and falling off outside.
func LenLogistic(n, lmin, lmax, k float64) float64 {
	return 1 / (1 + math.Exp(k*(lmin-n))) / (1 + math.Exp(k*(n-lmax)))
}

// ScoreTerms are what the mutual-welfare reward measures of one transcript.
type ScoreTerms struct {
	// ResponseWords counts the words (whitespace-separated) of the `<response>` block.
	ResponseWords int `json:"response_words"`
	// TotalWords counts the words of the whole transcript.
	TotalWords int `json:"total_words"`
	// PrefaceChars counts the characters before "<response>" (the whole text if absent).
	PrefaceChars int `json:"preface_chars"`
	// FormatOK: the transcript is exactly the four blocks ([ParseTranscript]).
	FormatOK bool `json:"format_ok"`
	// PayoffOK: the payoff block parses strictly for the game ([ParsePayoff]).
	PayoffOK bool `json:"payoff_ok"`
}

// Measure computes a transcript's score terms for game g.
func Measure(g *Game, transcript string) ScoreTerms {
	t := ScoreTerms{TotalWords: len(strings.Fields(transcript))}
	if i := strings.Index(transcript, "<response>"); i >= 0 {
		t.PrefaceChars = utf8.RuneCountInString(transcript[:i])
	} else {
		t.PrefaceChars = utf8.RuneCountInString(transcript)
	}
	tr, err := ParseTranscript(transcript)
	t.FormatOK = err == nil
	if err == nil {
		t.ResponseWords = len(strings.Fields(tr.Response))
		_, perr := ParsePayoff(g, tr.Payoff)
		t.PayoffOK = perr == nil
	} else if i := strings.Index(transcript, "<response>"); i >= 0 {
		body := transcript[i+len("<response>"):]
		if j := strings.Index(body, "</response>"); j >= 0 {
			body = body[:j]
		}
		t.ResponseWords = len(strings.Fields(body))
	}
	if !t.PayoffOK {
		if i := strings.Index(transcript, "<payoff>"); i >= 0 {
			body := transcript[i+len("<payoff>"):]
			if j := strings.Index(body, "</payoff>"); j >= 0 {
				_, perr := ParsePayoff(g, body[:j])
				t.PayoffOK = perr == nil
			}
		}
	}
	return t
}

// Score is GTAlign's mutual-welfare reward of one response, with its baselines.
type Score struct {
	Terms ScoreTerms `json:"terms"`
	// Quality is the answer quality A in [0, 1] from a judge; nil when there is none, and
	// then U and L hold their terms without A (QualityNote says so).
	Quality     *float64 `json:"quality"`
	QualityNote string   `json:"quality_note,omitempty"`
	// U is the user's reward: ε + 0.5·A + 0.2·len_logistic(response words; 20, 500) +
	// 0.3·exp(−preface chars / 500).
	U float64 `json:"U"`
	// L is the LLM's reward: ε + 0.2·format_ok + 0.2·payoff_ok + 0.4·A +
	// 0.2·len_logistic(total words; 500, 1000).
	L float64 `json:"L"`
	// W = √(U·L), the Cobb–Douglas mutual welfare.
	W float64 `json:"W"`
	// Baselines: Linear = (U+L)/2, UserOnly = U, LLMOnly = L.
	Linear   float64 `json:"linear"`
	UserOnly float64 `json:"user_only"`
	LLMOnly  float64 `json:"llm_only"`
}

// ErrQuality is returned for an answer quality outside [0, 1].
var ErrQuality = errors.New("gtalign: answer quality outside [0, 1]")

// Welfare computes the mutual-welfare reward of terms with answer quality quality (nil: no
// judge; the terms without A are reported and QualityNote says so).
func Welfare(terms ScoreTerms, quality *float64) (Score, error) {
	s := Score{Terms: terms, Quality: quality}
	a := 0.0
	if quality == nil {
		s.QualityNote = "no judge configured: U and L are computed without the answer-quality term A (0.5·A in U, 0.4·A in L)"
	} else {
		if math.IsNaN(*quality) || *quality < 0 || *quality > 1 {
			return Score{}, fmt.Errorf("%w: %v", ErrQuality, *quality)
		}
		a = *quality
	}
	b := func(ok bool) float64 {
		if ok {
			return 1
		}
		return 0
	}
	s.U = ScoreEpsilon + 0.5*a +
		0.2*LenLogistic(float64(terms.ResponseWords), ResponseWordsMin, ResponseWordsMax, LengthSlope) +
		0.3*math.Exp(-float64(terms.PrefaceChars)/PrefaceChars)
	s.L = ScoreEpsilon + 0.2*b(terms.FormatOK) + 0.2*b(terms.PayoffOK) + 0.4*a +
		0.2*LenLogistic(float64(terms.TotalWords), TotalWordsMin, TotalWordsMax, LengthSlope)
	s.W = math.Sqrt(s.U * s.L)
	s.Linear = (s.U + s.L) / 2
	s.UserOnly = s.U
	s.LLMOnly = s.L
	return s, nil
}

// ScoreTranscript is [Measure] then [Welfare].
func ScoreTranscript(g *Game, transcript string, quality *float64) (Score, error) {
	return Welfare(Measure(g, transcript), quality)
}
