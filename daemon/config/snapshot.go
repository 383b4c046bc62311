package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// File names inside the config directory.
const (
	DaemonFile  = "nashd.toml"
	ModelsFile  = "models.toml"
	PricingFile = "pricing.toml"
	GamesDir    = "games"
)

// maxFileBytes bounds a config file; anything larger is an error, not a read.
const maxFileBytes = 8 << 20

// FileVersion identifies the content of one config file.
type FileVersion struct {
	// Version is the first 12 hex digits of the file's SHA-256, or "builtin" when the file is
	// absent and defaults apply.
	Version string `json:"version"`
	Size    int64  `json:"size"`
	// Loaded is when this content was first loaded.
	Loaded time.Time `json:"loaded"`
}

// Game is one games/*.toml file, parsed by the store's GameParser.
type Game struct {
	Name    string // the file name without .toml
	File    string // "games/NAME.toml"
	Version string // content version
	Value   any    // what the GameParser returned
}

// GameParser parses and validates one game file. The daemon passes the solver's parser;
// the default only checks that the file is strict, non-empty TOML.
type GameParser func(file string, data []byte) (any, error)

// OpaqueGame is the default GameParser: the file must be valid, non-empty TOML; the
// value is the decoded map. (The daemon uses the solver's strict parser instead.)
func OpaqueGame(file string, data []byte) (any, error) {
	var m map[string]any
	if _, err := toml.Decode(string(data), &m); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d: %s", file, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%s: empty game file", file)
	}
	return m, nil
}

// Snapshot is one consistent, validated configuration. It is immutable once published.
type Snapshot struct {
	Dir        string // absolute config directory
	Generation uint64 // 1 for the first load, +1 per applied change
	Daemon     Daemon
	Models     Models
	Pricing    Pricing
	Games      map[string]*Game
	// Files maps each file's name relative to Dir ("pricing.toml", "games/pd.toml") to its version.
	Files map[string]FileVersion
}

// PricingVersion is the version string reported with every result that used pricing:
// "pricing.toml@VERSION".
func (s *Snapshot) PricingVersion() string {
	return PricingFile + "@" + s.Files[PricingFile].Version
}

// rawFiles reads every config file in dir: name → contents (nil for an absent top-level
// file). Errors are per file.
func rawFiles(dir string) (map[string][]byte, map[string]error) {
	files := map[string][]byte{}
	errs := map[string]error{}
	read := func(rel string) {
		p := filepath.Join(dir, rel)
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			files[rel] = nil
			return
		}
		if err == nil && st.IsDir() {
			err = fmt.Errorf("is a directory")
		}
		if err == nil && st.Size() > maxFileBytes {
			err = fmt.Errorf("larger than %d bytes", maxFileBytes)
		}
		var b []byte
		if err == nil {
			b, err = os.ReadFile(p)
		}
		if err != nil {
			errs[rel] = fmt.Errorf("%s: %w", rel, err)
			return
		}
		if b == nil {
			b = []byte{}
		}
		files[rel] = b
	}
	read(DaemonFile)
	read(ModelsFile)
	read(PricingFile)
	ents, err := os.ReadDir(filepath.Join(dir, GamesDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs[GamesDir] = fmt.Errorf("%s: %w", GamesDir, err)
	}
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ".toml") {
			continue // editor temp files, ..data links, README…
		}
		read(GamesDir + "/" + n)
	}
	return files, errs
}

func version(b []byte) string {
	if b == nil {
		return "builtin"
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:6])
}

// parse builds a snapshot from raw files; errs is keyed by file.
func parse(dir string, files map[string][]byte, games GameParser) (*Snapshot, map[string]error) {
	errs := map[string]error{}
	s := &Snapshot{Dir: dir, Daemon: DefaultDaemon(), Pricing: DefaultPricing(), Games: map[string]*Game{}, Files: map[string]FileVersion{}}
	for rel, b := range files {
		s.Files[rel] = FileVersion{Version: version(b), Size: int64(len(b))}
	}
	if b := files[DaemonFile]; b != nil {
		if err := decodeStrict(DaemonFile, b, &s.Daemon); err != nil {
			errs[DaemonFile] = err
		} else if err := s.Daemon.Validate(); err != nil {
			errs[DaemonFile] = fmt.Errorf("%s: %w", DaemonFile, err)
		}
	}
	if b := files[ModelsFile]; b != nil {
		if err := decodeStrict(ModelsFile, b, &s.Models); err != nil {
			errs[ModelsFile] = err
		} else if err := s.Models.Validate(); err != nil {
			errs[ModelsFile] = fmt.Errorf("%s: %w", ModelsFile, err)
		}
	}
	if b := files[PricingFile]; b != nil {
		// A file replaces the defaults whole: a strategy left out has no expected length.
		s.Pricing = Pricing{Payer: "user", LearnLengths: true}
		if err := decodeStrict(PricingFile, b, &s.Pricing); err != nil {
			errs[PricingFile] = err
		} else if err := s.Pricing.Validate(); err != nil {
			errs[PricingFile] = fmt.Errorf("%s: %w", PricingFile, err)
		}
	}
	if games == nil {
		games = OpaqueGame
	}
	for rel, b := range files {
		if !strings.HasPrefix(rel, GamesDir+"/") {
			continue
		}
		v, err := safeParse(games, rel, b)
		if err != nil {
			errs[rel] = err
			continue
		}
		name := strings.TrimSuffix(filepath.Base(rel), ".toml")
		s.Games[name] = &Game{Name: name, File: rel, Version: version(b), Value: v}
	}
	return s, errs
}

// safeParse runs a GameParser, turning a panic into an error: a bad game file must never
// take the daemon down.
func safeParse(p GameParser, file string, b []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: parser panic: %v", file, r)
		}
	}()
	return p(file, b)
}

// Load reads and validates the configuration in dir once, without a Store. All per-file
// errors are joined.
func Load(dir string, games GameParser) (*Snapshot, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("config directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("config directory %s: not a directory", abs)
	}
	files, rerrs := rawFiles(abs)
	s, perrs := parse(abs, files, games)
	for k, v := range rerrs {
		perrs[k] = v
	}
	if err := joinErrs(perrs); err != nil {
		return nil, err
	}
	s.Generation = 1
	return s, nil
}

func joinErrs(m map[string]error) error {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	es := make([]error, len(keys))
	for i, k := range keys {
		es[i] = m[k]
	}
	return errors.Join(es...)
}

// sameFiles reports whether two version maps are identical.
func sameFiles(a, b map[string]FileVersion) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w.Version != v.Version {
			return false
		}
	}
	return true
}
