package daemon_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nashd/nashd/daemon/api"
)

// remoteSwapModels is a models.toml with a local model (near), a remote one (far, served by
// the nashd at url) and one whose server is gone, def being the default.
func remoteSwapModels(def, url string) string {
	return fmt.Sprintf(`default = %q
[models.near]
path = %q
[models.far]
url = %q
served_name = "tiny"
dialect = "nashd"
max_concurrency = 2
[models.gone]
url = %q
served_name = "tiny"
dialect = "nashd"
`, def, tinyA, url, goneURL)
}

// goneURL is an OpenAI base URL on a loopback port nothing listens on (port 1: privileged,
// and no test binds it).
const goneURL = "http://127.0.0.1:1/v1"

// TestRemoteSwapUnderLoad swaps the default model local → remote (over loopback TCP) → local
// (models.toml edits) while a few clients send short chat requests: no request may fail,
// each swap must show in /v1/status, and the front serves requests on both sides of each
// swap. Afterwards /v1/models probes the remote models that are not serving: far reachable,
// gone not, with the reason.
func TestRemoteSwapUnderLoad(t *testing.T) {
	_, addr := startTCPDaemon(t, map[string]string{})
	url := "http://" + addr + "/v1"
	h := startDaemon(t, map[string]string{"models.toml": remoteSwapModels("near", url)})
	load := startChatLoad(h, 4, 2000) // bounded in count; finish bounds it in time
	servedSince := func(what string, from int64) { load.servedSince(t, what, from, reloadDeadline) }
	models := filepath.Join(h.dir, "models.toml")
	var swapTimes []time.Duration
	servedSince("local model before the swaps", 0)
	for i, def := range []string{"far", "near"} {
		t0 := time.Now()
		writeFile(t, models, remoteSwapModels(def, url))
		h.waitFor(fmt.Sprintf("swap %d (to %s)", i+1, def), reloadDeadline, func(s api.StatusResponse) bool {
			sv := s.Model.Serving
			return sv != nil && sv.Name == def && (sv.Remote != nil) == (def == "far") && s.Model.Swaps == uint64(i+1)
		})
		swapTimes = append(swapTimes, time.Since(t0))
		servedSince("after swap to "+def, load.ok.Load())
	}
	byModel := load.finish(t)
	if byModel["near"] == 0 || byModel["far"] == 0 {
		t.Errorf("requests by answering model %v: want both near and far", byModel)
	}
	st := h.status()
	if len(st.Model.Draining) != 0 {
		t.Errorf("old model still draining after the load stopped: %v", st.Model.Draining)
	}
	t.Logf("%d requests (by model %v), 0 failed; models.toml edit → new default serving: %v", load.ok.Load(), byModel, swapTimes)

	_, _, b := h.do("GET", "/v1/models", nil)
	var list api.List[api.ModelEntry]
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	remotes := map[string]*api.RemoteModel{}
	for _, e := range list.Data {
		remotes[e.ID] = e.Remote
	}
	if r := remotes["far"]; r == nil || !r.Reachable || r.URL != url {
		t.Errorf("/v1/models far (not serving) = %+v: want reachable at %s", r, url)
	}
	if r := remotes["gone"]; r == nil || r.Reachable || !strings.Contains(r.LastError, "unreachable") || r.URL != goneURL {
		t.Errorf("/v1/models gone = %+v: want unreachable, with the reason", r)
	}
	if remotes["near"] != nil {
		t.Errorf("/v1/models near (local) = %+v: want no remote", remotes["near"])
	}
}
