package daemon

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/nashd/nashd/daemon/api"
	"github.com/nashd/nashd/daemon/grammar"
	"github.com/nashd/nashd/inference"
)

var errEOF = io.EOF

// maxStops bounds the number of stop strings.
const maxStops = 16

// chatMessages converts the request's messages to inference messages, validating roles and
// content.
func chatMessages(c *api.ChatRequest) ([]inference.Message, error) {
	if len(c.Messages) == 0 {
		return nil, api.BadRequest("messages", "must be a non-empty array")
	}
	out := make([]inference.Message, len(c.Messages))
	for i, m := range c.Messages {
		param := "messages[" + itoa(i) + "]"
		role := m.Role
		switch role {
		case "system", "user", "assistant":
		case "developer":
			role = "system"
		case "":
			return nil, api.BadRequest(param+".role", "missing")
		case "tool", "function":
			return nil, api.BadRequest(param+".role", "%q messages are not supported (nashd has no tool calling)", role)
		default:
			return nil, api.BadRequest(param+".role", "%q is not system, developer, user or assistant", role)
		}
		text, err := contentText(m.Content)
		if err != nil {
			return nil, api.BadRequest(param+".content", "%s", err.Error())
		}
		out[i] = inference.Message{Role: role, Content: text}
	}
	return out, nil
}

type contentErr string

func (e contentErr) Error() string { return string(e) }

// contentText accepts a string, null (empty) or an array of {"type":"text","text":...} parts.
func contentText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", contentErr("invalid string")
		}
		return s, nil
	case '[':
		var parts []struct {
			Type string  `json:"type"`
			Text *string `json:"text"`
		}
		if err := json.Unmarshal(raw, &parts); err != nil {
			return "", contentErr("expected a string or an array of content parts")
		}
		var b strings.Builder
		for i, p := range parts {
			if p.Type != "text" || p.Text == nil {
				return "", contentErr("part " + itoa(i) + ": only text parts are supported (type \"text\" with \"text\")")
			}
			b.WriteString(*p.Text)
		}
		return b.String(), nil
	}
	return "", contentErr("expected a string or an array of content parts")
}

// chatGeneration builds the inference request from the sampling and output fields
// (everything but the prompt).
func chatGeneration(c *api.ChatRequest) (inference.Request, error) {
	var req inference.Request
	if c.N != nil && *c.N != 1 {
		return req, api.BadRequest("n", "only n = 1 is supported")
	}
	if len(c.Tools) > 0 && string(c.Tools) != "null" && string(c.Tools) != "[]" {
		return req, api.BadRequest("tools", "tool calling is not supported")
	}
	var seed uint32
	if c.Seed != nil {
		seed = uint32(*c.Seed)
	} else {
		seed = rand.Uint32()
	}
	s := inference.DefaultSampling(seed)
	if c.Temperature != nil {
		t := *c.Temperature
		if !(t >= 0 && t <= 2) {
			return req, api.BadRequest("temperature", "%v outside [0, 2]", t)
		}
		s.Temperature = float32(t)
	}
	if c.TopP != nil {
		p := *c.TopP
		if !(p >= 0 && p <= 1) {
			return req, api.BadRequest("top_p", "%v outside [0, 1]", p)
		}
		s.TopP = float32(p)
	}
	if c.TopK != nil {
		if *c.TopK < 0 {
			return req, api.BadRequest("top_k", "%d < 0", *c.TopK)
		}
		s.TopK = *c.TopK
	}
	if c.MinP != nil {
		p := *c.MinP
		if !(p >= 0 && p <= 1) {
			return req, api.BadRequest("min_p", "%v outside [0, 1]", p)
		}
		s.MinP = float32(p)
	}
	if c.RepeatPenalty != nil {
		p := *c.RepeatPenalty
		if !(p >= 0) || p > 10 || math.IsInf(p, 0) {
			return req, api.BadRequest("repeat_penalty", "%v outside [0, 10]", p)
		}
		s.RepeatPenalty = float32(p)
	}
	req.Sampling = s
	switch {
	case c.MaxCompletionTokens != nil:
		if *c.MaxCompletionTokens < 1 {
			return req, api.BadRequest("max_completion_tokens", "%d < 1", *c.MaxCompletionTokens)
		}
		req.MaxTokens = *c.MaxCompletionTokens
	case c.MaxTokens != nil:
		if *c.MaxTokens < 1 {
			return req, api.BadRequest("max_tokens", "%d < 1", *c.MaxTokens)
		}
		req.MaxTokens = *c.MaxTokens
	}
	stops, err := parseStop(c.Stop)
	if err != nil {
		return req, err
	}
	req.Stop = stops
	g, err := chatGrammar(c)
	if err != nil {
		return req, err
	}
	req.Grammar = g
	return req, nil
}

func parseStop(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, api.BadRequest("stop", "invalid string")
		}
		list = []string{s}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, api.BadRequest("stop", "expected a string or an array of strings")
	}
	if len(list) > maxStops {
		return nil, api.BadRequest("stop", "at most %d stop strings", maxStops)
	}
	for i, s := range list {
		if s == "" {
			return nil, api.BadRequest("stop", "stop[%d] is empty", i)
		}
	}
	return list, nil
}

// chatGrammar returns the GBNF for response_format or the grammar field.
func chatGrammar(c *api.ChatRequest) (string, error) {
	rf := c.ResponseFormat
	if rf == nil || rf.Type == "" || rf.Type == "text" {
		return c.Grammar, nil
	}
	if c.Grammar != "" {
		return "", api.BadRequest("grammar", "cannot be combined with response_format %q", rf.Type)
	}
	switch rf.Type {
	case "json_object":
		return grammar.JSONObject, nil
	case "json_schema":
		if rf.JSONSchema == nil {
			return "", api.BadRequest("response_format.json_schema", "missing")
		}
		if len(bytes.TrimSpace(rf.JSONSchema.Schema)) == 0 {
			return "", api.BadRequest("response_format.json_schema.schema", "missing")
		}
		g, err := grammar.FromJSONSchema(rf.JSONSchema.Schema)
		if err != nil {
			return "", api.BadRequest("response_format.json_schema.schema", "%v", err)
		}
		return g, nil
	}
	return "", api.BadRequest("response_format.type", "%q is not text, json_object or json_schema", rf.Type)
}

func itoa(i int) string { return strconv.Itoa(i) }
