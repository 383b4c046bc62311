package strategic

import (
	"context"
	"math"
	"path/filepath"
	"testing"
)

func TestSupportEnumerationGambitNPlayer(t *testing.T) {
	// The Gambit suite's games with three or more players. minFound is a lower bound on the
	// number of equilibria the method finds (documented counts in the titles: 2x2x2 has 9, 3x3x3
	// has 5 with 2 pure, 2x2x2x2 has 3, 2x2x2x2x2 has 5, g1 has one totally mixed one, g2 one,
	// g3 five, nau2004 sec4 a unique irrational one); every found one must have small regret.
	tests := []struct {
		file     string
		minFound int
	}{
		{"contrib_2x2x2.nfg", 9},
		{"doc_2x2x2.nfg", 9},
		{"contrib_3x3x3.nfg", 5},
		{"contrib_2x2x2x2.nfg", 3},
		{"contrib_2x2x2x2x2.nfg", 5},
		{"contrib_g1.nfg", 1},
		{"contrib_g2.nfg", 1},
		{"contrib_g3.nfg", 5},
		{"ijgt_nau2004_sec4.nfg", 1},
		{"ijgt_nau2004_sec5.nfg", 3},
		{"ijgt_nau2004_sec6.nfg", 1},
		{"tests_2x2x2_nfg_from_local_max_cut_2_pure_1_mixed_eq.nfg", 3},
		{"contrib_coord333.nfg", 3},
		{"contrib_perfect3.nfg", 1},
		{"contrib_5x4x3.nfg", 1},
		{"contrib_8x2x2.nfg", 1},
	}
	for _, tt := range tests {
		g := loadNFG(t, tt.file)
		res, err := SupportEnumeration(context.Background(), g, SupportOptions{})
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if len(res.Equilibria) < tt.minFound {
			t.Errorf("%s: found %d equilibria, want at least %d", tt.file, len(res.Equilibria), tt.minFound)
		}
		exact := 0
		worst := 0.0
		for _, a := range res.Equilibria {
			worst = math.Max(worst, a.MaxRegret)
			if a.Exact != nil {
				exact++
				v, err := Verify(g, a.Exact)
				if err != nil || !v.Equilibrium {
					t.Errorf("%s: Exact profile fails Verify", tt.file)
				}
			}
		}
		if worst > 1e-8 {
			t.Errorf("%s: max regret %g", tt.file, worst)
		}
		t.Logf("%s: %d equilibria (%d exact), %d supports, max regret %.2g", filepath.Base(tt.file), len(res.Equilibria), exact, res.Supports, worst)
	}
}

func TestSupportEnumerationLimit(t *testing.T) {
	g := loadNFG(t, "contrib_5x4x3.nfg")
	res, err := SupportEnumeration(context.Background(), g, SupportOptions{MaxSupports: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Exhausted || res.Supports != 10 {
		t.Errorf("Exhausted %v after %d supports", res.Exhausted, res.Supports)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := SupportEnumeration(ctx, g, SupportOptions{}); err == nil {
		t.Error("cancelled context: no error")
	}
}
