package config

import (
	"fmt"
	"time"

	"github.com/nashd/nashd/internal/stricttoml"
)

// decodeStrict decodes one config file strictly ([stricttoml.Decode]: unknown keys, syntax
// and type errors are errors naming file:line).
func decodeStrict(file string, data []byte, v any) error {
	_, err := stricttoml.Decode(file, data, v)
	return err
}

// Duration is a time.Duration written in TOML as a Go duration string ("30s", "10m").
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want e.g. \"30s\", \"5m\")", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
