package daemon_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon"
	"github.com/nashd/nashd/daemon/api"
	"github.com/openai/openai-go/v3"
)

const pricingUser = "payer = \"user\"\ninput_price_per_million = 1.0\noutput_price_per_million = 2.0\nrate = 100.0\n[expected_completion_tokens]\nDA = 100\n"

func pricingWith(rate int) string {
	return strings.Replace(pricingUser, "rate = 100.0", fmt.Sprintf("rate = %d.0", rate), 1)
}

// reloadDeadline bounds a wait for a config edit to show in /v1/status. The tests wait on the
// reload itself (a version, generation or error changing); the deadline only keeps a lost
// reload from hanging the run, so it sits far above the stat poll's period (2 s) and any
// scheduling delay on a loaded machine. The time an edit took to show is logged.
const reloadDeadline = 20 * time.Second

func TestHotReload(t *testing.T) {
	h := startDaemon(t, map[string]string{"pricing.toml": pricingWith(1), "games/pd.toml": seedGame(t, "prisoner_dilemma")})
	version := func(file string) func(api.StatusResponse) bool {
		old := h.status().Config.Files[file].Version
		return func(s api.StatusResponse) bool {
			v, ok := s.Config.Files[file]
			return ok && v.Version != old
		}
	}
	pricing := filepath.Join(h.dir, "pricing.toml")

	t.Run("write in place", func(t *testing.T) {
		h := h.with(t)
		changed := version("pricing.toml")
		f, err := os.OpenFile(pricing, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(pricingWith(2))
		f.Close()
		d := h.waitFor("pricing write-in-place", reloadDeadline, changed)
		t.Logf("visible after %v", d)
	})

	t.Run("rename over (editor save)", func(t *testing.T) {
		h := h.with(t)
		changed := version("pricing.toml")
		tmp := filepath.Join(h.dir, ".pricing.toml.swp")
		writeFile(t, tmp, pricingWith(3))
		if err := os.Rename(tmp, pricing); err != nil {
			t.Fatal(err)
		}
		d := h.waitFor("pricing rename-over", reloadDeadline, changed)
		t.Logf("visible after %v", d)
	})

	t.Run("games file added and edited", func(t *testing.T) {
		h := h.with(t)
		writeFile(t, filepath.Join(h.dir, "games", "new.toml"), seedGame(t, "stag_hunt"))
		h.waitFor("new game", reloadDeadline, func(s api.StatusResponse) bool { return hasString(s.Games, "new") })
		changed := version("games/pd.toml")
		writeFile(t, filepath.Join(h.dir, "games", "pd.toml"), strings.Replace(seedGame(t, "prisoner_dilemma"), "[[3, 3], [0, 5]]", "[[4, 4], [0, 5]]", 1))
		h.waitFor("game edit", reloadDeadline, changed)
	})

	t.Run("invalid file keeps the old config", func(t *testing.T) {
		h := h.with(t)
		before := h.status()
		writeFile(t, pricing, "bogus_key = 1\n"+pricingWith(4))
		h.waitFor("reload error", reloadDeadline, func(s api.StatusResponse) bool { return s.Config.Errors["pricing.toml"] != "" })
		st := h.status()
		msg := st.Config.Errors["pricing.toml"]
		if !strings.Contains(msg, "pricing.toml:1: unknown key bogus_key") {
			t.Errorf("error %q does not name file, line and key", msg)
		}
		if st.Config.Generation != before.Config.Generation || st.Pricing != before.Pricing {
			t.Errorf("config changed despite the error: gen %d→%d, pricing %s→%s", before.Config.Generation, st.Config.Generation, before.Pricing, st.Pricing)
		}
		// Chat answers report the old pricing version.
		_, _, b := h.do("POST", "/v1/chat/completions", h.chatBody(""))
		if !strings.Contains(string(b), before.Pricing) {
			t.Errorf("chat did not use the kept pricing %s: %s", before.Pricing, b)
		}
		// A semantic error is caught too, and fixing the file clears the error.
		writeFile(t, pricing, strings.Replace(pricingWith(4), "\"user\"", "\"nobody\"", 1))
		h.waitFor("semantic error", reloadDeadline, func(s api.StatusResponse) bool {
			return strings.Contains(s.Config.Errors["pricing.toml"], "payer")
		})
		writeFile(t, pricing, pricingWith(5))
		h.waitFor("error cleared", reloadDeadline, func(s api.StatusResponse) bool {
			return len(s.Config.Errors) == 0 && s.Pricing != before.Pricing
		})
	})

	t.Run("next request uses the new pricing", func(t *testing.T) {
		h := h.with(t)
		content := pricingWith(6)
		sum := sha256.Sum256([]byte(content))
		want := "pricing.toml@" + hex.EncodeToString(sum[:6])
		writeFile(t, pricing, content)
		t0 := time.Now()
		for {
			_, _, b := h.do("POST", "/v1/chat/completions", h.chatBody(`,"max_tokens":1`))
			if strings.Contains(string(b), want) {
				break
			}
			if time.Since(t0) > reloadDeadline {
				t.Fatalf("no request reported %s within %v", want, reloadDeadline)
			}
		}
		t.Logf("pricing edit → first request using it: %v", time.Since(t0))
	})
}

// TestSymlinkSwap reloads a Kubernetes-style config directory: files are symlinks through
// "..data", which is atomically replaced to switch every file at once.
func TestSymlinkSwap(t *testing.T) {
	dir := t.TempDir()
	mk := func(gen string, rate int) {
		d := filepath.Join(dir, gen)
		writeFile(t, filepath.Join(d, "nashd.toml"), testNashd)
		writeFile(t, filepath.Join(d, "models.toml"), modelsTOML(tinyA))
		writeFile(t, filepath.Join(d, "pricing.toml"), pricingWith(rate))
	}
	mk("..v1", 1)
	if err := os.Symlink("..v1", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"nashd.toml", "models.toml", "pricing.toml"} {
		if err := os.Symlink(filepath.Join("..data", f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	h := startDaemonIn(t, dir)
	old := h.status().Pricing
	mk("..v2", 2)
	tmp := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink("..v2", tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	d := h.waitFor("symlink swap", reloadDeadline, func(s api.StatusResponse) bool { return s.Pricing != old })
	t.Logf("visible after %v", d)
}

// TestReloadEditAtStartup edits pricing.toml after the daemon loaded its config and before it
// armed the watcher (RunOptions.Routes runs in between). The edit must be in force once the
// daemon reports ready, with no further edit: an edit at start-up is never lost.
func TestReloadEditAtStartup(t *testing.T) {
	content := pricingWith(7)
	sum := sha256.Sum256([]byte(content))
	want := "pricing.toml@" + hex.EncodeToString(sum[:6])
	var dir string
	h := startDaemon(t, map[string]string{"pricing.toml": pricingWith(1)}, func(o *daemon.RunOptions) {
		dir = o.ConfigDir
		o.Routes = func(*daemon.Server) { writeFile(t, filepath.Join(dir, "pricing.toml"), content) }
	})
	if st := h.status(); st.Pricing != want || st.Config.Generation != 2 {
		t.Fatalf("ready with pricing %s generation %d, want %s generation 2 (reloads %+v)", st.Pricing, st.Config.Generation, want, st.Config.Reloads)
	}
}

func TestSIGHUPReload(t *testing.T) {
	hup := make(chan os.Signal, 1)
	h := startDaemon(t, map[string]string{"pricing.toml": pricingWith(1)}, func(o *daemon.RunOptions) { o.Reload = hup })
	before := h.status().Config.Reloads
	hup <- os.Interrupt // any value: Run treats it as SIGHUP
	h.waitFor("SIGHUP reload", reloadDeadline, func(s api.StatusResponse) bool {
		return s.Config.Reloads.Unchanged+s.Config.Reloads.OK > before.Unchanged+before.OK
	})
}

// seedGame returns a game file of the seed suite in configs/games.
func seedGame(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "configs", "games", name+".toml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestModelSwapUnderLoad swaps the model twice while 8 clients send requests: no request
// may fail, and both swaps must complete.
func TestModelSwapUnderLoad(t *testing.T) {
	h := startDaemon(t, map[string]string{})
	c := h.openai()
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
					Model: "default", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("swap?")}, MaxTokens: openai.Int(6)})
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	models := filepath.Join(h.dir, "models.toml")
	var swapTimes []time.Duration
	for i, path := range []string{tinyB, tinyA} {
		time.Sleep(time.Second)
		t0 := time.Now()
		writeFile(t, models, modelsTOML(path))
		h.waitFor(fmt.Sprintf("swap %d", i+1), 20*time.Second, func(s api.StatusResponse) bool {
			return s.Model.Serving != nil && s.Model.Serving.Info.Path == path && s.Model.Swaps == uint64(i+1)
		})
		swapTimes = append(swapTimes, time.Since(t0))
	}
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d of %d requests failed across swaps; first: %v", failed.Load(), failed.Load()+ok.Load(), firstErr.Load())
	}
	if ok.Load() < 16 {
		t.Fatalf("only %d requests completed", ok.Load())
	}
	st := h.status()
	if len(st.Model.Draining) != 0 {
		t.Errorf("old model still draining after the load stopped: %v", st.Model.Draining)
	}
	t.Logf("%d requests, 0 failed; models.toml edit → new model serving: %v", ok.Load(), swapTimes)
}

func TestModelLoadFailureKeepsOld(t *testing.T) {
	h := startDaemon(t, map[string]string{})
	writeFile(t, filepath.Join(h.dir, "models.toml"), modelsTOML(filepath.Join(h.dir, "missing.gguf")))
	h.waitFor("load failure reported", reloadDeadline, func(s api.StatusResponse) bool { return s.Model.Error != "" })
	st := h.status()
	if st.Model.State != "ready" || st.Model.Serving == nil || st.Model.Serving.Info.Path != tinyA {
		t.Fatalf("old model not serving after a failed swap: %+v", st.Model)
	}
	if !strings.Contains(st.Model.Error, "missing.gguf") {
		t.Errorf("error %q does not name the file", st.Model.Error)
	}
	if code, _, b := h.do("POST", "/v1/chat/completions", h.chatBody("")); code != 200 {
		t.Fatalf("chat after failed swap: %d %s", code, b)
	}
}
