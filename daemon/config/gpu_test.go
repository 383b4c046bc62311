package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestGPUSettings: gpu_layers takes a count or "auto", main_gpu an index and
// gpu_memory_limit a size; models.toml's values override nashd.toml's and absent ones
// inherit them.
func TestGPUSettings(t *testing.T) {
	for _, tt := range []struct {
		name, daemon, model string
		layers              GPULayers
		main                int
		limit               ByteSize
	}{
		{"defaults: CPU only", "", "", 0, 0, 0},
		{"count", "", "gpu_layers = 99\n", 99, 0, 0},
		{"auto", "", "gpu_layers = \"auto\"\n", GPULayersAuto, 0, 0},
		{"explicit 0 over nashd.toml's auto", "gpu_layers = \"auto\"\n", "gpu_layers = 0\n", 0, 0, 0},
		{"inherit nashd.toml", "gpu_layers = \"auto\"\nmain_gpu = 1\ngpu_memory_limit = \"2GiB\"\n", "", GPULayersAuto, 1, 2 << 30},
		{"model overrides", "gpu_layers = 10\nmain_gpu = 1\ngpu_memory_limit = \"2GiB\"\n",
			"gpu_layers = 12\nmain_gpu = 0\ngpu_memory_limit = \"512MiB\"\n", 12, 0, 512 << 20},
		{"limit in bytes", "", "gpu_layers = \"auto\"\ngpu_memory_limit = 1048576\n", GPULayersAuto, 0, 1 << 20},
		{"decimal limit", "", "gpu_memory_limit = \"1.5GB\"\n", 0, 0, 1500000000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "nashd.toml", "[inference]\n"+tt.daemon)
			write(t, dir, "models.toml", "default = \"a\"\n[models.a]\npath = \"a.gguf\"\n"+tt.model)
			s, err := Load(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			sp := s.DefaultSpec()
			if sp.GPULayers != tt.layers || sp.MainGPU != tt.main || sp.GPUMemoryLimit != tt.limit {
				t.Errorf("spec gpu_layers %v, main_gpu %d, gpu_memory_limit %v; want %v, %d, %v", sp.GPULayers, sp.MainGPU, sp.GPUMemoryLimit, tt.layers, tt.main, tt.limit)
			}
		})
	}
	models := "default = \"a\"\n[models.a]\npath = \"a.gguf\"\n"
	for _, tt := range []struct{ file, content, want string }{
		{"models.toml", models + "gpu_layers = -1\n", "models.toml:4: models.a.gpu_layers: -1 outside [0, 100000] (or \"auto\")"},
		{"models.toml", models + "gpu_layers = \"all\"\n", "models.toml:4: models.a.gpu_layers: \"all\" is not a layer count or \"auto\""},
		{"models.toml", models + "gpu_layers = \"Auto\"\n", "models.toml:4: models.a.gpu_layers"},
		{"models.toml", models + "gpu_layers = 1.5\n", "models.toml:4: models.a.gpu_layers"},
		{"models.toml", models + "gpu_layers = 100001\n", "outside [0, 100000]"},
		{"models.toml", models + "main_gpu = -1\n", "models.a.main_gpu: -1 outside [0, 15]"},
		{"models.toml", models + "main_gpu = \"0\"\n", "models.toml:4: models.a.main_gpu"},
		{"models.toml", models + "gpu_memory_limit = \"2 gigs\"\n", "models.toml:4: models.a.gpu_memory_limit: \"2 gigs\" is not a size"},
		{"models.toml", models + "gpu_memory_limit = -5\n", "models.toml:4: models.a.gpu_memory_limit: -5 is negative"},
		{"models.toml", models + "gpu_memory_limit = \"-1GiB\"\n", "gpu_memory_limit"},
		{"models.toml", models + "gpu = 1\n", "models.toml:4: unknown key models.a.gpu"},
		{"models.toml", "default = \"r\"\n[models.r]\nurl = \"http://127.0.0.1:1/v1\"\ngpu_layers = 9\n", "models.r: gpu_layers, main_gpu and gpu_memory_limit apply to local models"},
		{"nashd.toml", "[inference]\ngpu_layers = \"most\"\n", "nashd.toml:2: inference.gpu_layers: \"most\" is not a layer count"},
		{"nashd.toml", "[inference]\nmain_gpu = 16\n", "inference.main_gpu: 16 outside [0, 15]"},
		{"nashd.toml", "[inference]\ngpu_memory_limit = \"lots\"\n", "nashd.toml:2: inference.gpu_memory_limit"},
		{"nashd.toml", "[inference]\ngpu_backends = 3\n", "nashd.toml:2: inference.gpu_backends"},
		{"nashd.toml", "[gpu]\nbackends = \"x\"\n", "nashd.toml:1: unknown key gpu"},
	} {
		dir := t.TempDir()
		write(t, dir, tt.file, tt.content)
		if _, err := Load(dir, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%s = %q) error %v, want it to contain %q", tt.file, tt.content, err, tt.want)
		}
	}
}

func TestGPUBackendsDir(t *testing.T) {
	for _, tt := range []struct{ setting, want string }{
		{"", ""},
		{"/opt/nashd/lib", "/opt/nashd/lib"},
		{"../lib/nashd", "lib/nashd"}, // relative to the config dir /x/configs
	} {
		s := &Snapshot{Dir: "/x/configs", Daemon: DefaultDaemon()}
		s.Daemon.Inference.GPUBackends = tt.setting
		want := tt.want
		if want != "" && !filepath.IsAbs(want) {
			want = filepath.Join("/x", want)
		}
		if got := s.GPUBackendsDir(); got != want {
			t.Errorf("gpu_backends %q: GPUBackendsDir() = %q, want %q", tt.setting, got, want)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want ByteSize
		ok   bool
	}{
		{"2GiB", 2 << 30, true},
		{"2gib", 2 << 30, true},
		{"512 MiB", 512 << 20, true},
		{"1.5GiB", 3 << 29, true},
		{"1GB", 1e9, true},
		{"10kb", 10000, true},
		{"4096", 4096, true},
		{"4096B", 4096, true},
		{"0", 0, true},
		{"", 0, false},
		{"GiB", 0, false},
		{"-1GiB", 0, false},
		{"1e3MiB", 0, false},
		{"0x10MiB", 0, false},
		{"infGiB", 0, false},
		{"nanGiB", 0, false},
		{"2 gigs", 0, false},
		{"99999999TiB", 0, false}, // beyond 2^63
	} {
		got, err := ParseByteSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	for _, tt := range []struct {
		b    ByteSize
		want string
	}{{2 << 30, "2GiB"}, {1536 << 20, "1536MiB"}, {100, "100B"}, {0, "0B"}, {1 << 40, "1TiB"}} {
		if got := tt.b.String(); got != tt.want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", uint64(tt.b), got, tt.want)
		}
	}
}

func TestParseGPULayers(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want GPULayers
		ok   bool
	}{{"0", 0, true}, {"99", 99, true}, {"auto", GPULayersAuto, true}, {"-1", 0, false}, {"AUTO", 0, false}, {"", 0, false}, {"1e2", 0, false}} {
		got, err := ParseGPULayers(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseGPULayers(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if GPULayersAuto.String() != "auto" || GPULayers(12).String() != "12" {
		t.Error("GPULayers.String")
	}
}
