package e2etest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TabTimeout bounds everything one Tab does.
const TabTimeout = 60 * time.Second

// Tab is one tab in a fresh browser context: its own cookies, storage and
// cache, so tests never share a session. It records the console and every
// URL its frames navigate to.
type Tab struct {
	// T is the test that failures go to; see In.
	T   testing.TB
	Ctx context.Context
	env *Env
	rec *recorder
}

// recorder keeps what a tab's event listeners saw.
type recorder struct {
	mu      sync.Mutex
	console []chromedp.ConsoleMessage
	visited []string
}

// In returns the same tab reporting to t, for use inside a subtest.
func (tb *Tab) In(t testing.TB) *Tab {
	c := *tb
	c.T = t
	return &c
}

// NewTab opens a tab in a new browser context, closed when the test ends.
// With OIDCWASM_E2E_VERBOSE set, the console goes to stderr as well.
func (e *Env) NewTab(t testing.TB) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(e.browser, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, TabTimeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
	})
	tb := &Tab{T: t, Ctx: ctx, env: e, rec: &recorder{}}
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		t.Fatalf("e2etest: opening a tab: %v", err)
	}
	tb.record()
	return tb
}

// Console returns the console messages so far: console API calls,
// uncaught exceptions and the browser's own log.
func (tb *Tab) Console() []chromedp.ConsoleMessage {
	tb.rec.mu.Lock()
	defer tb.rec.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), tb.rec.console...)
}

// Visited returns the URLs the tab's frames (the page and its iframes)
// navigated to so far, in order.
func (tb *Tab) Visited() []string {
	tb.rec.mu.Lock()
	defer tb.rec.mu.Unlock()
	return append([]string(nil), tb.rec.visited...)
}

// Open navigates to u and waits for the page to load.
func (tb *Tab) Open(u string) {
	tb.T.Helper()
	if err := chromedp.Do(tb.Ctx, chromedp.Navigate(u)); err != nil {
		tb.T.Fatalf("open %s: %v", u, err)
	}
}

// OpenTestPage opens the test page and waits until oidc.ready settles.
func (tb *Tab) OpenTestPage() {
	tb.T.Helper()
	tb.Open(tb.env.TestPageURL())
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
  ); return { ok: true, value: v === undefined ? null : v }; }
  catch (e) { return { ok: false, error: err(e) }; }
})()`
	return chromedp.Run(ctx, chromedp.Evaluate[tryResult](wrapped, chromedp.EvalAwaitPromise))
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
	loc, err := chromedp.Run(ctx, chromedp.Location())
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
	js := `void (window.__e2eLeaving = true, window.__navError = null, Promise.resolve(` + expr + `).catch((e) => { window.__navError = e2e.error(e); }))`
	if _, err := chromedp.Run(tb.Ctx, chromedp.Evaluate[chromedp.Void](js)); err != nil {
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
		st, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
			Href, ReadyState string
			Leaving          bool
			NavError         *JSError
		}](`({Href: location.href, ReadyState: document.readyState, Leaving: !!window.__e2eLeaving, NavError: window.__navError || null})`))
		cancel()
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
	if err := chromedp.Do(tb.Ctx,
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
	); err != nil {
		tb.T.Fatalf("filling the login form: %v", err)
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
	png, err := chromedp.Run(tb.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.T.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tb.T.Errorf("screenshot %s: %v", name, err)
	}
}
