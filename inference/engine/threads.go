package engine

import (
	"bufio"
	"os"
	"runtime"
	"strings"
)

// PhysicalCores returns the number of physical CPU cores (distinct "physical id"/"core id"
// pairs in /proc/cpuinfo), or runtime.NumCPU() where that is unavailable. ggml's worker
// threads spin while waiting, so running more of them than there are cores (hyper-threads or
// cores busy with other work) slows decoding down by orders of magnitude; see the package
// documentation for measurements.
func PhysicalCores() int {
	n := physicalCores("/proc/cpuinfo")
	if n <= 0 {
		return runtime.NumCPU()
	}
	return min(n, runtime.NumCPU())
}

func physicalCores(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	cores := map[string]bool{}
	var phys, core string
	flush := func() {
		if core != "" {
			cores[phys+"/"+core] = true
		}
		phys, core = "", ""
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "physical id":
			phys = strings.TrimSpace(v)
		case "core id":
			core = strings.TrimSpace(v)
		}
	}
	flush()
	return len(cores)
}
