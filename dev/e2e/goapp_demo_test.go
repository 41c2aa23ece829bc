package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/demo"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// The go-app demo (dev/demoapp, built into static/ by `make build`) in
// Chromium against the demo server: the page at "/" signs in to both
// providers, shows the claims, calls the APIs with the right tokens (and the
// unlisted URL with none), renews without reloading, signs out of one config
// while the other stays, and comes back after a reload.

// goApp opens the go-app demo in a new tab and waits until it has started.
func goApp(t *testing.T, e *e2etest.Env) *e2etest.Tab {
	t.Helper()
	if _, err := os.Stat(filepath.Join(goAppStatic(t), "web", "app.wasm")); err != nil {
		t.Fatal("the go-app demo is not built (static/web/app.wasm): run `make build`")
	}
	tab := e.NewTab(t)
	tab.SetViewport(1360, 900)
	tab.Open(e.AppURL() + "/")
	goAppStarted(tab)
	return tab
}

// goAppReload reloads the go-app demo and waits until the new document has
// started: WebKit's WebDriver refresh can return while the old document
// still answers (a CI run read the old page's pills, then the new one's
// before it rendered).
func goAppReload(tab *e2etest.Tab) {
	tab.T.Helper()
	e2etest.Eval[any](tab, `(window.__beforeReload = true, null)`)
	tab.Reload()
	tab.WaitFor(`!window.__beforeReload`)
	goAppStarted(tab)
}

// waitStarted waits for the demo's session cards to leave their loading state.
func goAppStarted(tab *e2etest.Tab) {
	tab.T.Helper()
	tab.WaitFor(`["a", "b"].every((id) => { const p = document.querySelector("#pill-" + id); return p && p.textContent !== "…"; })`)
}

func goAppStatic(t *testing.T) string {
	t.Helper()
	dir, err := e2etest.FindStatic()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func goAppPill(tab *e2etest.Tab, id string) string {
	tab.T.Helper()
	return e2etest.Eval[string](tab, `document.querySelector("#pill-`+id+`")?.textContent ?? ""`)
}

func goAppClick(tab *e2etest.Tab, selector string) {
	tab.T.Helper()
	tab.WaitFor(`document.querySelector(` + e2etest.MustJSON(selector) + `)`)
	tab.Click(selector)
}

// signIn clicks the config's Sign in button; the provider signs alice in
// (auto-login) and sends the browser back to "/", where the app completes
// the login.
func goAppSignIn(tab *e2etest.Tab, id string) {
	tab.T.Helper()
	goAppClick(tab, "#login-"+id)
	tab.WaitFor(`document.querySelector("#pill-` + id + `")?.textContent === "Signed in"`)
}

// view opens one of the demo's views through its sidebar link.
func goAppView(tab *e2etest.Tab, name string) {
	tab.T.Helper()
	goAppClick(tab, "#nav-"+name)
	tab.WaitFor(`document.querySelector("#nav-` + name + `.active")`)
}

// screenshot saves the page as dev/artifacts/<engine>/name.png.
func goAppScreenshot(tab *e2etest.Tab, name string) string {
	tab.T.Helper()
	dir := filepath.Join(filepath.Dir(goAppStatic(tab.T.(*testing.T))), "dev", "artifacts", string(env.Engine()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tab.T.Fatal(err)
	}
	png := tab.PNG()
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tab.T.Fatal(err)
	}
	return path
}

func TestGoAppSignsInToBothProvidersAndCallsAPIsWithTheRightTokens(t *testing.T) {
	tab := goApp(t, env)
	if a, b := goAppPill(tab, "a"), goAppPill(tab, "b"); a != "Signed out" || b != "Signed out" {
		t.Fatalf("a fresh tab shows a %q, b %q; want both signed out", a, b)
	}
	goAppScreenshot(tab, "goapp-signed-out")
	goAppSignIn(tab, "a")
	goAppSignIn(tab, "b")
	if got := goAppPill(tab, "a"); got != "Signed in" {
		t.Fatalf("after signing in to b, a shows %q", got)
	}
	for _, id := range []string{"a", "b"} {
		if name := e2etest.Eval[string](tab, `document.querySelector("#user-`+id+`").textContent`); name != "Alice Liddell" {
			t.Errorf("config %s shows user %q, want Alice Liddell", id, name)
		}
	}
	if loc := tab.Location(); strings.Contains(loc, "code=") || strings.Contains(loc, "state=") {
		t.Errorf("the address bar still holds the authorization response: %s", loc)
	}
	goAppScreenshot(tab, "goapp-signed-in")

	goAppView(tab, "claims")
	for _, id := range []string{"a", "b"} {
		got := e2etest.Eval[string](tab, `document.querySelector("#claims-`+id+` table")?.textContent ?? ""`)
		for _, want := range []string{"Alice Liddell", "alice@example.com", "user-alice"} {
			if !strings.Contains(got, want) {
				t.Errorf("claims of %s lack %q: %s", id, want, got)
			}
		}
	}
	goAppScreenshot(tab, "goapp-claims")

	goAppView(tab, "apis")
	env.Demo.ResetRequests()
	targets := env.Demo.Settings().Requests
	goAppClick(tab, "#call-all")
	tab.WaitFor(fmt.Sprintf(`document.querySelectorAll("tr.call").length >= %d`, len(targets)))
	type row struct{ Target, Config, Status string }
	rows := e2etest.Eval[[]row](tab, `[...document.querySelectorAll("tr.call")].map((r) => ({Target: r.dataset.target, Config: r.dataset.config || "", Status: r.dataset.status}))`)
	carried := map[string]string{}
	for _, r := range rows {
		carried[r.Target] = r.Config
	}
	for _, tg := range targets {
		if got, ok := carried[tg.ID]; !ok || got != tg.ConfigID {
			t.Errorf("%s (%s): the page says it carried the token of %q, want %q", tg.ID, tg.URL, got, tg.ConfigID)
		}
	}
	// What the servers saw.
	seen := map[string]demo.Request{}
	for _, r := range env.Demo.Requests() {
		seen[r.URL] = r
	}
	for _, c := range []struct {
		target, auth string
		api          string
		scheme       string // config a uses DPoP in the demo: a proof with each request
	}{
		{demo.TargetAPIA, demo.AuthValid, "A", "DPoP"},
		{demo.TargetAPIB, demo.AuthValid, "B", "Bearer"},
		{demo.TargetUnlisted, demo.AuthNone, "echo", ""},
		{demo.TargetSibling, demo.AuthNone, "echo", ""},
		{demo.TargetIPHost, demo.AuthNone, "A", ""},
		{demo.TargetOtherPort, demo.AuthNone, "echo", ""},
	} {
		u := strings.TrimPrefix(strings.TrimPrefix(env.Target(c.target), "http://"), "https://")
		r, ok := seen[u]
		if !ok {
			t.Errorf("%s: the server saw no request for %s (saw %v)", c.target, u, goAppKeys(seen))
			continue
		}
		if r.Authorization != c.auth || r.API != c.api {
			t.Errorf("%s: API %s saw authorization %q (%s), want %s at API %s", c.target, r.API, r.Authorization, r.Reason, c.auth, c.api)
		}
		if r.Scheme != c.scheme || r.DPoP != (c.scheme == "DPoP") {
			t.Errorf("%s: API %s saw scheme %q (proof %v), want %q", c.target, r.API, r.Scheme, r.DPoP, c.scheme)
		}
	}
	goAppScreenshot(tab, "goapp-apis")
}

func goAppKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestGoAppSignsOutOfOneConfigAndSurvivesAReload(t *testing.T) {
	tab := goApp(t, env)
	goAppSignIn(tab, "a")
	goAppSignIn(tab, "b")

	// Sign out of b at its provider: the provider sends the browser back to
	// "/", where a is restored from storage and b is gone.
	goAppClick(tab, "#logout-b")
	tab.WaitFor(`document.querySelector("#pill-b")?.textContent === "Signed out" && document.querySelector("#pill-a")?.textContent === "Signed in"`)
	goAppReload(tab)
	if a, b := goAppPill(tab, "a"), goAppPill(tab, "b"); a != "Signed in" || b != "Signed out" {
		t.Fatalf("after a reload a shows %q, b %q; want a signed in, b signed out", a, b)
	}
	goAppView(tab, "apis")
	env.Demo.ResetRequests()
	goAppClick(tab, "#call-"+demo.TargetAPIA)
	tab.WaitFor(`document.querySelector("tr.call[data-target='` + demo.TargetAPIA + `']")`)
	if st := e2etest.Eval[string](tab, `document.querySelector("tr.call").dataset.status`); st != "200" {
		t.Errorf("API A after the reload answered %s, want 200", st)
	}
	goAppClick(tab, "#call-"+demo.TargetAPIB)
	tab.WaitFor(`document.querySelector("tr.call[data-target='` + demo.TargetAPIB + `']")`)
	if cfg := e2etest.Eval[string](tab, `document.querySelector("tr.call[data-target='`+demo.TargetAPIB+`']").dataset.config || ""`); cfg != "" {
		t.Errorf("API B after signing out of b carried the token of %q, want none", cfg)
	}
	// The loggedOut happened on the page that left for the provider: the
	// event log kept it across the redirect and the reload.
	goAppView(tab, "events")
	if !e2etest.Eval[bool](tab, `!!document.querySelector("tr.event[data-type='loggedOut'][data-config='b']")`) {
		t.Errorf("the event log lost b's loggedOut: %v", e2etest.Eval[[]string](tab, `Array.from(document.querySelectorAll("tr.event"), (r) => r.dataset.type + " " + r.dataset.config)`))
	}
}

func TestGoAppRenewsBothWaysWithoutAReload(t *testing.T) {
	// Its own demo and Chromium, whose providers issue 12-second access
	// tokens, so the demo renews them (at 75%, 9 s) while the test watches.
	e, err := e2etest.Start(e2etest.Options{AccessTokenLifetime: 12 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	tab := goApp(t, e)
	goAppSignIn(tab, "a")
	goAppSignIn(tab, "b")
	e2etest.Eval[any](tab, `window.__sameDocument = "yes"`)

	goAppView(tab, "events")
	// a by refresh token, b in the hidden iframe: two renewals each.
	tab.WaitFor(`["a", "b"].every((id) => document.querySelectorAll("tr.event[data-type=tokenRefreshed][data-config=" + id + "]").length >= 2)`)
	if got := e2etest.Eval[string](tab, `window.__sameDocument || ""`); got != "yes" {
		t.Fatal("the page reloaded while renewing")
	}
	// Each renewal the page told of is a request its provider received
	// (this environment's providers serve this one tab since their start;
	// b's sign-in is one code grant of its own). Read after the events, so
	// a request whose answer is still on its way only adds to the counts.
	renewed := func(id string) int {
		return e2etest.Eval[int](tab, `document.querySelectorAll("tr.event[data-type=tokenRefreshed][data-config=`+id+`]").length`)
	}
	renewedA, renewedB := renewed("a"), renewed("b")
	if n := e.A.Counts()["token:refresh_token"]; n < renewedA {
		t.Errorf("provider A saw %d refresh-token grants for the %d renewals of a", n, renewedA)
	}
	if n := e.B.Counts()["token:authorization_code"] - 1; n < renewedB {
		t.Errorf("provider B saw %d code grants after the sign-in (iframe renewals) for the %d renewals of b", n, renewedB)
	}
	failed := e2etest.Eval[int](tab, `document.querySelectorAll("tr.event[data-type=silentRenewFailed]").length`)
	if failed != 0 {
		t.Errorf("%d renewals failed", failed)
	}
	goAppScreenshot(tab, "goapp-events")
	goAppView(tab, "timeline")
	tab.WaitFor(`document.querySelectorAll("#timeline-a .tl-token").length >= 3 && document.querySelectorAll("#timeline-b .tl-token").length >= 3`)
	goAppScreenshot(tab, "goapp-timeline")
	for _, id := range []string{"a", "b"} {
		if got := goAppPill(tab, id); got != "Signed in" && got != "Renewing" {
			t.Errorf("after renewals %s shows %q", id, got)
		}
	}
}

// TestGoAppSignsInWithAPopup: the demo's "Sign in with a popup" button
// (Auth.LoginPopup, from a real click): the provider's answer comes back
// through the popup, the page never navigates, and the session shows.
func TestGoAppSignsInWithAPopup(t *testing.T) {
	tab := goApp(t, env)
	before := tab.Location()
	// A document that is replaced loses this mark.
	e2etest.Eval[any](tab, `window.__stayed = true`)
	popup := tab.Popup(t, func() { goAppClick(tab, "#popup-a") })
	tab.WaitFor(`document.querySelector("#pill-a")?.textContent === "Signed in"`)
	if here := tab.Location(); here != before {
		t.Errorf("the page moved from %s to %s", before, here)
	}
	if !e2etest.Eval[bool](tab, `window.__stayed === true`) {
		t.Errorf("the page navigated: its document was replaced")
	}
	if got := goAppPill(tab, "b"); got == "Signed in" {
		t.Error("config b signed in too")
	}
	waitUntilClosed(t, popup)
}

// TestGoAppRevokedTokenShowsOneStatus: after "Revoke token" the session is
// still there (the next use renews): the card and the sidebar say the same,
// and neither says "signed out".
func TestGoAppRevokedTokenShowsOneStatus(t *testing.T) {
	tab := goApp(t, env)
	goAppSignIn(tab, "a")
	goAppClick(tab, "#revoke-a")
	tab.WaitFor(`document.querySelector("#pill-a")?.textContent.includes("needs a new token")`)
	side := e2etest.Eval[[]string](tab, `Array.from(document.querySelectorAll(".side-state"), (e) => e.textContent)`)
	pill := goAppPill(tab, "a")
	if len(side) == 0 || side[0] != pill {
		t.Errorf("the sidebar says %q, the card %q: want one status", side, pill)
	}
	goAppClick(tab, "#renew-a")
	tab.WaitFor(`document.querySelector("#pill-a")?.textContent === "Signed in"`)
}
