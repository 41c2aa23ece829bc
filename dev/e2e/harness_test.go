// Package e2e holds the end-to-end tests: the JS bridge (bridge_*_test.go)
// and others, all in headless Chromium against the demo server and two
// development providers on localhost, started once for the test binary.
package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// env is the demo, the providers and Chromium, shared by every test of the
// package; each test opens its own e2etest.Tab.
var env *e2etest.Env

func TestMain(m *testing.M) {
	e, err := e2etest.Start(e2etest.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	env = e
	code := m.Run()
	e.Close()
	os.Exit(code)
}
