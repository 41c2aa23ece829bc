package e2etest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/demo"
	"github.com/oidcwasm/oidcwasm/dev/devop"
	"github.com/oidcwasm/oidcwasm/dev/internal/engine"
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
	// Engine is the browser engine; default $OIDCWASM_ENGINE, else Chromium.
	Engine engine.Name
	// Browser is the browser binary (for WebKit: WebKitWebDriver).
	// Default: $OIDCWASM_CHROMIUM, $OIDCWASM_FIREFOX or
	// $OIDCWASM_WEBKITDRIVER, else Debian's package.
	Browser string
}

// NoAutoLogin as Options.AutoLogin makes the providers show the login form.
const NoAutoLogin = "-"

// TestPagePath is the test page: oidc.js plus record.js. Its URL is a
// registered redirect and post-logout redirect URI of both demo clients.
const TestPagePath = "/e2e/"

// Env is a running demo (two development providers, the app and API
// servers, the test pages) and one headless browser. Start it once per test
// binary, in TestMain; each test opens its own Tab.
type Env struct {
	Demo *demo.Demo
	// A and B are the two development providers.
	A, B *devop.Server

	autoLogin string
	pages     *pages
	browser   engine.Browser
}

// Start starts the demo on free ports and the browser. Close stops both.
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

	name := opts.Engine
	if name == "" {
		if name, err = engine.FromEnv(); err != nil {
			d.Close()
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e.browser, err = engine.Launch(ctx, name, engine.Options{Binary: opts.Browser, Width: 1280, Height: 1000})
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("e2etest: %w", err)
	}
	return e, nil
}

// Close stops the browser and the demo.
func (e *Env) Close() {
	if e.browser != nil {
		e.browser.Close()
	}
	e.Demo.Close()
}

// Engine is the engine the tests run in.
func (e *Env) Engine() engine.Name { return e.browser.Name() }

// BrowserVersion is the browser's product and version.
func (e *Env) BrowserVersion() string { return e.browser.Version() }

// Supports reports whether the engine offers c (see engine.Capability).
func (e *Env) Supports(c engine.Capability) bool { return e.browser.Supports(c) }

// Require skips t when the engine lacks c, naming the engine and the
// capability. Only for a check the engine's protocol cannot make (classic
// WebDriver has no console events); README.md's browser table lists each
// such skip.
func (e *Env) Require(t testing.TB, c engine.Capability) {
	t.Helper()
	if !e.browser.Supports(c) {
		t.Skipf("engine %s (%s) has no %s", e.Engine(), e.BrowserVersion(), c)
	}
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

// PageRequests lists the path and query of every request the test pages
// (under TestPagePath) got since the start, in order: what the browser
// loaded, as the server saw it.
func (e *Env) PageRequests() []string { return e.pages.requested() }

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
