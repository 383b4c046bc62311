package experiment

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The experiments' kinds.
const (
	KindGames   = "games"
	KindDond    = "dond"
	KindGtalign = "gtalign"
)

// File names in an output directory.
const (
	ManifestFile = "manifest.json"
	RecordsFile  = "records.jsonl"
	SummaryFile  = "summary.md"
)

// Errors.
var (
	// ErrInput reports bad input: a missing or malformed data or prompts file, an unknown
	// game, mode or pairing, options out of range.
	ErrInput = errors.New("experiment: invalid input")
	// ErrOutDir reports an output directory that holds another experiment's records, or this
	// experiment's records without a resume.
	ErrOutDir = errors.New("experiment: output directory in use")
)

// Manifest describes the experiment whose records a directory holds.
type Manifest struct {
	Experiment string `json:"experiment"`
	// Params is the experiment's configuration as JSON (GamesConfig, DondConfig or
	// GtalignConfig, with the input files' hashes); ParamsHash its SHA-256.
	Params     json.RawMessage `json:"params"`
	ParamsHash string          `json:"params_hash"`
	// ModelSHA256 is the SHA-256 of the model file ("" when not known).
	ModelSHA256 string `json:"model_sha256"`
	// Runs is the number of runs the experiment consists of.
	Runs int `json:"runs"`
}

func newManifest(kind string, params any, model string, runs int) (*Manifest, error) {
	b, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("experiment: encode the parameters: %w", err)
	}
	return &Manifest{Experiment: kind, Params: b, ParamsHash: hashBytes(b), ModelSHA256: model, Runs: runs}, nil
}

func hashBytes(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// FileSHA256 returns the hex SHA-256 of the file at path.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("experiment: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("experiment: hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ReadManifest reads dir's manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	p := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("experiment: %s: %w", p, err)
	}
	switch m.Experiment {
	case KindGames, KindDond, KindGtalign:
	default:
		return nil, fmt.Errorf("experiment: %s: unknown experiment %q", p, m.Experiment)
	}
	return &m, nil
}

// prepare makes dir ready for m's records: a new or empty directory gets the manifest; a
// directory with records or a manifest is accepted only for a resume of the same experiment
// (same kind, parameters and model).
func prepare(dir string, m *Manifest, resume bool) error {
	if dir == "" {
		return fmt.Errorf("%w: no output directory", ErrInput)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("experiment: %w", err)
	}
	old, err := ReadManifest(dir)
	switch {
	case err == nil:
		if old.Experiment != m.Experiment || old.ParamsHash != m.ParamsHash || old.ModelSHA256 != m.ModelSHA256 {
			what := "another experiment's records"
			if old.Experiment == m.Experiment {
				what = fmt.Sprintf("the records of a %s experiment with other parameters or another model", old.Experiment)
			}
			return fmt.Errorf("%w: %s holds %s (params %.12s, model %.12s; this run: params %.12s, model %.12s); choose another --out",
				ErrOutDir, dir, what, old.ParamsHash, old.ModelSHA256, m.ParamsHash, m.ModelSHA256)
		}
		if !resume {
			return fmt.Errorf("%w: %s holds this experiment's records already; add --resume to continue it, or choose another --out", ErrOutDir, dir)
		}
		return nil
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, RecordsFile)); err == nil {
		return fmt.Errorf("%w: %s holds records without a manifest; choose another --out", ErrOutDir, dir)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, ManifestFile), append(b, '\n'))
}

// writeFileAtomic writes a file through a temporary file and a rename.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("experiment: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("experiment: %w", err)
	}
	return nil
}
