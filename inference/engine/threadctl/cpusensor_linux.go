package threadctl

import (
	"bufio"
	"os"
	"syscall"
	"time"
)

// readCPU reads all CPUs' busy time and their number from /proc/stat, and this process's CPU
// time from getrusage (the sensor stamps the time).
func readCPU() cpuReading {
	var r cpuReading
	f, err := os.Open("/proc/stat")
	if err != nil {
		return r
	}
	defer f.Close()
	busy, cpus, ok := parseProcStat(bufio.NewReader(f))
	if !ok {
		return r
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return r
	}
	r.busy, r.cpus = busy, cpus
	r.own = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	r.ok = true
	return r
}
