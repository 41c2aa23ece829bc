// Package engine drives the three browser engines the tests run in through
// one small interface: Chromium over the DevTools protocol (chromedp),
// Firefox over WebDriver BiDi, and WebKit (WebKitGTK's MiniBrowser) over
// classic WebDriver (WebKitWebDriver). The GOOS=js test runner
// (dev/cmd/wasmbrowser) and the end-to-end harness (dev/e2etest) are
// written against Browser and Page, so one test drives all three.
//
// What an engine's protocol cannot do is an error wrapping ErrUnsupported,
// named by a Capability; Browser.Supports tells beforehand. Everything
// else behaves alike: Eval awaits a Promise, Gesture gives the page a user
// activation (window.open needs one), a Page is a tab, NewContext gives
// fresh cookies and storage.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Name is a browser engine.
type Name string

// The engines.
const (
	Chromium Name = "chromium" // Debian's chromium, DevTools protocol
	Firefox  Name = "firefox"  // Debian's firefox-esr, WebDriver BiDi
	WebKit   Name = "webkit"   // Debian's webkit2gtk-driver (MiniBrowser), classic WebDriver
)

// Names are all engines, in the order the tests run them.
var Names = []Name{Chromium, Firefox, WebKit}

// FromEnv is the engine named by $OIDCWASM_ENGINE, Chromium when unset.
func FromEnv() (Name, error) {
	v := strings.ToLower(strings.TrimSpace(os.Getenv("OIDCWASM_ENGINE")))
	if v == "" {
		return Chromium, nil
	}
	for _, n := range Names {
		if string(n) == v {
			return n, nil
		}
	}
	return "", fmt.Errorf("engine: OIDCWASM_ENGINE=%q: want chromium, firefox or webkit", v)
}

// Capability is something a test may need that not every engine's protocol
// offers.
type Capability string

// The capabilities that differ between engines.
const (
	// CapConsole: the browser's console as events (console calls of every
	// frame and window, uncaught errors, the browser's own log). Classic
	// WebDriver has no events at all.
	CapConsole Capability = "console events"
	// CapNavigations: every URL the tab's frames navigated to, redirects
	// included. Classic WebDriver has no events at all.
	CapNavigations Capability = "frame navigation events"
	// CapHistory: the tab's session history entries. Only the DevTools
	// protocol lists them.
	CapHistory Capability = "session history entries"
	// CapSharedFrameStorage: a frame of another origin on the same site
	// (localhost:8080 in a page of localhost:9001) shares the origin's
	// localStorage and BroadcastChannels with its top-level tabs. WebKit
	// partitions them by the top-level origin; it is an engine's policy, not
	// a protocol's.
	CapSharedFrameStorage Capability = "storage and BroadcastChannel shared with a same-site frame of another origin"
	// CapMobile: emulating a phone (touch, the viewport meta tag), beyond
	// the window's size.
	CapMobile Capability = "mobile emulation"
	// CapForcedReload: a reload that bypasses the cache and the service
	// worker, as a user's shift-reload does. Classic WebDriver's refresh
	// has no such option, and Firefox 153's BiDi refuses
	// browsingContext.reload's ignoreCache ("not supported yet").
	CapForcedReload Capability = "forced reload (bypassing the cache and service worker)"
	// CapStopWorkers: the context's service workers stopped, as the browser
	// stops an idle one (its memory is gone; the next event starts it
	// again). The DevTools protocol stops them at once; Firefox's BiDi
	// cannot, but Firefox itself stops a worker idle for 30 s
	// (dom.serviceWorkers.idle_timeout), so there StopWorkers waits for that;
	// classic WebDriver has neither, and WebKit kept an idle worker past 55 s.
	CapStopWorkers Capability = "stopping service workers"
)

// ErrUnsupported is wrapped by the error of a call the engine cannot do.
var ErrUnsupported = errors.New("not supported by this engine")

// Unsupported is the error of an engine that lacks c.
func Unsupported(n Name, c Capability) error {
	return fmt.Errorf("engine %s: %s: %w", n, c, ErrUnsupported)
}

// Options configure Launch. The zero value is what the tests use.
type Options struct {
	// Binary is the browser (Chromium, Firefox) or the WebDriver server
	// (WebKitWebDriver). Default: $OIDCWASM_CHROMIUM, $OIDCWASM_FIREFOX,
	// $OIDCWASM_WEBKITDRIVER, else the Debian package's path.
	Binary string
	// Width and Height of each window; default 1280×1000.
	Width, Height int
	// Log receives the browser's own output; default: kept, and shown in
	// the error when the browser fails to start.
	Log io.Writer
}

// Browser is one running browser.
type Browser interface {
	Name() Name
	// Version is the browser's product and version, e.g. "Firefox 153.0".
	Version() string
	// Supports reports whether the engine's protocol offers c.
	Supports(c Capability) bool
	// NewContext opens a tab in a new browser context: cookies, storage,
	// cache, Web Locks and BroadcastChannels of its own.
	NewContext(ctx context.Context) (Page, error)
	// Close ends the browser and everything it started.
	Close() error
}

// Page is one tab (or popup window) of a browser context.
type Page interface {
	// Navigate loads url and waits for the load event.
	Navigate(ctx context.Context, url string) error
	// Reload reloads the document and waits for the load event.
	Reload(ctx context.Context) error
	// ForceReload reloads bypassing the cache and the service worker (a
	// user's shift-reload) and waits for the load event; an engine without
	// CapForcedReload returns an error wrapping ErrUnsupported.
	ForceReload(ctx context.Context) error
	// StopWorkers stops the service workers of the page's browser context,
	// as the browser stops an idle one (Firefox: waits FirefoxIdleWorkerStop,
	// in which nothing may message or fetch through the worker); an engine
	// without CapStopWorkers returns an error wrapping ErrUnsupported.
	StopWorkers(ctx context.Context) error
	// Eval evaluates expr, a JavaScript expression whose value, or the value
	// of the Promise it gives, is a string, in the top-level document, and
	// returns that string. A throw or rejection is an error (*EvalError).
	Eval(ctx context.Context, expr string) (string, error)
	// Gesture evaluates expr as a click handler would run it: with the
	// transient user activation that window.open needs. It does not wait
	// for a Promise.
	Gesture(ctx context.Context, expr string) error
	// Click clicks the first element matching the CSS selector, as a user
	// would (with user activation).
	Click(ctx context.Context, selector string) error
	// Type puts text in the first input matching the CSS selector, as typed.
	Type(ctx context.Context, selector, text string) error
	// NewTab opens another tab in this page's browser context: same
	// cookies, localStorage, Web Locks and BroadcastChannels; its own
	// sessionStorage.
	NewTab(ctx context.Context) (Page, error)
	// Popup calls open, which must make the page open a window, and returns
	// that window. A popup that closed before it could be reached is a Page
	// whose Closed is true.
	Popup(ctx context.Context, open func() error) (Page, error)
	// Screenshot is a PNG of the page (the whole document where the engine
	// can, else the viewport).
	Screenshot(ctx context.Context) ([]byte, error)
	// SetViewport sizes the page's viewport in CSS pixels; mobile also
	// emulates a phone (CapMobile).
	SetViewport(ctx context.Context, width, height int, mobile bool) error
	// Cookies are the cookies the browser would send to url.
	Cookies(ctx context.Context, url string) ([]Cookie, error)
	// History lists the tab's session history (CapHistory).
	History(ctx context.Context) ([]string, error)
	// Console is what the console got so far (CapConsole).
	Console() ([]Message, error)
	// Visited lists the URLs the page and its frames navigated to, in order
	// (CapNavigations).
	Visited() ([]string, error)
	// Closed reports whether the window is gone.
	Closed() bool
	// Close closes the window (and, for NewContext's page, its context).
	Close() error
}

// Message is one console message.
type Message struct {
	// Type is log, info, warning, error, debug or exception.
	Type string
	// Text is the message as the console shows it, arguments included.
	Text string
	// URL is where it came from, when known.
	URL string
}

// Cookie is a cookie of the browser's jar.
type Cookie struct {
	Name, Value, Domain, Path string
	// SameSite is "lax", "strict" or "none" (lower case), "" when unset.
	SameSite string
}

// EvalError is a throw or rejection of an evaluated expression.
type EvalError struct{ Text string }

func (e *EvalError) Error() string { return "evaluation failed: " + e.Text }

// Launch starts a browser of engine n.
func Launch(ctx context.Context, n Name, opts Options) (Browser, error) {
	if opts.Width == 0 {
		opts.Width, opts.Height = 1280, 1000
	}
	switch n {
	case Chromium:
		return launchChromium(ctx, opts)
	case Firefox:
		return launchFirefox(ctx, opts)
	case WebKit:
		return launchWebKit(ctx, opts)
	}
	return nil, fmt.Errorf("engine: unknown engine %q", n)
}

// Binary is the program Launch starts for n: opts.Binary, the engine's
// environment variable, or the Debian package's path.
func Binary(n Name, opts Options) string {
	if opts.Binary != "" {
		return opts.Binary
	}
	env, def := binaryDefaults(n)
	if p := os.Getenv(env); p != "" {
		return p
	}
	return def
}

func binaryDefaults(n Name) (env, path string) {
	switch n {
	case Firefox:
		return "OIDCWASM_FIREFOX", "/usr/bin/firefox-esr"
	case WebKit:
		return "OIDCWASM_WEBKITDRIVER", "/usr/bin/WebKitWebDriver"
	}
	return "OIDCWASM_CHROMIUM", "/usr/bin/chromium"
}

// Install is how to install n's Debian packages (what `make browsers` runs).
func Install(n Name) string {
	switch n {
	case Firefox:
		return "apt-get install -y firefox-esr (or make browsers)"
	case WebKit:
		return "apt-get install -y webkit2gtk-driver xvfb (or make browsers)"
	}
	return "apt-get install -y chromium (or make browsers)"
}

// notFound is the error of a missing browser binary.
func notFound(n Name, path string) error {
	env, _ := binaryDefaults(n)
	return fmt.Errorf("engine %s: %s not found: %s, or set %s", n, path, Install(n), env)
}
