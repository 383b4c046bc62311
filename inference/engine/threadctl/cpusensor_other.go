//go:build !linux

package threadctl

// readCPU has no figures outside Linux: the sensor then reports nothing.
func readCPU() cpuReading { return cpuReading{} }
