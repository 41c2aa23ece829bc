package e2etest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/internal/engine"
)

// TabTimeout bounds everything one Tab does.
const TabTimeout = 60 * time.Second

// Tab is one tab in a fresh browser context: its own cookies, storage and
// cache, so tests never share a session. Where the engine can (see
// Env.Supports), it records the console and every URL its frames navigate
// to.
type Tab struct {
	// T is the test that failures go to; see In.
	T testing.TB
	// Ctx bounds everything the tab does (TabTimeout).
	Ctx  context.Context
	env  *Env
	page engine.Page
}

// In returns the same tab reporting to t, for use inside a subtest.
func (tb *Tab) In(t testing.TB) *Tab {
	c := *tb
	c.T = t
	return &c
}

// NewTab opens a tab in a new browser context, closed when the test ends.
// With OIDCWASM_E2E_VERBOSE set, the console goes to stderr as well (at
// the end of the test, where the engine records it).
func (e *Env) NewTab(t testing.TB) *Tab {
	t.Helper()
	return e.NewTabLasting(t, TabTimeout)
}

// NewTabLasting is NewTab for a test that must wait longer than
// TabTimeout in all (Firefox's idle service worker stop: see
// Tab.StopWorkers).
func (e *Env) NewTabLasting(t testing.TB, d time.Duration) *Tab {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	p, err := e.browser.NewContext(ctx)
	if err != nil {
		cancel()
		t.Fatalf("e2etest: opening a tab in %s: %v", e.Engine(), err)
	}
	tb := &Tab{T: t, Ctx: ctx, env: e, page: p}
	t.Cleanup(func() {
		tb.dumpConsole()
		p.Close()
		cancel()
	})
	return tb
}

// dumpConsole copies the console to stderr for OIDCWASM_E2E_VERBOSE.
func (tb *Tab) dumpConsole() {
	if os.Getenv("OIDCWASM_E2E_VERBOSE") == "" {
		return
	}
	msgs, _ := tb.page.Console()
	for _, m := range msgs {
		fmt.Fprintf(os.Stderr, "console %s: %s %s\n", m.Type, m.Text, m.URL)
	}
}

// Console returns the console messages so far: console API calls of the
// page, its frames and popups, uncaught exceptions and the browser's own
// log, where the engine has console events (Env.Supports). Elsewhere it is
// what the test page itself recorded of its own console calls in the
// current document (pages/early.js): a test that needs more (frames,
// popups, the browser's log) asks for engine.CapConsole with Env.Require.
func (tb *Tab) Console() []engine.Message {
	tb.T.Helper()
	if !tb.env.Supports(engine.CapConsole) {
		var logged []engine.Message
		raw, jsErr := tb.Try(`window.__e2eConsole || []`)
		if jsErr == nil {
			var ms []struct{ Type, Text, URL string }
			if err := json.Unmarshal(raw, &ms); err != nil {
				tb.T.Fatalf("the page's console record: %v", err)
			}
			for _, m := range ms {
				logged = append(logged, engine.Message{Type: m.Type, Text: m.Text, URL: m.URL})
			}
		}
		return logged
	}
	msgs, err := tb.page.Console()
	if err != nil {
		tb.T.Fatal(err)
	}
	return msgs
}

// Visited returns the URLs the tab's frames (the page and its iframes)
// navigated to so far, in order. The test is skipped where the engine has
// no navigation events (see Env.Require).
func (tb *Tab) Visited() []string {
	tb.T.Helper()
	tb.env.Require(tb.T, engine.CapNavigations)
	v, err := tb.page.Visited()
	if err != nil {
		tb.T.Fatal(err)
	}
	return v
}

// Open navigates to u and waits for the page to load.
func (tb *Tab) Open(u string) {
	tb.T.Helper()
	if err := tb.page.Navigate(tb.Ctx, u); err != nil {
		tb.T.Fatalf("open %s: %v", u, err)
	}
}

// Reload reloads the page and waits for it to load.
func (tb *Tab) Reload() {
	tb.T.Helper()
	if err := tb.page.Reload(tb.Ctx); err != nil {
		tb.T.Fatalf("reload: %v", err)
	}
}

// ForceReload reloads bypassing the cache and the service worker, as a
// user's shift-reload, and waits for the page to load. The test is skipped
// where the engine cannot (classic WebDriver: see Env.Require).
func (tb *Tab) ForceReload() {
	tb.T.Helper()
	tb.env.Require(tb.T, engine.CapForcedReload)
	if err := tb.page.ForceReload(tb.Ctx); err != nil {
		tb.T.Fatalf("forced reload: %v", err)
	}
}

// StopWorkers stops the context's service workers, as the browser stops
// an idle one. The test is skipped where the engine cannot (see
// Env.Require).
func (tb *Tab) StopWorkers() {
	tb.T.Helper()
	tb.env.Require(tb.T, engine.CapStopWorkers)
	if err := tb.page.StopWorkers(tb.Ctx); err != nil {
		tb.T.Fatalf("stopping the service workers: %v", err)
	}
}

// Click clicks the element matching the CSS selector as a user would.
func (tb *Tab) Click(selector string) {
	tb.T.Helper()
	if err := tb.page.Click(tb.Ctx, selector); err != nil {
		tb.T.Fatalf("click %s: %v", selector, err)
	}
}

// SetViewport sizes the page's viewport in CSS pixels.
func (tb *Tab) SetViewport(width, height int) {
	tb.T.Helper()
	if err := tb.page.SetViewport(tb.Ctx, width, height, false); err != nil {
		tb.T.Fatalf("viewport %dx%d: %v", width, height, err)
	}
}

// PNG is a screenshot of the page (the whole document where the engine
// can, else what the window shows).
func (tb *Tab) PNG() []byte {
	tb.T.Helper()
	png, err := tb.page.Screenshot(tb.Ctx)
	if err != nil {
		tb.T.Fatalf("screenshot: %v", err)
	}
	return png
}

// Cookies are the cookies the browser would send to u.
func (tb *Tab) Cookies(u string) []engine.Cookie {
	tb.T.Helper()
	jar, err := tb.page.Cookies(tb.Ctx, u)
	if err != nil {
		tb.T.Fatalf("cookies of %s: %v", u, err)
	}
	return jar
}

// History lists the tab's session history entries; the test is skipped
// where the engine cannot list them (see Env.Require).
func (tb *Tab) History() []string {
	tb.T.Helper()
	tb.env.Require(tb.T, engine.CapHistory)
	h, err := tb.page.History(tb.Ctx)
	if err != nil {
		tb.T.Fatalf("history: %v", err)
	}
	return h
}

// Closed reports whether the tab's window is gone.
func (tb *Tab) Closed() bool { return tb.Ctx.Err() != nil || tb.page.Closed() }

// Close closes the tab's window now (as the user's close button).
func (tb *Tab) Close() {
	tb.T.Helper()
	if err := tb.page.Close(); err != nil {
		tb.T.Fatalf("closing the window: %v", err)
	}
}

// OpenTestPage opens the test page and waits until oidc.ready settles.
func (tb *Tab) OpenTestPage() {
	tb.T.Helper()
	tb.Open(tb.env.TestPageURL())
	tb.WaitReady()
}

// OpenTestPageWithout opens the test page without the browser features
// named (see pages.go: "locks", "broadcastchannel"), taken away before
// oidc.js runs, and waits until oidc.ready settles.
func (tb *Tab) OpenTestPageWithout(features ...string) {
	tb.T.Helper()
	tb.Open(tb.env.TestPageURL() + "?without=" + url.QueryEscape(strings.Join(features, ",")))
	tb.WaitReady()
}

// WaitReady waits until the page's oidc.ready has settled and fails the
// test when it rejected.
func (tb *Tab) WaitReady() {
	tb.T.Helper()
	tb.WaitFor(`window.e2e && e2e.ready !== "pending"`)
	if st := Eval[string](tb, `e2e.ready`); st != "resolved" {
		tb.T.Fatalf("oidc.ready %s: %s", st, Eval[string](tb, `JSON.stringify(e2e.readyError)`))
	}
}

// JSError is a rejection or exception of the page, as data.
type JSError struct {
	Name     string `json:"name"`
	Code     string `json:"code"`
	ConfigID string `json:"configId"`
	Field    string `json:"field"`
	Message  string `json:"message"`
	IsError  bool   `json:"isError"` // an Error object (instanceof Error)
}

func (e *JSError) Error() string {
	return fmt.Sprintf("%s [code %q, configId %q, field %q]: %s", e.Name, e.Code, e.ConfigID, e.Field, e.Message)
}

// Try evaluates expr in the page (an expression; await is allowed) and
// returns its value as JSON, or what it threw or rejected with. A failure
// to talk to the page fails the test.
func (tb *Tab) Try(expr string) (json.RawMessage, *JSError) {
	tb.T.Helper()
	res, err := tb.try(tb.Ctx, expr)
	if err != nil {
		tb.T.Fatalf("evaluating %s: %v", short(expr), err)
	}
	if res.Error != nil {
		return nil, res.Error
	}
	return res.Value, nil
}

type tryResult struct {
	OK    bool            `json:"ok"`
	Value json.RawMessage `json:"value"`
	Error *JSError        `json:"error"`
}

func (tb *Tab) try(ctx context.Context, expr string) (tryResult, error) {
	wrapped := `(async () => {
  const err = (e) => (window.e2e ? e2e.error(e) : { name: String(e && e.name), code: e && e.code, message: String(e && e.message || e), isError: e instanceof Error });
  try { const v = await (` + expr + `
  ); return JSON.stringify({ ok: true, value: v === undefined || typeof v === "function" ? null : v }); }
  catch (e) { return JSON.stringify({ ok: false, error: err(e) }); }
})()`
	var res tryResult
	s, err := tb.page.Eval(ctx, wrapped)
	if err != nil {
		return res, err
	}
	err = json.Unmarshal([]byte(s), &res)
	return res, err
}

// Eval evaluates expr in the page (await allowed) and decodes its value
// into T. A throw or rejection fails the test.
func Eval[T any](tb *Tab, expr string) T {
	tb.T.Helper()
	raw, jsErr := tb.Try(expr)
	if jsErr != nil {
		tb.T.Fatalf("%s: %v", short(expr), jsErr)
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		tb.T.Fatalf("%s: decoding %s: %v", short(expr), raw, err)
	}
	return v
}

// Reject evaluates expr, which must reject or throw, and returns the error.
// A failure does not show what expr resolved to: it may be a token.
func (tb *Tab) Reject(expr string) *JSError {
	tb.T.Helper()
	raw, jsErr := tb.Try(expr)
	if jsErr == nil {
		tb.T.Fatalf("%s: resolved with a %d-byte JSON value, want a rejection", short(expr), len(raw))
	}
	return jsErr
}

// WaitFor waits until expr is truthy in the page, across navigations,
// polling every 25ms until TabTimeout.
func (tb *Tab) WaitFor(expr string) {
	tb.T.Helper()
	deadline := time.Now().Add(TabTimeout)
	var last error
	for time.Now().Before(deadline) && tb.Ctx.Err() == nil {
		ctx, cancel := context.WithTimeout(tb.Ctx, 2*time.Second)
		res, err := tb.try(ctx, "!!("+expr+")")
		cancel()
		if err == nil && res.OK && string(res.Value) == "true" {
			return
		}
		if err != nil {
			last = err
		} else if res.Error != nil {
			last = res.Error
		}
		select {
		case <-time.After(25 * time.Millisecond):
		case <-tb.Ctx.Done():
		}
	}
	tb.T.Fatalf("waiting for %s: gave up at %s (last error: %v)", short(expr), tb.Location(), last)
}

// Location is the page's address, or "" while it cannot be read.
func (tb *Tab) Location() string {
	ctx, cancel := context.WithTimeout(tb.Ctx, 2*time.Second)
	defer cancel()
	loc, err := tb.page.Eval(ctx, `location.href`)
	if err != nil {
		return ""
	}
	return loc
}

// Navigate runs expr, which makes the page navigate away (authorize,
// logoff), without waiting for it to settle. It marks the current document,
// so that a WaitURL after it only accepts a new one, even at the same
// address. A rejection that comes before the page unloads fails the
// WaitURL.
func (tb *Tab) Navigate(expr string) {
	tb.T.Helper()
	js := `(window.__e2eLeaving = true, window.__navError = null, void Promise.resolve(` + expr + `).catch((e) => { window.__navError = e2e.error(e); }), "")`
	if _, err := tb.page.Eval(tb.Ctx, js); err != nil {
		tb.T.Fatalf("%s: %v", short(expr), err)
	}
}

// WaitURL waits until the page's address satisfies ok and the document has
// loaded, and returns the address. After Navigate it waits for a new
// document.
func (tb *Tab) WaitURL(what string, ok func(u *url.URL) bool) string {
	tb.T.Helper()
	deadline := time.Now().Add(TabTimeout)
	for time.Now().Before(deadline) && tb.Ctx.Err() == nil {
		ctx, cancel := context.WithTimeout(tb.Ctx, 2*time.Second)
		var st struct {
			Href, ReadyState string
			Leaving          bool
			NavError         *JSError
		}
		raw, err := tb.page.Eval(ctx, `JSON.stringify({Href: location.href, ReadyState: document.readyState, Leaving: !!window.__e2eLeaving, NavError: window.__navError || null})`)
		cancel()
		if err == nil {
			err = json.Unmarshal([]byte(raw), &st)
		}
		if err == nil {
			if u, perr := url.Parse(st.Href); perr == nil && !st.Leaving && ok(u) && st.ReadyState == "complete" {
				return st.Href
			}
			if st.NavError != nil {
				tb.T.Fatalf("waiting for %s: the navigation failed: %v", what, st.NavError)
			}
		}
		select {
		case <-time.After(25 * time.Millisecond):
		case <-tb.Ctx.Done():
		}
	}
	tb.T.Fatalf("waiting for %s: gave up at %s", what, tb.Location())
	return ""
}

// Configure calls oidc.configure with the Env's two configs (see
// Env.Configs), or with the given ones.
func (tb *Tab) Configure(configs ...any) {
	tb.T.Helper()
	var v any = tb.env.Configs()
	if len(configs) > 0 {
		v = configs
	}
	Eval[any](tb, `oidc.configure(`+MustJSON(v)+`)`)
}

// LoginResponse is one entry of checkAuth's answer.
type LoginResponse struct {
	ConfigID        string         `json:"configId"`
	IsAuthenticated bool           `json:"isAuthenticated"`
	UserData        map[string]any `json:"userData"`
	ErrorMessage    *string        `json:"errorMessage"`
}

// CheckAuth calls oidc.checkAuth() and returns its answer by configId.
func (tb *Tab) CheckAuth() map[string]LoginResponse {
	tb.T.Helper()
	out := map[string]LoginResponse{}
	for _, r := range Eval[[]LoginResponse](tb, `oidc.checkAuth()`) {
		out[r.ConfigID] = r
	}
	return out
}

// SignIn signs in to configID from the test page (configured, on the test
// page): authorize, the provider (its auto-login, or the login form filled
// with user and password when the provider shows it), back to the test
// page, configure and checkAuth. It returns the address the provider sent
// the browser back to, code and state included, and checkAuth's answer.
func (tb *Tab) SignIn(configID, user, password string) (callback string, results map[string]LoginResponse) {
	tb.T.Helper()
	cfg := tb.env.config(configID)
	tb.Navigate(`oidc.authorize(` + MustJSON(configID) + `)`)
	loginPage := cfg.Authority + "/login"
	landed := tb.WaitURL("the login page or the callback", func(u *url.URL) bool {
		return strings.HasPrefix(u.String(), loginPage) || (strings.HasPrefix(u.String(), cfg.RedirectURL) && u.Query().Has("state"))
	})
	if strings.HasPrefix(landed, loginPage) {
		tb.FillLogin(user, password)
		landed = tb.WaitURL("the callback", func(u *url.URL) bool {
			return strings.HasPrefix(u.String(), cfg.RedirectURL) && u.Query().Has("state")
		})
	}
	tb.WaitReady()
	tb.Configure()
	return landed, tb.CheckAuth()
}

// FillLogin fills the development provider's login form and submits it.
func (tb *Tab) FillLogin(user, password string) {
	tb.T.Helper()
	tb.WaitFor(`document.querySelector("#username")`)
	for _, step := range []func() error{
		func() error { return tb.page.Type(tb.Ctx, "#username", user) },
		func() error { return tb.page.Type(tb.Ctx, "#password", password) },
		func() error { return tb.page.Click(tb.Ctx, `button[type="submit"]`) },
	} {
		if err := step(); err != nil {
			tb.T.Fatalf("filling the login form: %v", err)
		}
	}
}

// Event is one event the test page recorded.
type Event struct {
	Type   string         `json:"type"`
	Detail map[string]any `json:"detail"`
}

// Events returns the events the test page recorded since it loaded.
func (tb *Tab) Events() []Event {
	tb.T.Helper()
	return Eval[[]Event](tb, `e2e.events`)
}

func (e *Env) config(id string) (c struct{ Authority, RedirectURL string }) {
	for _, cfg := range e.Configs() {
		if cfg.ConfigID == id {
			c.Authority, c.RedirectURL = cfg.Authority, cfg.RedirectURL
			return c
		}
	}
	panic("e2etest: no config " + id)
}

// MustJSON is v as JSON, for building page expressions.
func MustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}

// Screenshot saves a full-page PNG as name.png in $OIDCWASM_E2E_SCREENSHOTS
// when that is set, for looking at what a test saw; otherwise it does
// nothing.
func (tb *Tab) Screenshot(name string) {
	tb.T.Helper()
	dir := os.Getenv("OIDCWASM_E2E_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := tb.page.Screenshot(tb.Ctx)
	if err != nil {
		tb.T.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tb.T.Errorf("screenshot %s: %v", name, err)
	}
}
