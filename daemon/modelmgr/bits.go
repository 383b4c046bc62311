package modelmgr

import "math"

func floatBits(f float32) uint32 { return math.Float32bits(f) }
func floatFrom(b uint32) float32 { return math.Float32frombits(b) }
