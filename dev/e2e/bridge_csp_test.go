package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/demo"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
	"github.com/oidcwasm/oidcwasm/dev/internal/engine"
)

// TestBridgeUnderAStrictCSP: the whole bridge under the policy README.md
// gives (e2etest.StrictCSP: no inline script or style, no eval, WebAssembly
// by 'wasm-unsafe-eval'): load, sign-in, iframe renewal through
// silent-refresh.html (served with its script hash), popup sign-in and
// oidc.fetch, with not one violation on the console.
func TestBridgeUnderAStrictCSP(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: time.Minute, RedirectPaths: []string{e2etest.CSPPagePath}})
	cfg := p.Config("c", map[string]any{
		"redirectUrl":  env.AppURL() + e2etest.CSPPagePath,
		"secureRoutes": []string{env.AppURL() + "/echo"},
	})
	tab := env.NewTab(t)
	logOnFailure(t, p, tab)
	tab.Open(env.AppURL() + e2etest.CSPPagePath)
	tab.WaitReady()
	tab.Configure(cfg)
	if _, res := tab.SignInWith("c", "alice", "alice", cfg); !res["c"].IsAuthenticated {
		t.Fatalf("sign-in under the strict CSP: %+v", res["c"])
	}
	old := accessToken(tab, "c")
	e2etest.Eval[any](tab, `oidc.forceRefreshSession("c")`) // the hidden iframe
	fresh := accessToken(tab, "c")
	if fresh == old {
		t.Error("the iframe renewal did not renew")
	}
	if r := tab.Fetch(e2etest.MustJSON(env.AppURL()+"/echo"), ""); r.Status != 200 || r.Body.Fingerprint != demo.Fingerprint(fresh) {
		t.Errorf("oidc.fetch under the strict CSP: %d, token #%s; want 200 with the session's token", r.Status, r.Body.Fingerprint)
	}
	e2etest.Eval[any](tab, `oidc.logoffLocal("c")`)
	popup := tab.Popup(t, func() { tab.Gesture(strings.ReplaceAll(popupCall, `"p"`, `"c"`)) })
	tab.WaitFor(`window.popup`)
	if out := e2etest.Eval[popupOutcome](tab, `window.popup`); out.Error != nil || out.Result == nil || !out.Result.IsAuthenticated {
		t.Errorf("popup sign-in under the strict CSP: %+v %v", out.Result, out.Error)
	}
	waitUntilClosed(t, popup)
	// The page's own report of violations, in every engine; the console (the
	// popup's too) where the engine has console events.
	for _, v := range e2etest.Eval[[]string](tab, `e2e.violations`) {
		t.Errorf("a CSP violation reported to the page: %s", v)
	}
	if env.Supports(engine.CapConsole) {
		for _, tb := range []*e2etest.Tab{tab, popup} {
			for _, m := range tb.Console() {
				if strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Content-Security-Policy") {
					t.Errorf("a CSP violation: %s", m.Text)
				}
			}
		}
	} else {
		t.Logf("console not checked: %s has no %s", env.Engine(), engine.CapConsole)
	}
	// The page does hear of a violation: an image from another origin.
	e2etest.Eval[any](tab, `(new Image().src = "http://127.0.0.1:9/blocked.png", null)`)
	tab.WaitFor(`e2e.violations.length > 0`)
	if v := e2etest.Eval[[]string](tab, `e2e.violations`); len(v) != 1 || !strings.Contains(v[0], "img-src") {
		t.Errorf("violations after an image from another origin: %q, want that one (img-src)", v)
	}
}

// TestLoaderUnderACSPWithoutWasmNamesTheDirective: oidc.ready rejects and
// says which directive to add.
func TestLoaderUnderACSPWithoutWasmNamesTheDirective(t *testing.T) {
	t.Parallel()
	tab := env.NewTab(t)
	tab.Open(env.AppURL() + e2etest.NoWASMPagePath)
	tab.WaitFor(`window.e2e && e2e.ready !== "pending"`)
	if st := e2etest.Eval[string](tab, `e2e.ready`); st != "rejected" {
		t.Fatalf("oidc.ready %s under a CSP without 'wasm-unsafe-eval'", st)
	}
	e := e2etest.Eval[e2etest.JSError](tab, `e2e.readyError`)
	if e.Name != "OidcError" || e.Code != "invalid_config" || !strings.Contains(e.Message, "script-src") || !strings.Contains(e.Message, "'wasm-unsafe-eval'") {
		t.Errorf("oidc.ready rejected with %v; want invalid_config naming script-src 'wasm-unsafe-eval'", &e)
	}
}
