package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Dialects of remote servers ([RemoteModel.Dialect]): how a request passes a grammar and
// prompt caching, and which helper endpoints (tokenize, chat template) the server has.
const (
	DialectLlamaServer = "llama-server" // llama.cpp's server: grammar, cache_prompt, /tokenize, /apply-template
	DialectNashd       = "nashd"        // another nashd: llama-server's extensions, token ids in the stream
	DialectVLLM        = "vllm"         // vLLM: structured_outputs.grammar, automatic prefix caching
	DialectOpenAI      = "openai"       // plain OpenAI completions: no grammar
)

// DefaultRemoteTimeout bounds one request to a remote model when models.toml sets no timeout.
const DefaultRemoteTimeout = 10 * time.Minute

// RemoteModel holds the models.toml fields of a model served by an OpenAI-compatible server
// (llama-server, vLLM, another nashd). It is embedded in [Model]: its fields sit beside path.
type RemoteModel struct {
	// URL is the server's OpenAI base, "http://host:port/v1", or "unix:///path/to.sock" (the
	// API is then served under /v1 on that socket). Credentials never belong here.
	URL string `toml:"url"`
	// ServedName is the model name the server knows (the request's "model"); empty: the
	// [models.NAME] name.
	ServedName string `toml:"served_name"`
	// APIKeyEnv names the environment variable holding the API key (sent as a bearer token).
	// The key itself is never read from a file, logged or shown.
	APIKeyEnv string `toml:"api_key_env"`
	// Dialect is "llama-server", "vllm", "nashd" or "openai"; empty: "openai".
	Dialect string `toml:"dialect"`
	// MaxConcurrency bounds the requests in flight to the server; 0: 4.
	MaxConcurrency int `toml:"max_concurrency"`
	// Timeout bounds one request (connection, queueing on the server and generation); 0:
	// [DefaultRemoteTimeout].
	Timeout Duration `toml:"timeout"`
}

// RemoteSpec is the effective settings of a remote model ([Spec.Remote]); the zero value
// means the model is a local file.
type RemoteSpec struct {
	URL            string
	ServedName     string
	APIKeyEnv      string
	Dialect        string
	MaxConcurrency int
	Timeout        time.Duration
	ChatTemplate   string
}

// IsRemote reports whether s describes a remote model.
func (s Spec) IsRemote() bool { return s.Remote.URL != "" }

// DefaultMaxConcurrency is max_concurrency's default.
const DefaultMaxConcurrency = 4

// validate checks the remote fields of models.NAME.
func (r *RemoteModel) validate(name, path string) error {
	if r.URL == "" {
		if r.ServedName != "" || r.APIKeyEnv != "" || r.Dialect != "" || r.MaxConcurrency != 0 || r.Timeout != 0 {
			return fmt.Errorf("models.%s: served_name, api_key_env, dialect, max_concurrency and timeout need url (a remote model)", name)
		}
		return nil
	}
	if path != "" {
		return fmt.Errorf("models.%s: set either path (a local file) or url (a remote server), not both", name)
	}
	if err := CheckRemoteURL(r.URL); err != nil {
		return fmt.Errorf("models.%s.url: %w", name, err)
	}
	switch r.Dialect {
	case "", DialectLlamaServer, DialectNashd, DialectVLLM, DialectOpenAI:
	default:
		return fmt.Errorf("models.%s.dialect: %q is not llama-server, vllm, nashd or openai", name, r.Dialect)
	}
	switch {
	case r.MaxConcurrency < 0 || r.MaxConcurrency > 1024:
		return fmt.Errorf("models.%s.max_concurrency: %d outside [0, 1024]", name, r.MaxConcurrency)
	case r.Timeout < 0:
		return fmt.Errorf("models.%s.timeout: negative", name)
	case r.APIKeyEnv != "" && !envName(r.APIKeyEnv):
		return fmt.Errorf("models.%s.api_key_env: %q is not an environment variable name (the key itself never goes in this file)", name, r.APIKeyEnv)
	}
	return nil
}

// envName reports whether s looks like an environment variable name.
func envName(s string) bool {
	for i, c := range s {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

// CheckRemoteURL checks a remote model's url: http(s)://host[:port][/path] or
// unix:///absolute/path.sock, with no credentials, query or fragment.
func CheckRemoteURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid URL: %v", redactParseError(err))
	}
	if u.User != nil {
		return fmt.Errorf("credentials in the URL are not allowed: put the key in an environment variable and name it in api_key_env")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%s: no query or fragment allowed", u.Redacted())
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return fmt.Errorf("%s: missing host", raw)
		}
	case "unix":
		if u.Host != "" || !strings.HasPrefix(u.Path, "/") {
			return fmt.Errorf("%s: want unix:///absolute/path.sock", raw)
		}
	default:
		return fmt.Errorf("%q: scheme must be http, https or unix", u.Scheme)
	}
	return nil
}

// redactParseError keeps url.Parse's reason but not the URL it quotes (it may hold a key).
func redactParseError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

func (r *RemoteModel) spec(name, chatTemplate string) *Spec {
	rs := RemoteSpec{URL: r.URL, ServedName: r.ServedName, APIKeyEnv: r.APIKeyEnv, Dialect: r.Dialect,
		MaxConcurrency: r.MaxConcurrency, Timeout: r.Timeout.D(), ChatTemplate: chatTemplate}
	if rs.ServedName == "" {
		rs.ServedName = name
	}
	if rs.Dialect == "" {
		rs.Dialect = DialectOpenAI
	}
	if rs.MaxConcurrency == 0 {
		rs.MaxConcurrency = DefaultMaxConcurrency
	}
	if rs.Timeout == 0 {
		rs.Timeout = DefaultRemoteTimeout
	}
	return &Spec{Name: name, Slots: rs.MaxConcurrency, ChatTemplate: chatTemplate, Remote: rs}
}
