package e2e

import (
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/demo"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// TestReadyRejectsWithAnOidcErrorWhenOidcWasmCannotLoad: a page whose
// oidc.js finds no oidc.wasm gets a clear rejection, from oidc.ready and
// from every method, and no route matches.
func TestReadyRejectsWithAnOidcErrorWhenOidcWasmCannotLoad(t *testing.T) {
	tab := env.NewTab(t)
	tab.Open(env.AppURL() + "/e2e/broken.html")
	tab.WaitFor(`window.e2e && e2e.ready !== "pending"`)
	st := e2etest.Eval[struct {
		Ready string
		Err   e2etest.JSError
	}](tab, `({Ready: e2e.ready, Err: e2e.readyError})`)
	if st.Ready != "rejected" || st.Err.Name != "OidcError" || !st.Err.IsError || st.Err.Code != "network" ||
		!strings.Contains(st.Err.Message, "oidc.wasm") || !strings.Contains(st.Err.Message, "404") {
		t.Errorf("oidc.ready: %s %v; want a rejection with an OidcError (network) naming oidc.wasm and HTTP 404", st.Ready, &st.Err)
	}
	err := tab.Reject(`oidc.configure(` + e2etest.MustJSON(env.Configs()) + `)`)
	if err.Name != "OidcError" || err.Code != "network" || err.Message != st.Err.Message {
		t.Errorf("configure on a page without oidc.wasm: %v, want the same OidcError", err)
	}
	if err := tab.Reject(`oidc.fetch(` + e2etest.MustJSON(env.Target(demo.TargetAPIA)) + `)`); err.Name != "OidcError" {
		t.Errorf("fetch on a page without oidc.wasm: %v, want an OidcError", err)
	}
	if got := e2etest.Eval[*string](tab, `oidc.matchRoute(`+e2etest.MustJSON(env.Target(demo.TargetAPIA))+`)`); got != nil {
		t.Errorf("matchRoute = %q, want null", *got)
	}
	if n := env.WASMRequests("broken-oidc"); n < 1 {
		t.Errorf("oidc.wasm was requested %d times, want at least once", n)
	}
}

// TestLoaderFallsBackWhenTheServerSendsTheWrongMIMEType: streaming
// compilation needs application/wasm; the loader then fetches the module
// again and compiles it from bytes.
func TestLoaderFallsBackWhenTheServerSendsTheWrongMIMEType(t *testing.T) {
	before := env.WASMRequests("mime-oidc")
	tab := env.NewTab(t)
	tab.Open(env.AppURL() + "/e2e/mime.html")
	tab.WaitReady()
	if n := env.WASMRequests("mime-oidc") - before; n != 2 {
		t.Errorf("oidc.wasm was requested %d times, want 2 (the streaming try, then the fallback)", n)
	}
	tab.Configure()
	if got := e2etest.Eval[*string](tab, `oidc.matchRoute(`+e2etest.MustJSON(env.Target(demo.TargetAPIA))+`)`); deref(got) != "a" {
		t.Errorf("matchRoute(API A) = %q, want a", deref(got))
	}
}
