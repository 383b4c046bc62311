package llama

import (
	"errors"
	"testing"
)

// TestUseAfterClose calls every method of a closed Model, Context and Sampler: none may pass
// a freed or NULL pointer to llama.cpp; those that return an error return ErrClosed.
func TestUseAfterClose(t *testing.T) {
	m := tinyModel(t)
	c, err := NewContext(m, ContextParams{NCtx: 256, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSampler(m, SamplerParams{})
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatch(4)
	defer b.Free()
	b.Add(1, 0, 0, true)
	for _, f := range []func() error{s.Close, c.Close, m.Close, s.Close, c.Close, m.Close} {
		if err := f(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}

	for _, tc := range []struct {
		name string
		err  error
	}{
		{"Model.Tokenize", func() error { _, err := m.Tokenize("hi", true, true); return err }()},
		{"Model.TokenToPiece", func() error { _, err := m.TokenToPiece(nil, 1, true); return err }()},
		{"Model.Detokenize", func() error { _, err := m.Detokenize([]int32{1}, false, false); return err }()},
		{"Model.Detokenize (no tokens)", func() error { _, err := m.Detokenize(nil, false, false); return err }()},
		{"NewContext", func() error { _, err := NewContext(m, ContextParams{}); return err }()},
		{"NewSampler", func() error { _, err := NewSampler(m, SamplerParams{}); return err }()},
		{"Context.Decode", c.Decode(b)},
		{"Sampler.Sample", func() error { _, err := s.Sample(c, 0); return err }()},
		{"Sampler.AcceptHistory", s.AcceptHistory([]int32{1})},
		{"Sampler.GrammarAllows", func() error { _, err := s.GrammarAllows(1); return err }()},
	} {
		if !errors.Is(tc.err, ErrClosed) {
			t.Errorf("%s after Close: err = %v, want ErrClosed", tc.name, tc.err)
		}
	}

	if meta, ok := m.Meta("general.architecture"); ok || meta != "" {
		t.Errorf("Model.Meta after Close = %q, %v", meta, ok)
	}
	for name, got := range map[string]any{
		"Model.Desc": m.Desc(), "Model.ChatTemplate": m.ChatTemplate(),
		"Model.Size": m.Size(), "Model.NParams": m.NParams(),
		"Model.NCtxTrain": m.NCtxTrain(), "Model.NEmbd": m.NEmbd(), "Model.NLayer": m.NLayer(), "Model.NVocab": m.NVocab(),
		"Model.HasEncoder": m.HasEncoder(), "Model.IsEOG": m.IsEOG(2), "Model.AddBOS": m.AddBOS(), "Model.ValidToken": m.ValidToken(1),
		"Context.NCtx": c.NCtx(), "Context.NCtxSeq": c.NCtxSeq(), "Context.NBatch": c.NBatch(), "Context.NSeqMax": c.NSeqMax(),
		"Context.Logits": len(c.Logits(0)), "Context.MemorySeqRm": c.MemorySeqRm(0, 0, -1),
	} {
		switch v := got.(type) {
		case string:
			if v != "" {
				t.Errorf("%s after Close = %q, want \"\"", name, v)
			}
		case bool:
			if v {
				t.Errorf("%s after Close = true, want false", name)
			}
		default:
			if v != 0 && v != uint64(0) {
				t.Errorf("%s after Close = %v, want 0", name, v)
			}
		}
	}
	if bos, eos, eot := m.BOS(), m.EOS(), m.EOT(); bos != -1 || eos != -1 || eot != -1 {
		t.Errorf("special tokens after Close: bos %d eos %d eot %d, want -1", bos, eos, eot)
	}
	if th, tb := c.Threads(); th != 0 || tb != 0 {
		t.Errorf("Context.Threads after Close = %d, %d", th, tb)
	}
	if p := c.MemorySeqPosMax(0); p != -1 {
		t.Errorf("Context.MemorySeqPosMax after Close = %d, want -1", p)
	}
	// No-ops: they must not crash.
	c.SetThreads(2, 2)
	c.MemorySeqCp(0, 1, 0, -1)
	c.MemoryClear()
	c.Abort()
	c.ClearAbort()
}
