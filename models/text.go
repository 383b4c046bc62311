package models

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteText writes the model's metadata for people (`nash model info`): one "key  value" row
// each for the path, architecture, quantization, sizes, shape, vocabulary, chat template and
// the estimated RAM.
func (info *Info) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
	row("path", info.Path)
	row("valid", "yes")
	row("architecture", info.Architecture)
	row("name", info.Name)
	row("quantization", info.Quantization)
	row("parameters", fmt.Sprintf("%s (%d)", HumanCount(info.Parameters), info.Parameters))
	row("file size", fmt.Sprintf("%s (%d bytes)", HumanBytes(uint64(info.SizeBytes)), info.SizeBytes))
	row("context length", info.ContextLength)
	row("embedding length", info.EmbeddingLength)
	row("blocks", info.Blocks)
	row("heads / kv heads", fmt.Sprintf("%d / %d", info.Heads, info.HeadsKV))
	row("vocabulary", fmt.Sprintf("%d tokens (%s)", info.VocabSize, info.Tokenizer))
	tmpl := "none"
	if info.ChatTemplate != "" {
		tmpl = fmt.Sprintf("%d bytes", len(info.ChatTemplate))
	}
	row("chat template", tmpl)
	row("estimated RAM", fmt.Sprintf("%s (weights, KV cache and compute buffers at %d tokens, 1 slot)",
		HumanBytes(info.EstimatedRAM), min(DefaultEstimateContext, max(info.ContextLength, 1))))
	return tw.Flush()
}

// HumanBytes formats a byte count with a binary unit: "512 B", "1.5 KiB", "3.2 MiB", "1.25 GiB".
func HumanBytes(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// HumanCount formats a count with a decimal suffix: "999", "1.5K", "494.0M", "1.24B".
func HumanCount(n uint64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprintf("%d", n)
}
