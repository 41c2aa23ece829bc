package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/oidcwasm/oidcwasm/dev/internal/chromium"
)

// binding is the name of the DevTools binding through which the page talks
// to the runner (see page.html).
const binding = "__wasmbrowser"

// runInBrowser opens origin in Chromium, runs the program with argv and env,
// copies its output to os.Stdout and os.Stderr, and returns its exit code.
func runInBrowser(ctx context.Context, origin string, argv []string, env map[string]string, limit time.Duration) (int, error) {
	verbose := os.Getenv("OIDCWASM_WASMBROWSER_VERBOSE") != ""
	chromiumOut := &tail{max: 16 << 10}
	opts := append(chromium.Flags(), chromedp.CombinedOutput(chromiumOut))
	if verbose {
		opts[len(opts)-1] = chromedp.CombinedOutput(os.Stderr)
	}
	if p := os.Getenv("OIDCWASM_CHROMIUM"); p != "" {
		opts = append(opts, chromedp.ExecPath(p))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	// The first action starts the browser; keep it free of timeouts (chromedp.Run).
	if err := chromedp.Do(bctx); err != nil {
		return 0, fmt.Errorf("starting Chromium (apt-get install -y chromium, or set OIDCWASM_CHROMIUM): %w%s", err, chromiumOut)
	}
	// Subscribe before the page loads, so no message is lost.
	messages := chromedp.Events(bctx, runtime.BindingCalled)
	if verbose {
		go forwardConsole(chromedp.Console(bctx))
	}

	start := fmt.Sprintf("void __wasmbrowserStart(%s, %s)", mustJSON(argv), mustJSON(env))
	setup, cancelSetup := context.WithTimeout(bctx, time.Minute)
	defer cancelSetup()
	if _, err := chromedp.Call(setup, runtime.AddBinding, runtime.AddBindingParams{Name: binding}); err != nil {
		return 0, fmt.Errorf("adding the binding: %w", err)
	}
	resp, err := chromedp.Run(setup, chromedp.NavigateResponse(origin+"/"))
	if err != nil {
		return 0, fmt.Errorf("loading the page %s: %w", origin, err)
	}
	if resp.Status != 200 {
		return 0, fmt.Errorf("loading the page %s: status %d", origin, resp.Status)
	}
	if _, err := chromedp.Run(setup, chromedp.Evaluate[chromedp.Void](start)); err != nil {
		return 0, fmt.Errorf("starting the program: %w", err)
	}

	timer := time.NewTimer(limit)
	defer timer.Stop()
	next, stopMessages := iterPull(messages)
	defer stopMessages()
	nudged := false
	for {
		select {
		case m, ok := <-next:
			if !ok {
				return 0, fmt.Errorf("lost the browser: %v%s", context.Cause(bctx), chromiumOut)
			}
			if m.err != nil {
				return 0, fmt.Errorf("lost the browser: %w%s", m.err, chromiumOut)
			}
			if code, done, err := handle(m.ev.Payload); done {
				if nudged && err == nil {
					err = fmt.Errorf("%w (after %v; set OIDCWASM_WASMBROWSER_TIMEOUT to change the limit)", errNoExit, limit)
				}
				return code, err
			}
		case <-timer.C:
			if nudged {
				return 0, fmt.Errorf("%w (after %v; set OIDCWASM_WASMBROWSER_TIMEOUT to change the limit)", errNoExit, limit)
			}
			// Give the runtime a chance to print a deadlock, then give up.
			nudged = true
			nctx, cancel := context.WithTimeout(bctx, 5*time.Second)
			chromedp.Run(nctx, chromedp.Evaluate[chromedp.Void](`__wasmbrowserNudge()`))
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

// forwardConsole copies the DevTools view of the console to os.Stderr, for
// OIDCWASM_WASMBROWSER_VERBOSE: the browser's own log (failed requests and
// the like, which tests cause on purpose) and console calls once more, as
// DevTools formats them. The page itself reports console calls in order with
// the program's output.
func forwardConsole(console iter.Seq2[chromedp.ConsoleMessage, error]) {
	for m, err := range console {
		if err != nil {
			return
		}
		fmt.Fprintf(os.Stderr, "devtools: %s\n", m)
	}
}

type message struct {
	ev  runtime.EventBindingCalled
	err error
}

// iterPull turns the iterator of binding calls into a channel.
func iterPull(seq iter.Seq2[runtime.EventBindingCalled, error]) (<-chan message, func()) {
	ch := make(chan message)
	done := make(chan struct{})
	go func() {
		defer close(ch)
		for ev, err := range seq {
			select {
			case ch <- message{ev, err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return ch, func() { close(done) }
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// tail keeps the last max bytes written to it, to show Chromium's output
// when something goes wrong.
type tail struct {
	max int
	mu  sync.Mutex
	b   []byte
}

var _ io.Writer = (*tail)(nil)

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

// String is empty, or Chromium's output on lines of its own after a newline.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.b) == 0 {
		return ""
	}
	return "\nChromium's output:\n" + string(t.b)
}
