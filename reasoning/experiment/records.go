package experiment

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// Header is what every record starts with.
type Header struct {
	// ID is the run's stable id (e.g. "prisoner_dilemma/raw/r0/003"); records are keyed by it.
	ID         string `json:"id"`
	Experiment string `json:"experiment"`
	// Seed is the run's sampling seed, derived from the experiment's seed and the id.
	Seed uint32 `json:"seed"`
	// ModelSHA256 and ParamsHash identify the model file and the configuration.
	ModelSHA256 string `json:"model_sha256"`
	ParamsHash  string `json:"params_hash"`
}

// runSeed derives a run's sampling seed from the experiment's seed and the run id, so a run
// samples the same whether it runs first, last, in parallel or after a resume.
func runSeed(seed uint64, id string) uint32 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", seed, id)
	s := h.Sum64()
	return uint32(s ^ s>>32)
}

// MaxRecordBytes bounds one record line.
const MaxRecordBytes = 64 << 20

// rawRecord is one record line with its id.
type rawRecord struct {
	ID   string
	Data json.RawMessage
}

// readRecords reads dir's records.jsonl. A last line without its newline (a record cut short
// by a crash) is dropped when repair is set, and the file truncated before it; elsewhere a
// line that is not a record is an error naming the line.
func readRecords(dir string, repair bool) ([]rawRecord, error) {
	p := filepath.Join(dir, RecordsFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	if i := bytes.LastIndexByte(b, '\n'); i+1 != len(b) {
		if !repair {
			return nil, fmt.Errorf("experiment: %s: the last record is cut short (resume the run to drop it)", p)
		}
		if err := os.Truncate(p, int64(i+1)); err != nil {
			return nil, fmt.Errorf("experiment: %w", err)
		}
		b = b[:i+1]
	}
	var out []rawRecord
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), MaxRecordBytes)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var h Header
		if err := json.Unmarshal(line, &h); err != nil || h.ID == "" {
			return nil, fmt.Errorf("experiment: %s:%d: not a record: %v", p, n, err)
		}
		if seen[h.ID] {
			return nil, fmt.Errorf("experiment: %s:%d: a second record for run %s", p, n, h.ID)
		}
		seen[h.ID] = true
		out = append(out, rawRecord{h.ID, append(json.RawMessage(nil), line...)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("experiment: %s: %w", p, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// decodeRecords decodes the records into T values, in id order.
func decodeRecords[T any](recs []rawRecord) ([]T, error) {
	out := make([]T, len(recs))
	for i, r := range recs {
		if err := json.Unmarshal(r.Data, &out[i]); err != nil {
			return nil, fmt.Errorf("experiment: record %s: %w", r.ID, err)
		}
	}
	return out, nil
}

// appender appends records to records.jsonl, one write per record, so a finished record is
// in the file (the operating system's) as soon as the call returns.
type appender struct {
	mu sync.Mutex
	f  *os.File
}

func openAppender(dir string) (*appender, error) {
	f, err := os.OpenFile(filepath.Join(dir, RecordsFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	return &appender{f: f}, nil
}

func (a *appender) write(rec any) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("experiment: encode a record: %w", err)
	}
	b = append(b, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(b); err != nil {
		return fmt.Errorf("experiment: write a record: %w", err)
	}
	return nil
}

func (a *appender) close() error { return a.f.Close() }
