package config

import "github.com/nashd/nashd/reasoning/pricing"

// Pricing is pricing.toml: GTAlign's inference-time adaptation (reasoning.md §2), defined by
// the reasoning package that applies it ([pricing.Config]); the store decodes it strictly,
// validates it and reloads it like every other file.
type Pricing = pricing.Config

// DefaultPricing is used when pricing.toml is absent ([pricing.Default]).
func DefaultPricing() Pricing { return pricing.Default() }
