package pricing

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name   string
		toml   string
		want   Config // checked when errHas is ""
		errHas string
		valErr bool // the error wraps ErrInvalid
	}{
		{name: "defaults for payer and learn_lengths", toml: "rate = 2.0\n[expected_completion_tokens]\nDA = 10\n",
			want: Config{Payer: PayerUser, LearnLengths: true, Rate: 2, ExpectedCompletionTokens: map[string]int{"DA": 10}}},
		{name: "empty file", toml: "", want: Config{Payer: PayerUser, LearnLengths: true}},
		{name: "explicit values", toml: "payer = \"provider\"\nlearn_lengths = false\ninput_price_per_million = 0.5\noutput_price_per_million = 1.5\nexpected_prompt_tokens = 7\ntransform = \"cost\"\n",
			want: Config{Payer: PayerProvider, InputPricePerMillion: 0.5, OutputPricePerMillion: 1.5, ExpectedPromptTokens: 7, Transform: TransformCost}},
		{name: "paper table", toml: "transform = \"paper\"\n[paper]\nside = \"provider\"\nshift = -1.0\nbonus = { AQ = 1.0 }\n",
			want: Config{Payer: PayerUser, LearnLengths: true, Transform: TransformPaper, Paper: Paper{Side: PayerProvider, Shift: -1, Bonus: map[string]float64{"AQ": 1}}}},
		{name: "unknown key", toml: "rate = 1.0\ncolour = 3\n", errHas: "p.toml:2: unknown key colour"},
		{name: "unknown table reported once", toml: "rate = 1.0\n[extra]\na = 1\nb = 2\n", errHas: "p.toml:2: unknown key extra"},
		{name: "syntax error", toml: "rate = \n", errHas: "p.toml:1:"},
		{name: "type error", toml: "\n\nrate = \"high\"\n", errHas: "p.toml:3: rate"},
		{name: "negative price", toml: "input_price_per_million = 0.5\noutput_price_per_million = -1.5\n", errHas: "p.toml:2: output_price_per_million: -1.5 < 0", valErr: true},
		{name: "NaN rate", toml: "rate = nan\n", errHas: "p.toml:1: rate: NaN is not a finite number", valErr: true},
		{name: "infinite price", toml: "input_price_per_million = inf\n", errHas: "p.toml:1: input_price_per_million", valErr: true},
		{name: "negative length in table", toml: "rate = 1.0\n\n[expected_completion_tokens]\nDA = 3\nAQ = -2\n", errHas: "p.toml:5: expected_completion_tokens.AQ: -2 < 0", valErr: true},
		{name: "bad payer", toml: "payer = \"bank\"\n", errHas: `p.toml:1: payer: "bank"`, valErr: true},
		{name: "bad paper side, inline", toml: "transform = \"paper\"\npaper = { side = \"llm\" }\n", errHas: "p.toml: paper.side", valErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode("p.toml", []byte(tt.toml))
			if tt.errHas == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("Decode = %+v, want %+v", got, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("Decode error = %v, want it to contain %q", err, tt.errHas)
			}
			if errors.Is(err, ErrInvalid) != tt.valErr {
				t.Fatalf("errors.Is(%v, ErrInvalid) = %v, want %v", err, !tt.valErr, tt.valErr)
			}
		})
	}
}

// TestDecodeShipped: configs/pricing.toml decodes to the built-in defaults, which it documents.
func TestDecodeShipped(t *testing.T) {
	got, err := Load("../../configs/pricing.toml")
	if err != nil {
		t.Fatal(err)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Fatalf("configs/pricing.toml = %+v, want Default() %+v", got, want)
	}
	if _, err := Load("no/such/pricing.toml"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load(missing) = %v, want ErrNotExist", err)
	}
}

func TestVersion(t *testing.T) {
	a := Version("dir/pricing.toml", []byte("rate = 1.0\n"))
	if !strings.HasPrefix(a, "pricing.toml@") || len(a) != len("pricing.toml@")+12 {
		t.Fatalf("Version = %q, want pricing.toml@ and 12 hex digits", a)
	}
	if b := Version("other/pricing.toml", []byte("rate = 1.0\n")); b != a {
		t.Fatalf("same content, other directory: %q != %q", b, a)
	}
	if b := Version("pricing.toml", []byte("rate = 2.0\n")); b == a {
		t.Fatalf("different content, same version %q", b)
	}
}
