package remote

import (
	"slices"
	"strings"

	"github.com/nashd/nashd/inference"
)

// templates are the chat formats a remote model can name in chat_template. Remote servers
// render Jinja templates themselves; these cover servers that expose no template (vLLM,
// OpenAI) and match llama.cpp's built-in renderings of the same names.
var templates = map[string]func([]inference.Message) string{
	"chatml": func(msgs []inference.Message) string {
		var b strings.Builder
		for _, m := range msgs {
			b.WriteString("<|im_start|>" + m.Role + "\n" + m.Content + "<|im_end|>\n")
		}
		b.WriteString("<|im_start|>assistant\n")
		return b.String()
	},
	"llama3": func(msgs []inference.Message) string {
		var b strings.Builder
		b.WriteString("<|begin_of_text|>")
		for _, m := range msgs {
			b.WriteString("<|start_header_id|>" + m.Role + "<|end_header_id|>\n\n" + strings.TrimSpace(m.Content) + "<|eot_id|>")
		}
		b.WriteString("<|start_header_id|>assistant<|end_header_id|>\n\n")
		return b.String()
	},
}

// builtinTemplate returns the named chat format, or nil.
func builtinTemplate(name string) func([]inference.Message) string { return templates[name] }

// templateNames lists the built-in chat formats.
func templateNames() []string {
	names := make([]string, 0, len(templates))
	for n := range templates {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
