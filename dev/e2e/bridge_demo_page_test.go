package e2e

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/demo"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// TestBridgeDemoPageSignsInCallsTheAPIsAndNeverShowsAToken drives the demo
// page at /bridge/ as a person would: the Sign in buttons and the login
// form for both providers, Send all, Revoke, Log off. Every request must end
// "as expected", and the page must never hold a token.
func TestBridgeDemoPageSignsInCallsTheAPIsAndNeverShowsAToken(t *testing.T) {
	env.SetAutoLogin(t, "")
	tab := env.NewTab(t)
	page := env.AppURL() + "/bridge/"
	tab.Open(page)
	card := func(id string) string { return `document.querySelector('[data-config="` + id + `"]')` }
	tab.WaitFor(card("a") + `.dataset.state === "out" && ` + card("b") + `.dataset.state === "out"`)
	tab.Screenshot("bridge-signed-out")

	for _, s := range []struct{ id, user, name string }{{"a", "alice", "Alice Liddell"}, {"b", "bob", "Bob Builder"}} {
		click(t, tab, `[data-config="`+s.id+`"] .act-signin`)
		tab.WaitURL("the login form", func(u *url.URL) bool { return strings.HasSuffix(u.Path, "/login") })
		tab.FillLogin(s.user, s.user)
		tab.WaitURL("the bridge page", func(u *url.URL) bool { return strings.HasPrefix(u.String(), page) })
		tab.WaitFor(card(s.id) + `.dataset.state === "in" && ` + card(s.id) + `.querySelector(".token-fp").textContent.startsWith("#")`)
		if got := e2etest.Eval[string](tab, card(s.id)+`.querySelector(".who-name").textContent`); got != s.name {
			t.Errorf("card %s shows %q, want %q", s.id, got, s.name)
		}
	}
	if loc := tab.Location(); loc != page {
		t.Errorf("address after sign-in %q, want %q", redact(loc), page)
	}
	if e2etest.Eval[string](tab, card("a")+`.dataset.state`) != "in" {
		t.Error("signing in to b signed a out")
	}
	tokA := e2etest.Eval[string](tab, `oidc.getAccessToken("a")`)
	if got := e2etest.Eval[string](tab, card("a")+`.querySelector(".token-fp").textContent`); got != "#"+demo.Fingerprint(tokA) {
		t.Errorf("card a shows token %s, want #%s", got, demo.Fingerprint(tokA))
	}

	click(t, tab, "#send-all")
	rows := len(env.Demo.Settings().Requests)
	tab.WaitFor(`document.querySelectorAll("#requests .verdict").length === ` + e2etest.MustJSON(rows))
	if bad := e2etest.Eval[[]string](tab, `Array.from(document.querySelectorAll("#requests tr"), (tr) => tr.querySelector(".verdict.bad") ? tr.dataset.target + ": " + tr.querySelector(".req-result").textContent : "").filter(Boolean)`); len(bad) > 0 {
		t.Errorf("requests not as expected: %q", bad)
	}
	noTokenOnPage(t, tab)
	tab.Screenshot("bridge-signed-in")

	// Revoke a's token: the card says so; the next request carries a new one.
	click(t, tab, `[data-config="a"] .act-revoke`)
	tab.WaitFor(card("a") + `.querySelector(".token-fp").textContent === "revoked"`)
	click(t, tab, `[data-target="api-a"] .req-send`)
	tab.WaitFor(card("a") + `.querySelector(".token-fp").textContent.startsWith("#")`)
	if got := e2etest.Eval[string](tab, card("a")+`.querySelector(".token-fp").textContent`); got == "#"+demo.Fingerprint(tokA) {
		t.Error("card a still shows the revoked token")
	}
	if n := e2etest.Eval[int](tab, `document.querySelectorAll("#events li").length`); n == 0 {
		t.Error("the event log is empty")
	}

	// Log off b: through provider B's end_session and back, b signed out, a not.
	endSessions := env.B.Counts()["end_session"]
	e2etest.Eval[any](tab, `(window.beforeLogoff = true, null)`)
	click(t, tab, `[data-config="b"] .act-logoff`)
	tab.WaitFor(`!window.beforeLogoff && ` + card("b") + `.dataset.state === "out" && ` + card("a") + `.dataset.state === "in"`)
	if n := env.B.Counts()["end_session"] - endSessions; n != 1 {
		t.Errorf("provider B's end_session got %d requests, want 1", n)
	}
	if loc := tab.Location(); loc != page {
		t.Errorf("address after logoff %q, want %q", loc, page)
	}
	if got := e2etest.Eval[[]string](tab, `Array.from(document.querySelectorAll("#events li .chip"), (c) => c.textContent)`); !slices.Contains(got, "loggedOut") {
		t.Errorf("the event log %q lacks the loggedOut of before the redirect", got)
	}
	noTokenOnPage(t, tab)
	tab.Screenshot("bridge-after-logoff")
}

// TestBridgeDemoWorkerModeKeepsProviderBsTokensFromThePage: the bridge
// demo's third mode (?custody=worker) keeps config b's tokens in the
// service worker while a stays in page custody. After signing in to both
// with the buttons and the login form, b's card says its token is in the
// service worker, API B receives b's valid token (the server saw it), and
// the page's own "Look for tokens" panel finds a's token and nothing of
// b's: not the token API B received.
func TestBridgeDemoWorkerModeKeepsProviderBsTokensFromThePage(t *testing.T) {
	env.SetAutoLogin(t, "")
	tab := env.NewTab(t)
	page := env.AppURL() + "/bridge/"
	card := func(id string) string { return `document.querySelector('[data-config="` + id + `"]')` }
	tab.Open(page + "?custody=worker")
	tab.WaitFor(`navigator.serviceWorker.controller !== null && ` + card("b") + `.dataset.state === "out" && ` + card("b") + `.querySelector(".provider-error").hidden`)
	for _, s := range []struct{ id, user string }{{"a", "alice"}, {"b", "bob"}} {
		click(t, tab, `[data-config="`+s.id+`"] .act-signin`)
		tab.WaitURL("the login form", func(u *url.URL) bool { return strings.HasSuffix(u.Path, "/login") })
		tab.FillLogin(s.user, s.user)
		tab.WaitURL("the bridge page", func(u *url.URL) bool { return strings.HasPrefix(u.String(), page) })
		tab.WaitFor(card(s.id) + `.dataset.state === "in"`)
	}
	tab.WaitFor(card("b") + `.querySelector(".token-fp").textContent === "in the service worker"`)

	env.Demo.ResetRequests()
	click(t, tab, `[data-target="api-b"] .req-send`)
	tab.WaitFor(`document.querySelector('[data-target="api-b"] .verdict')`)
	seen := env.Demo.Requests()
	if len(seen) != 1 || seen[0].Authorization != demo.AuthValid {
		t.Fatalf("API B saw %+v; want one request with b's valid token, added by the worker", seen)
	}
	fpB := seen[0].Fingerprint

	click(t, tab, "#attack")
	tab.WaitFor(`document.querySelector("#attack-summary").textContent.startsWith("Searched")`)
	found := e2etest.Eval[[]string](tab, `Array.from(document.querySelectorAll("#findings li"), (li) => li.dataset.fp)`)
	fpA := demo.Fingerprint(e2etest.Eval[string](tab, `oidc.getAccessToken("a")`))
	if !slices.Contains(found, fpA) {
		t.Errorf("the panel found %q, not a's token #%s (page custody): it did not search", found, fpA)
	}
	if slices.Contains(found, fpB) {
		t.Errorf("the panel found b's token #%s, which the worker keeps", fpB)
	}
	tab.Screenshot("bridge-worker-mode")
}

func click(t *testing.T, tab *e2etest.Tab, selector string) {
	t.Helper()
	tab.In(t).Click(selector)
}

// noTokenOnPage checks the document (text, attributes, values) for the
// tokens the page holds and for anything shaped like a JWT.
func noTokenOnPage(t *testing.T, tab *e2etest.Tab) {
	t.Helper()
	html := e2etest.Eval[string](tab, `document.documentElement.outerHTML + location.href`)
	for _, id := range []string{"a", "b"} {
		if !e2etest.Eval[bool](tab, `oidc.isAuthenticated(`+e2etest.MustJSON(id)+`)`) {
			continue
		}
		for _, fn := range []string{"getAccessToken", "getIdToken"} {
			if tok := e2etest.Eval[string](tab, `oidc.`+fn+`(`+e2etest.MustJSON(id)+`)`); strings.Contains(html, tok) {
				t.Errorf("the page shows %s's %s", id, fn)
			}
		}
	}
	if strings.Contains(html, "eyJ") {
		t.Error("the page holds something shaped like a JWT")
	}
}
