package modelload

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nashd/nashd/daemon/config"
	"github.com/nashd/nashd/models"
)

// managerFields are the Spec fields the model manager and placement handle; every other
// field is an engine setting that EngineOptions must pass on.
var managerFields = map[string]bool{"Name": true, "Path": true, "Fallback": true, "GPUMemoryLimit": true}

// remoteFields are the Spec fields of a remote model: not engine settings (RemoteOptions
// maps them; TestRemoteOptions checks it).
var remoteFields = map[string]bool{"Remote": true}

// TestEngineOptions: every engine setting of config.Spec reaches the engine.Options field of
// the same name (a Spec field added without its mapping fails here).
func TestEngineOptions(t *testing.T) {
	var spec config.Spec
	sv := reflect.ValueOf(&spec).Elem()
	for i := range sv.NumField() {
		f := sv.Field(i)
		if remoteFields[sv.Type().Field(i).Name] {
			continue
		}
		switch f.Kind() {
		case reflect.Int:
			f.SetInt(int64(11 + i)) // distinct per field, so a swapped mapping fails
		case reflect.String:
			f.SetString("value of " + sv.Type().Field(i).Name)
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Uint64:
			f.SetUint(uint64(11 + i))
		default:
			t.Fatalf("Spec.%s has kind %s: extend the test", sv.Type().Field(i).Name, f.Kind())
		}
	}
	ov := reflect.ValueOf(EngineOptions(spec))
	for i := range sv.NumField() {
		name := sv.Type().Field(i).Name
		if managerFields[name] || remoteFields[name] {
			continue
		}
		of := ov.FieldByName(name)
		if !of.IsValid() {
			t.Errorf("Spec.%s has no engine.Options field of that name: map it in EngineOptions and here", name)
			continue
		}
		if of.Kind() == reflect.Int && sv.Field(i).Kind() == reflect.Int {
			// A named integer type (config.GPULayers) maps to the engine's int.
			if of.Int() != sv.Field(i).Int() {
				t.Errorf("EngineOptions: Options.%s = %d, want Spec.%s = %d", name, of.Int(), name, sv.Field(i).Int())
			}
			continue
		}
		if !reflect.DeepEqual(of.Interface(), sv.Field(i).Interface()) {
			t.Errorf("EngineOptions: Options.%s = %v, want Spec.%s = %v", name, of.Interface(), name, sv.Field(i).Interface())
		}
	}
}

// tinyModel generates a tiny random model in a temporary directory.
func tinyModel(t *testing.T) string {
	t.Helper()
	spec, err := models.ShapeSpec("tiny")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "tiny.gguf")
	if err := models.Generate(p, spec); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoad: the loaded engine has the spec's settings.
func TestLoad(t *testing.T) {
	const tmpl = "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}<assistant>"
	spec := config.Spec{Name: "tiny", Path: tinyModel(t), ContextSize: 256, BatchSize: 64, Threads: 1, BatchThreads: 1, Slots: 2, ChatTemplate: tmpl}
	var last float32
	g, err := Load(spec, func(p float32) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	info := g.Info()
	if info.ContextSize != 256 || info.Slots != 2 || info.ChatTemplate != tmpl || info.Path != spec.Path {
		t.Errorf("Info() = %+v: want context 256, 2 slots, the spec's template and path", info)
	}
	if last != 1 {
		t.Errorf("last progress %v, want 1", last)
	}
	if _, err := Load(config.Spec{Path: filepath.Join(t.TempDir(), "missing.gguf")}, nil); err == nil || !strings.Contains(err.Error(), "missing.gguf") {
		t.Errorf("Load(missing file): err = %v, want one naming the file", err)
	}
}

// TestLoadErrorSaysEachThingOnce: a file that passes validation but that llama.cpp rejects
// (an unknown architecture) gives an error naming each layer, and the operation with the
// file, once ("load model X: llama: load model: ..." was the old chain).
func TestLoadErrorSaysEachThingOnce(t *testing.T) {
	b, err := os.ReadFile(tinyModel(t))
	if err != nil {
		t.Fatal(err)
	}
	key := bytes.Index(b, []byte("general.architecture"))
	val := key + bytes.Index(b[key:], []byte("llama"))
	copy(b[val:], "llamz") // same length: the file stays structurally valid
	p := filepath.Join(t.TempDir(), "bad.gguf")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(config.Spec{Path: p, Threads: 1}, nil)
	if err == nil {
		t.Fatal("Load of an unknown architecture: no error")
	}
	msg := err.Error()
	if n := strings.Count(msg, "load model "+p) + strings.Count(msg, "load model:"); n != 1 {
		t.Errorf("error %q says \"load model\" %d times, want once", msg, n)
	}
	for _, s := range []string{p, "llama: ", "engine: "} {
		if n := strings.Count(msg, s); n != 1 {
			t.Errorf("error %q has %q %d times, want once", msg, s, n)
		}
	}
}

func TestEstimate(t *testing.T) {
	p := tinyModel(t)
	info, err := models.ReadInfo(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ ctx, slots int }{{256, 1}, {256, 4}, {2048, 1}} {
		got, err := Estimate(config.Spec{Path: p, ContextSize: tt.ctx, Slots: tt.slots})
		if want := models.EstimateMemory(info, tt.ctx, tt.slots); err != nil || got != want {
			t.Errorf("Estimate(context %d, %d slots) = %d, %v; want %d", tt.ctx, tt.slots, got, err, want)
		}
	}
	small, _ := Estimate(config.Spec{Path: p, ContextSize: 256, Slots: 1})
	big, _ := Estimate(config.Spec{Path: p, ContextSize: 256, Slots: 4})
	if big <= small {
		t.Errorf("4 slots need %d bytes, 1 slot %d: want more", big, small)
	}
	if _, err := Estimate(config.Spec{Path: filepath.Join(t.TempDir(), "missing.gguf")}); err == nil {
		t.Error("Estimate(missing file): no error")
	}
}

func TestInspect(t *testing.T) {
	p := tinyModel(t)
	v, err := Inspect(p)
	info, ok := v.(*models.Info)
	if err != nil || !ok || info.Path != p || info.Architecture != "llama" {
		t.Errorf("Inspect = %#v, %v; want the *models.Info of %s", v, err, p)
	}
}

// TestFallbackModel: the test model is generated once under the user cache directory, kept
// while valid, and generated again when the file is corrupt or of an older shape.
func TestFallbackModel(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	want := filepath.Join(cache, "nashd", FallbackFile)
	p, err := FallbackModel()
	if err != nil || p != want {
		t.Fatalf("FallbackModel() = %q, %v; want %q", p, err, want)
	}
	if err := models.Validate(p); err != nil {
		t.Fatalf("generated model: %v", err)
	}
	st1, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if p2, err := FallbackModel(); err != nil || p2 != p {
		t.Fatalf("second FallbackModel() = %q, %v", p2, err)
	}
	if st2, _ := os.Stat(p); !os.SameFile(st1, st2) || !st2.ModTime().Equal(st1.ModTime()) {
		t.Error("second call rewrote a valid model")
	}
	if err := os.WriteFile(p, []byte("GGUF corrupt"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := FallbackModel(); err != nil {
		t.Fatal(err)
	}
	if err := models.Validate(p); err != nil {
		t.Errorf("corrupt model not regenerated: %v", err)
	}
	// A stale file from an older tiny shape (another trained context) is replaced.
	stale, _ := models.ShapeSpec("tiny")
	stale.ContextLength = 1024
	if err := models.Generate(p, stale); err != nil {
		t.Fatal(err)
	}
	if _, err := FallbackModel(); err != nil {
		t.Fatal(err)
	}
	if info, err := models.ReadInfo(p); err != nil || info.ContextLength == 1024 {
		t.Errorf("stale model kept: %+v, %v", info, err)
	}
	ents, _ := os.ReadDir(filepath.Dir(p))
	if len(ents) != 1 {
		t.Errorf("cache folder holds %d entries, want just the model (no temporary files)", len(ents))
	}
	g, err := Load(config.Spec{Path: p, ContextSize: 256, Threads: 1}, nil)
	if err != nil {
		t.Fatalf("loading the test model: %v", err)
	}
	g.Close()
}
