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
	"github.com/nashd/nashd/reasoning/gtalign"
	"github.com/nashd/nashd/reasoning/pricing"
	"github.com/nashd/nashd/solver/game"
)

// File names inside the config directory.
const (
	DaemonFile  = "nashd.toml"
	ModelsFile  = "models.toml"
	PricingFile = "pricing.toml"
	GamesDir    = "games"
	// GTAlignFile is the default GTAlign game file (nashd.toml's reasoning.game).
	GTAlignFile = "gtalign.toml"
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
	Name    string     // the file name without .toml
	File    string     // "games/NAME.toml"
	Version string     // content version
	Value   *game.Game // what the GameParser returned (nil with OpaqueGame)
}

// GameParser parses and validates one game file. The daemon passes its game backend's parser
// (the solver's strict one); nil means [OpaqueGame].
type GameParser func(file string, data []byte) (*game.Game, error)

// OpaqueGame is the default GameParser: it only checks that the file is valid, non-empty
// TOML, and returns a nil game.
func OpaqueGame(file string, data []byte) (*game.Game, error) {
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
	return nil, nil
}

// Snapshot is one consistent, validated configuration. It is immutable once published.
type Snapshot struct {
	Dir        string // absolute config directory
	Generation uint64 // 1 for the first load, +1 per applied change
	Daemon     Daemon
	Models     Models
	Pricing    Pricing
	Games      map[string]*Game
	// GTAlign is the GTAlign game (reasoning.game, default gtalign.toml) ready to reason
	// with: validated, its grammars generated and safety-checked.
	GTAlign *gtalign.Reasoner
	// GTAlignFile is the game file's key in Files: its path relative to Dir, or absolute when
	// it lies outside Dir.
	GTAlignFile string
	// Files maps each file's name relative to Dir ("pricing.toml", "games/pd.toml") to its version.
	Files map[string]FileVersion
}

// PricingVersion is the version string reported with every result that used pricing:
// "pricing.toml@VERSION".
func (s *Snapshot) PricingVersion() string {
	return PricingFile + "@" + s.Files[PricingFile].Version
}

// GameVersion is the version string of the GTAlign game reported with every reasoning
// result: "gtalign.toml@VERSION" ("@builtin" when the default file is absent).
func (s *Snapshot) GameVersion() string {
	return s.GTAlignFile + "@" + s.Files[s.GTAlignFile].Version
}

// StateDir returns the directory where nashd keeps what it learns: reasoning.state_dir
// (relative to Dir when relative), else $XDG_STATE_HOME/nashd, else ~/.local/state/nashd,
// else Dir/state when there is no home directory.
func (s *Snapshot) StateDir() string {
	if d := s.Daemon.Reasoning.StateDir; d != "" {
		if !filepath.IsAbs(d) {
			d = filepath.Join(s.Dir, d)
		}
		return filepath.Clean(d)
	}
	if x := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "nashd")
	}
	if h, err := os.UserHomeDir(); err == nil && h != "" {
		return filepath.Join(h, ".local", "state", "nashd")
	}
	return filepath.Join(s.Dir, "state")
}

// gamePath resolves reasoning.game: key names the file in Files (relative to dir when it
// lies inside, else absolute) and path is where to read it.
func gamePath(dir, setting string) (key, path string) {
	if setting == "" {
		setting = GTAlignFile
	}
	path = setting
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	path = filepath.Clean(path)
	if rel, err := filepath.Rel(dir, path); err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(rel), path
	}
	return path, path
}

// peekGame returns nashd.toml's reasoning.game, or "" when the file does not say or does
// not parse (parse then reports the error).
func peekGame(daemonFile []byte) string {
	var peek struct {
		Reasoning struct {
			Game string `toml:"game"`
		} `toml:"reasoning"`
	}
	if _, err := toml.Decode(string(daemonFile), &peek); err != nil {
		return ""
	}
	return peek.Reasoning.Game
}

// rawFiles reads every config file in dir: name → contents (nil for an absent top-level
// file). Errors are per file.
func rawFiles(dir string) (map[string][]byte, map[string]error) {
	files := map[string][]byte{}
	errs := map[string]error{}
	read := func(rel string) {
		p := rel
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, rel)
		}
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
	if key, _ := gamePath(dir, peekGame(files[DaemonFile])); !strings.HasPrefix(key, GamesDir+"/") {
		read(key) // one in games/ is an error that parse reports
	}
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
		if p, err := pricing.Decode(PricingFile, b); err != nil {
			errs[PricingFile] = err
		} else {
			s.Pricing = p
		}
	}
	parseGTAlign(s, files, errs)
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

// parseGTAlign decodes the GTAlign game file named by nashd.toml (GTAlign's own game when the
// default file is absent) and builds its reasoner. Errors go to errs under the file to fix.
func parseGTAlign(s *Snapshot, files map[string][]byte, errs map[string]error) {
	key, path := gamePath(s.Dir, s.Daemon.Reasoning.Game)
	s.GTAlignFile = key
	if _, bad := errs[DaemonFile]; bad {
		return // the game's path is not known for sure
	}
	if strings.HasPrefix(key, GamesDir+"/") {
		errs[DaemonFile] = fmt.Errorf("%s: reasoning.game: %s is in %s/, which holds solver games", DaemonFile, key, GamesDir)
		return
	}
	b, read := files[key]
	var g *gtalign.Game
	switch {
	case !read:
		return // a read error, already in errs
	case b == nil && key != GTAlignFile:
		errs[key] = fmt.Errorf("%s: no such file (reasoning.game in %s)", path, DaemonFile)
		return
	case b == nil:
		g = gtalign.Default()
	default:
		var err error
		if g, err = gtalign.DecodeGame(key, b); err != nil {
			errs[key] = err
			return
		}
	}
	r, err := safeReasoner(g)
	if err != nil {
		errs[key] = fmt.Errorf("%s: %w", key, err)
		return
	}
	s.GTAlign = r
}

// safeReasoner builds a game's reasoner (its grammars), turning a panic into an error.
func safeReasoner(g *gtalign.Game) (r *gtalign.Reasoner, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("grammar generation panic: %v", p)
		}
	}()
	return gtalign.New(g)
}

// safeParse runs a GameParser, turning a panic into an error: a bad game file must never
// take the daemon down.
func safeParse(p GameParser, file string, b []byte) (v *game.Game, err error) {
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
	if testHookRead != nil {
		testHookRead()
	}
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
