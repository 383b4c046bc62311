package engine

import (
	"os"
	"testing"
)

var testDir string

func tempDir() (string, error) { return testDir, nil }

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "nash-engine-test-")
	if err != nil {
		panic(err)
	}
	testDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}
