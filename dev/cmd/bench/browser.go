package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/oidcwasm/oidcwasm/dev/internal/chromium"
)

// chromiumFlags run Chromium headless, also as root, with nothing in the
// background that could take CPU or network from a measurement. chromedp adds
// a fresh temporary user-data-dir. localhost is mapped to 127.0.0.1, where the
// servers listen, so no connection tries ::1 first.
func chromiumFlags(execPath string) []chromedp.ExecAllocatorOption {
	f := append(chromium.Flags(), chromedp.ExecPath(execPath),
		chromedp.Flag("host-resolver-rules", "MAP localhost 127.0.0.1"))
	if v := os.Getenv("BENCH_JS_FLAGS"); v != "" {
		f = append(f, chromedp.Flag("js-flags", v))
	}
	return f
}

// openBrowser starts a Chromium of its own (a fresh user-data-dir: empty
// HTTP cache on disk, no cookies, no storage, as a first visit) and returns
// its first tab; closing that tab stops the browser.
func openBrowser(ctx context.Context, execPath string) (*tab, error) {
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromiumFlags(execPath)...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	cancel := func() { cancelBrowser(); cancelAlloc() }
	// The first action starts the browser; it must not carry a timeout.
	if err := chromedp.Do(bctx); err != nil {
		cancel()
		return nil, fmt.Errorf("starting Chromium %s (apt-get install -y chromium, or -chromium): %w", execPath, err)
	}
	return setupTab(bctx, cancel)
}

// openCold opens a Chromium of its own with the HTTP cache disabled (a
// first visit) and starts loading url there; the caller closes the tab.
func openCold(ctx context.Context, e *env, url string) (*tab, error) {
	t, err := openBrowser(ctx, e.opts.chromium)
	if err != nil {
		return nil, err
	}
	if err := t.setCacheDisabled(true); err == nil {
		err = t.navigate(url)
	}
	if err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

// version is the browser's product name and version.
func (t *tab) version() string {
	v, err := chromedp.CallBrowser(t.ctx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		return ""
	}
	return v.Product
}

// report is what a page sends through __benchReport.
type report struct {
	Kind          string  `json:"kind"` // load, callback, error
	Lib           string  `json:"lib"`
	Variant       string  `json:"variant"`
	ReadyMs       float64 `json:"readyMs"`      // library ready, from navigation start
	ConfiguredMs  float64 `json:"configuredMs"` // configured (discovery loaded)
	AuthMs        float64 `json:"authMs"`       // checkAuth / signinRedirectCallback / restore, alone
	DoneMs        float64 `json:"doneMs"`       // signed in or restored, from navigation start
	Authenticated bool    `json:"authenticated"`
	Isolated      bool    `json:"isolated"` // crossOriginIsolated: performance.now() at 5 µs
	Error         string  `json:"error"`
	Code          string  `json:"code"`
	Nav           *struct {
		Type          string  `json:"type"`
		RedirectCount int     `json:"redirectCount"`
		FetchStart    float64 `json:"fetchStart"`
		ResponseEnd   float64 `json:"responseEnd"`
	} `json:"nav"`
	Resources []struct {
		Name          string  `json:"name"`
		TransferSize  int     `json:"transferSize"`
		Duration      float64 `json:"duration"`
		StartTime     float64 `json:"startTime"`
		ResponseStart float64 `json:"responseStart"`
		ResponseEnd   float64 `json:"responseEnd"`
	} `json:"resources"`
	// Marks are the bridge's start-up marks (oidc.js's "oidcwasm:<moment>"),
	// ms from the navigation start by moment.
	Marks map[string]float64 `json:"marks,omitempty"`
	// Worker custody only (bridge.html's custody and untilControlled):
	// whether the service worker controlled the page when checkAuth
	// resolved, what checkAuth reported as errors (worker_unavailable on a
	// page it does not control), and on the first load when the worker
	// took control and its own start-up moments (oidc-sw.js "stats"), ms
	// from the navigation start.
	Controlled   bool               `json:"controlled,omitempty"`
	AuthErrors   []string           `json:"authErrors,omitempty"`
	ControlledMs float64            `json:"controlledMs,omitempty"`
	WorkerMarks  map[string]float64 `json:"workerMarks,omitempty"`
}

// resource returns the timing of the library file whose path ends in name.
func (r *report) resource(name string) (start, end float64, ok bool) {
	for _, res := range r.Resources {
		if strings.HasSuffix(res.Name, "/"+name) {
			return res.StartTime, res.ResponseEnd, true
		}
	}
	return 0, 0, false
}

// fromCache reports whether every library file of the page came from the
// HTTP cache (transferSize 0), and whether any did.
func (r *report) fromCache() (all, any bool) {
	all = len(r.Resources) > 0
	for _, res := range r.Resources {
		if res.TransferSize == 0 {
			any = true
		} else {
			all = false
		}
	}
	return all, any
}

// tab is one Chromium tab with the reports of its pages.
type tab struct {
	ctx     context.Context
	cancel  func()
	reports chan report
	mu      sync.Mutex
	console []string // the last console lines, for errors
}

const reportBinding = "__benchReport"

// sibling opens another tab in t's browser context (shared localStorage,
// cookies and cache), in a window of its own so it is not hidden.
func (t *tab) sibling() (*tab, error) {
	ctx, cancel := chromedp.NewContext(t.ctx)
	return setupTab(ctx, func() { cancel() })
}

func setupTab(ctx context.Context, cancel func()) (*tab, error) {
	t := &tab{ctx: ctx, cancel: cancel, reports: make(chan report, 16)}
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		return nil, fmt.Errorf("opening a tab: %w", err)
	}
	// Subscribe before any page loads, so no report is lost.
	go func() {
		for ev, err := range chromedp.Events(ctx, runtime.BindingCalled) {
			if err != nil {
				return
			}
			if ev.Name != reportBinding {
				continue
			}
			var r report
			if err := json.Unmarshal([]byte(ev.Payload), &r); err != nil {
				r = report{Kind: "error", Error: "bad report: " + err.Error()}
			}
			select {
			case t.reports <- r:
			default:
			}
		}
	}()
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			t.mu.Lock()
			t.console = append(t.console, m.String())
			if len(t.console) > 20 {
				t.console = t.console[len(t.console)-20:]
			}
			t.mu.Unlock()
		}
	}()
	cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
	defer ccancel()
	if _, err := chromedp.Call(cctx, runtime.AddBinding, runtime.AddBindingParams{Name: reportBinding}); err != nil {
		cancel()
		return nil, fmt.Errorf("adding the report binding: %w", err)
	}
	return t, nil
}

func (t *tab) close() { t.cancel() }

// consoleTail is the page's last console lines, for error messages.
func (t *tab) consoleTail() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.console) == 0 {
		return ""
	}
	return "\n  console: " + strings.Join(t.console, "\n  console: ")
}

// setCacheDisabled makes the tab ignore (and not fill) the HTTP cache.
func (t *tab) setCacheDisabled(disabled bool) error {
	ctx, cancel := context.WithTimeout(t.ctx, 30*time.Second)
	defer cancel()
	_, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: disabled})
	return err
}

// networkEvents turns DevTools' Network domain on or off for the tab.
func (t *tab) networkEvents(on bool) error {
	ctx, cancel := context.WithTimeout(t.ctx, 30*time.Second)
	defer cancel()
	var err error
	if on {
		_, err = chromedp.Call(ctx, network.Enable, network.EnableParams{})
	} else {
		_, err = chromedp.Call(ctx, network.Disable, cdp.Empty{})
	}
	return err
}

// navigate starts loading url without waiting; the page reports when done.
func (t *tab) navigate(url string) error {
	ctx, cancel := context.WithTimeout(t.ctx, 30*time.Second)
	defer cancel()
	res, err := chromedp.Call(ctx, page.Navigate, page.NavigateParams{URL: url})
	if err == nil && res.ErrorText != "" {
		err = errors.New(res.ErrorText)
	}
	if err != nil {
		return fmt.Errorf("navigating to %s: %w", url, err)
	}
	return nil
}

// reload reloads the page as the reload button does (HTTP cache allowed).
func (t *tab) reload() error {
	ctx, cancel := context.WithTimeout(t.ctx, 30*time.Second)
	defer cancel()
	_, err := chromedp.Call(ctx, page.Reload, page.ReloadParams{})
	return err
}

// eval evaluates expr, awaiting a Promise, and decodes the JSON it resolves to.
func eval[T any](t *tab, timeout time.Duration, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return v, fmt.Errorf("%s: %w%s", expr, err, t.consoleTail())
	}
	return v, nil
}

// wait returns the next report of this kind; an error report or a timeout
// is an error.
func (t *tab) wait(kind string, timeout time.Duration) (report, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case r := <-t.reports:
			if r.Kind == "error" {
				return r, fmt.Errorf("the %s page failed: %s (code %q)%s", r.Lib, r.Error, r.Code, t.consoleTail())
			}
			if r.Kind == kind {
				return r, nil
			}
			return r, fmt.Errorf("the %s page reported %q, want %q", r.Lib, r.Kind, kind)
		case <-timer.C:
			return report{}, fmt.Errorf("no %q report after %v%s", kind, timeout, t.consoleTail())
		case <-t.ctx.Done():
			return report{}, t.ctx.Err()
		}
	}
}
