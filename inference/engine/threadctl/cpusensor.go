package threadctl

import (
	"bufio"
	"bytes"
	"strconv"
	"sync"
	"time"
)

// SensorInterval is the shortest time a [CPUSensor] averages over: /proc/stat counts in
// ticks of 10 ms per CPU, so shorter windows are mostly rounding.
const SensorInterval = 250 * time.Millisecond

// SensorMaxWindow is the longest time a [CPUSensor] averages over: a longer one (the first
// reading after an idle spell) says more about the past than about now, so it reports nothing
// and starts a new window.
const SensorMaxWindow = 10 * time.Second

// userHZ is the unit of /proc/stat's times (USER_HZ, 100 on every Linux ABI).
const userHZ = 100

// cpuReading is one reading of the machine's and this process's CPU time.
type cpuReading struct {
	at        time.Time
	busy, own time.Duration // all CPUs' non-idle time; this process's user + system time
	cpus      int
	ok        bool
}

// CPUSensor tells how many CPUs other programs have left free lately: the machine's CPUs
// less the CPU time that processes other than this one used (all CPUs' busy time from
// /proc/stat, less this process's own from getrusage), averaged over the time since the
// previous reading (at least [SensorInterval], at most [SensorMaxWindow]; readings are
// cached in between). This process's own threads, working or spinning, count as free: they
// are what the controller decides on. Other programs at any priority count as busy. Where
// the figures are unavailable (other systems than Linux) it reports nothing. Safe for
// concurrent use.
type CPUSensor struct {
	mu   sync.Mutex
	now  func() time.Time
	read func() cpuReading
	prev cpuReading
	free float64
	ok   bool
}

// NewCPUSensor returns a sensor of this machine (taking its first reading now).
func NewCPUSensor() *CPUSensor { return newCPUSensor(time.Now, readCPU) }

func newCPUSensor(now func() time.Time, read func() cpuReading) *CPUSensor {
	s := &CPUSensor{now: now, read: read}
	s.prev = read()
	s.prev.at = now()
	return s
}

// Free returns the CPUs other programs left free between the last two readings, and false
// when that is unknown (no second reading yet, readings too far apart, or no figures on
// this system). Use it as [Config].Free.
func (s *CPUSensor) Free() (float64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if now.Sub(s.prev.at) < SensorInterval {
		return s.free, s.ok
	}
	r := s.read()
	r.at = now
	s.free, s.ok = 0, false
	if r.ok && s.prev.ok && now.Sub(s.prev.at) <= SensorMaxWindow {
		s.free, s.ok = freeCPUs(s.prev, r), true
	}
	s.prev = r
	return s.free, s.ok
}

// freeCPUs is the CPUs that processes other than this one left free from a to b.
func freeCPUs(a, b cpuReading) float64 {
	wall := b.at.Sub(a.at).Seconds()
	if wall <= 0 || b.cpus <= 0 {
		return 0
	}
	others := ((b.busy - a.busy) - (b.own - a.own)).Seconds() / wall
	return float64(b.cpus) - max(others, 0)
}

// parseProcStat reads the "cpu" lines of /proc/stat: the busy time of all CPUs together (user,
// nice, system, irq, softirq and steal; guest time is part of user) and the number of "cpuN"
// lines.
func parseProcStat(rd *bufio.Reader) (busy time.Duration, cpus int, ok bool) {
	for {
		line, err := rd.ReadSlice('\n')
		if !bytes.HasPrefix(line, []byte("cpu")) {
			break
		}
		fields := bytes.Fields(line)
		switch {
		case string(fields[0]) == "cpu":
			if len(fields) < 9 {
				return 0, 0, false
			}
			var ticks uint64
			for _, i := range []int{1, 2, 3, 6, 7, 8} {
				v, err := strconv.ParseUint(string(fields[i]), 10, 64)
				if err != nil {
					return 0, 0, false
				}
				ticks += v
			}
			busy, ok = time.Duration(ticks)*time.Second/userHZ, true
		default:
			cpus++
		}
		if err != nil {
			break
		}
	}
	if !ok || cpus == 0 {
		return 0, 0, false
	}
	return busy, cpus, true
}
