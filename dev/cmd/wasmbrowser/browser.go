package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/internal/engine"
)

// runInBrowser opens origin in the engine's browser, which runs the program
// (page.html fetches its argv and environment from the server), copies its
// output to os.Stdout and os.Stderr as the page posts it to prog, and
// returns its exit code.
func runInBrowser(ctx context.Context, name engine.Name, origin string, prog *program, limit time.Duration) (int, error) {
	var opts engine.Options
	if os.Getenv("OIDCWASM_WASMBROWSER_VERBOSE") != "" {
		opts.Log = os.Stderr
	}
	setup, cancelSetup := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelSetup()
	b, err := engine.Launch(setup, name, opts)
	if err != nil {
		return 0, err
	}
	defer b.Close()
	page, err := b.NewContext(setup)
	if err != nil {
		return 0, fmt.Errorf("opening a tab in %s: %w", name, err)
	}
	defer page.Close()
	if err := page.Navigate(setup, origin+"/"); err != nil {
		return 0, fmt.Errorf("loading the page %s in %s: %w", origin, name, err)
	}
	cancelSetup()

	timer := time.NewTimer(limit)
	defer timer.Stop()
	alive := time.NewTicker(5 * time.Second)
	defer alive.Stop()
	nudged := false
	for {
		select {
		case m := <-prog.messages:
			if code, done, err := handle(m); done {
				if nudged && err == nil {
					err = fmt.Errorf("%w (after %v; set OIDCWASM_WASMBROWSER_TIMEOUT to change the limit)", errNoExit, limit)
				}
				return code, err
			}
		case <-alive.C:
			if page.Closed() {
				return 0, fmt.Errorf("lost the browser: the page of %s closed", name)
			}
		case <-timer.C:
			if nudged {
				return 0, fmt.Errorf("%w (after %v; set OIDCWASM_WASMBROWSER_TIMEOUT to change the limit)", errNoExit, limit)
			}
			// Give the runtime a chance to print a deadlock, then give up.
			nudged = true
			nctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			page.Eval(nctx, `(__wasmbrowserNudge(), "")`)
			cancel()
			timer.Reset(3 * time.Second)
		case <-ctx.Done():
			return 0, fmt.Errorf("stopped: %w", context.Cause(ctx))
		}
	}
}

// handle acts on one message of the page. done reports whether the program ended.
func handle(payload string) (code int, done bool, err error) {
	kind, data, _ := strings.Cut(payload, ":")
	switch kind {
	case "stdout", "stderr":
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return 0, true, fmt.Errorf("bad output from the page: %w", err)
		}
		w := os.Stdout
		if kind == "stderr" {
			w = os.Stderr
		}
		w.Write(b)
		return 0, false, nil
	case "console":
		fmt.Fprintf(os.Stderr, "console.%s\n", data)
		return 0, false, nil
	case "exit":
		code, err := strconv.Atoi(data)
		if err != nil {
			return 1, true, fmt.Errorf("bad exit code %q", data)
		}
		return code, true, nil
	case "error":
		return 0, true, fmt.Errorf("the page failed to run the program: %s", data)
	}
	return 0, true, fmt.Errorf("unknown message %q from the page", kind)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
