// Command wasmbrowser runs a GOOS=js test binary inside a headless browser:
// Chromium, Firefox or WebKit, as $OIDCWASM_ENGINE says (default
// chromium). It is a drop-in for $(go env GOROOT)/lib/wasm/go_js_wasm_exec,
// which runs the binary in node:
//
//	GOOS=js GOARCH=wasm go test -exec=/path/to/wasmbrowser ./web/...
//	OIDCWASM_ENGINE=firefox GOOS=js GOARCH=wasm go test -count=1 -exec=/path/to/wasmbrowser ./web/...
//
// go test invokes it as "wasmbrowser <binary> [test flags...]". It serves a
// page, wasm_exec.js of the Go toolchain and the binary on localhost (bound to
// 127.0.0.1, a random port) and opens the page in the engine's browser
// (dev/internal/engine). The page fetches the program's arguments, go.argv =
// ["js", flags...], and a filtered copy of the runner's environment (see
// wasmEnv), and runs it. The program's writes to stdout and stderr reach the
// runner byte for byte, posted in order to the runner's server (plain HTTP,
// so every engine does it alike), so -test.v and go test -json work as they
// do with node. The runner exits with the program's exit code.
//
// For tests that need a server, the runner serves a few endpoints next to
// the page; a test finds them through location.origin (or the
// OIDCWASM_WASMBROWSER_ORIGIN variable). See server.go.
//
// The runner fails with exit code 1 and a message on stderr when the browser
// or the page does not start, when the page throws before the program runs,
// and when the program does not exit in time: after -test.timeout plus a
// minute of grace (so the testing package's own timeout panic comes first),
// or 10 minutes without -test.timeout. On that limit the runner first makes
// the Go runtime look for a deadlock, as node's runner does when its event
// loop runs dry, so a deadlocked program prints its goroutines.
//
// Environment:
//
//	OIDCWASM_ENGINE               chromium (default), firefox or webkit
//	OIDCWASM_CHROMIUM, OIDCWASM_FIREFOX, OIDCWASM_WEBKITDRIVER
//	                              another browser binary (or WebKitWebDriver) than Debian's
//	OIDCWASM_WASMBROWSER_TIMEOUT  a Go duration that replaces the exit limit above
//	OIDCWASM_WASMBROWSER_VERBOSE  when non-empty, also forward the browser's own output
//
// Each run has a browser of its own with fresh storage (Chromium headless
// with --no-sandbox, as the runner is usually root in CI; Firefox headless
// with a new profile; WebKit's MiniBrowser on a private Xvfb display).
package main

import (
	"context"

	"errors"
	"fmt"
	"github.com/oidcwasm/oidcwasm/dev/internal/engine"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

const (
	defaultLimit = 10 * time.Minute
	grace        = time.Minute
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: wasmbrowser <binary.wasm> [arguments...]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT)
	code, err := run(ctx, os.Args[1], os.Args[2:])
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "wasmbrowser: %s: %v\n", os.Args[1], err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// run runs the binary with args and returns its exit code. An error means the
// program did not run to its end; the code is then the program's exit code
// if it had one, else 0.
func run(ctx context.Context, binary string, args []string) (int, error) {
	if _, err := os.Stat(binary); err != nil {
		return 0, err
	}
	execJS, err := wasmExecJS(ctx)
	if err != nil {
		return 0, err
	}
	limit, err := exitLimit(args)
	if err != nil {
		return 0, err
	}
	name, err := engine.FromEnv()
	if err != nil {
		return 0, err
	}
	prog := newProgram()
	srv, err := startServer(binary, execJS, prog)
	if err != nil {
		return 0, err
	}
	defer srv.Close()

	env := wasmEnv(os.Environ())
	env["OIDCWASM_WASMBROWSER_ORIGIN"] = srv.origin
	prog.setStart(append([]string{"js"}, args...), env)
	return runInBrowser(ctx, name, srv.origin, prog, limit)
}

// exitLimit is how long the program may run: OIDCWASM_WASMBROWSER_TIMEOUT, or
// -test.timeout plus grace, or defaultLimit.
func exitLimit(args []string) (time.Duration, error) {
	if s := os.Getenv("OIDCWASM_WASMBROWSER_TIMEOUT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("OIDCWASM_WASMBROWSER_TIMEOUT=%q is not a positive duration", s)
		}
		return d, nil
	}
	for i, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if name != "-test.timeout" && name != "test.timeout" {
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				break
			}
			value = args[i+1]
		}
		d, err := time.ParseDuration(value)
		if err != nil {
			return 0, fmt.Errorf("-test.timeout: %w", err)
		}
		if d > 0 {
			return d + grace, nil
		}
		break // -test.timeout=0 turns the test's own alarm off; keep ours
	}
	return defaultLimit, nil
}

// wasmEnv returns what the program sees as its environment: HOME, TMPDIR,
// PWD (the runner's working directory, which go test sets to the package
// directory), CI, the GO* variables (not GOOGLE_*) and the OIDCWASM_*
// variables. The rest stays out: wasm_exec.js fits argv and environment into
// 8 KiB of linear memory, and tests have no use for the runner's secrets.
func wasmEnv(environ []string) map[string]string {
	env := map[string]string{"TMPDIR": os.TempDir()}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		switch {
		case k == "HOME", k == "TMPDIR", k == "CI",
			strings.HasPrefix(k, "GO") && !strings.HasPrefix(k, "GOOGLE"),
			strings.HasPrefix(k, "OIDCWASM_"):
			env[k] = v
		}
	}
	if wd, err := os.Getwd(); err == nil {
		env["PWD"] = wd
	}
	return env
}

// errNoExit is the error of a program that ran out of time.
var errNoExit = errors.New("the program did not exit in time")
