package e2etest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	chromiumpkg "github.com/oidcwasm/oidcwasm/dev/internal/chromium"

	"github.com/oidcwasm/oidcwasm/dev/demo"
	"github.com/oidcwasm/oidcwasm/dev/devop"
)

// Options configure an Env. The zero value is what the bridge tests use.
type Options struct {
	// StaticDir is the repository's static/ folder after `make build`.
	// Default: found from the working directory upwards.
	StaticDir string
	// AccessTokenLifetime of both providers; default 60s.
	AccessTokenLifetime time.Duration
	// AutoLogin is the user both providers sign in without the login form;
	// default "alice". NoAutoLogin shows the form.
	AutoLogin string
	// Chromium is the browser binary. Default: $OIDCWASM_CHROMIUM, else
	// chromium on PATH, else /usr/bin/chromium.
	Chromium string
}

// NoAutoLogin as Options.AutoLogin makes the providers show the login form.
const NoAutoLogin = "-"

// TestPagePath is the test page: oidc.js plus record.js. Its URL is a
// registered redirect and post-logout redirect URI of both demo clients.
const TestPagePath = "/e2e/"

// Env is a running demo (two development providers, the app and API
// servers, the test pages) and one headless Chromium. Start it once per test
// binary, in TestMain; each test opens its own Tab.
type Env struct {
	Demo *demo.Demo
	// A and B are the two development providers.
	A, B *devop.Server

	autoLogin   string
	pages       *pages
	cancelAlloc context.CancelFunc
	browser     context.Context
	cancelBrows context.CancelFunc
}

// Start starts the demo on free ports and Chromium. Close stops both.
func Start(opts Options) (*Env, error) {
	staticDir := opts.StaticDir
	if staticDir == "" {
		var err error
		if staticDir, err = FindStatic(); err != nil {
			return nil, err
		}
	}
	autoLogin := opts.AutoLogin
	switch autoLogin {
	case "":
		autoLogin = "alice"
	case NoAutoLogin:
		autoLogin = ""
	}
	pg, err := newPages(staticDir)
	if err != nil {
		return nil, err
	}
	d, err := demo.Start(context.Background(), demo.Config{
		StaticDir:           staticDir,
		AutoLogin:           autoLogin,
		AccessTokenLifetime: opts.AccessTokenLifetime,
		Mount:               map[string]http.Handler{TestPagePath: pg},
		RedirectPaths:       []string{TestPagePath},
	})
	if err != nil {
		return nil, fmt.Errorf("e2etest: %w", err)
	}
	e := &Env{Demo: d, A: d.ProviderA(), B: d.ProviderB(), autoLogin: autoLogin, pages: pg}

	chromium, err := findChromium(opts.Chromium)
	if err != nil {
		d.Close()
		return nil, err
	}
	flags := append(chromiumpkg.Flags(), chromedp.ExecPath(chromium), chromedp.WindowSize(1280, 1000))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), flags...)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	e.cancelAlloc, e.browser, e.cancelBrows = cancelAlloc, browser, cancelBrowser
	// The first action starts the browser; it must not carry a timeout.
	if err := chromedp.Do(browser); err != nil {
		e.Close()
		return nil, fmt.Errorf("e2etest: starting %s (apt-get install -y chromium, or set OIDCWASM_CHROMIUM): %w", chromium, err)
	}
	return e, nil
}

// Close stops Chromium and the demo.
func (e *Env) Close() {
	if e.cancelBrows != nil {
		e.cancelBrows()
		e.cancelAlloc()
	}
	e.Demo.Close()
}

// AppURL is the app's origin, e.g. "http://localhost:41234".
func (e *Env) AppURL() string { return e.Demo.AppURL() }

// TestPageURL is the URL of the test page.
func (e *Env) TestPageURL() string { return e.Demo.AppURL() + TestPagePath }

// Configs are the demo's two configs ("a" by refresh token with route
// AppURL/api, "b" by iframe with route APIURL/api/b) with the test page as
// redirect and post-logout redirect URI and without dpop, ready for
// oidc.configure.
func (e *Env) Configs() []demo.ClientConfig {
	cs := append([]demo.ClientConfig(nil), e.Demo.Settings().Bridge.Configs...)
	for i := range cs {
		cs[i].RedirectURL = e.TestPageURL()
		cs[i].PostLogoutRedirectURI = e.TestPageURL()
		// Bearer on the test page: the tests of other features handle the
		// token themselves; the DPoP tests turn it on (the demo pages keep it).
		cs[i].DPoP = false
	}
	return cs
}

// Target is the URL of one of the demo's request targets (demo.TargetAPIA,
// demo.TargetSibling, ...).
func (e *Env) Target(id string) string {
	t, ok := e.Demo.Settings().Target(id)
	if !ok {
		panic("e2etest: no request target " + id)
	}
	return t.URL
}

// SetAutoLogin switches both providers' auto-login for the rest of the
// test ("" shows the login form) and restores the Env's setting after it.
func (e *Env) SetAutoLogin(t testing.TB, user string) {
	t.Helper()
	for _, p := range []*devop.Server{e.A, e.B} {
		if err := p.SetAutoLogin(user); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, p := range []*devop.Server{e.A, e.B} {
			_ = p.SetAutoLogin(e.autoLogin)
		}
	})
}

// WASMRequests counts the requests for oidc.wasm through the given test
// loader folder ("mime-oidc" or "broken-oidc") since the start.
func (e *Env) WASMRequests(folder string) int { return e.pages.wasmRequests(folder) }

// FindStatic looks for the repository's static/ folder from the working
// directory upwards and checks that `make build` has run.
func FindStatic() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "wasm", "oidc.js")); err == nil {
			static := filepath.Join(dir, "static")
			if _, err := os.Stat(filepath.Join(static, "oidc", "oidc.wasm")); err != nil {
				return "", fmt.Errorf("e2etest: %s/oidc/oidc.wasm is missing: run `make build` first", static)
			}
			return static, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("e2etest: cannot find the repository (wasm/oidc.js) from the working directory")
		}
		dir = parent
	}
}

func findChromium(path string) (string, error) {
	if path == "" {
		path = os.Getenv("OIDCWASM_CHROMIUM")
	}
	if path == "" {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		} else {
			path = "/usr/bin/chromium"
		}
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("e2etest: Chromium not found at %s: install it (apt-get install -y chromium, or make chromium) or set OIDCWASM_CHROMIUM", path)
	}
	return path, nil
}
