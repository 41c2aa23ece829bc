package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// popupCall starts authorizeWithPopUp as a click handler would and keeps its
// outcome in window.popup ({result} or {error}).
const popupCall = `(window.popup = null, oidc.authorizeWithPopUp(null, null, "p").then(
  (result) => { window.popup = { result }; },
  (e) => { window.popup = { error: e2e.error(e) }; }))`

type popupOutcome struct {
	Result *e2etest.LoginResponse `json:"result"`
	Error  *e2etest.JSError       `json:"error"`
}

// popupPage opens the test page configured for a fresh provider that shows
// its login form (no auto-login), signed out.
func popupPage(t *testing.T) (*e2etest.Tab, *e2etest.Provider) {
	t.Helper()
	return popupPageWith(t, e2etest.ProviderOptions{AccessTokenLifetime: time.Minute})
}

// popupPageWith is popupPage with a provider started with o.
func popupPageWith(t *testing.T, o e2etest.ProviderOptions) (*e2etest.Tab, *e2etest.Provider) {
	t.Helper()
	p := env.StartProvider(t, o)
	if err := p.SetAutoLogin(""); err != nil {
		t.Fatal(err)
	}
	tab := env.NewTab(t)
	tab.OpenTestPage()
	tab.Configure(p.Config("p", nil))
	tab.CheckAuth()
	logOnFailure(t, p, tab)
	return tab, p
}

// pendingStates are the states of the login transactions in sessionStorage.
func pendingStates(tab *e2etest.Tab) []string {
	tab.T.Helper()
	return e2etest.Eval[[]string](tab, `Object.keys(sessionStorage).filter((k) => k.startsWith("oidcwasm:oidcwasm.tx.")).map((k) => k.slice("oidcwasm:oidcwasm.tx.".length))`)
}

// TestPopupSignIn: the login form is filled in the popup, the page that
// opened it never navigates, and answers that another window posts, or that
// carry another state, are ignored. (docs/DESIGN.md, "Sessions across windows".)
func TestPopupSignIn(t *testing.T) {
	t.Parallel()
	tab, p := popupPage(t)
	before := tab.Location()
	// A document that is replaced loses this mark: the page must never
	// navigate, not even away and back.
	e2etest.Eval[any](tab, `window.__stayed = true`)
	popup := tab.Popup(t, func() { tab.Gesture(popupCall) })
	popup.WaitURL("the provider's login form in the popup", func(u *url.URL) bool {
		return strings.HasPrefix(u.String(), p.Issuer()+"/login")
	})

	// Forgeries while the popup is open: the right state from the wrong
	// window, and another state on the popup channel.
	states := pendingStates(tab)
	if len(states) != 1 {
		t.Fatalf("%d pending transactions, want 1", len(states))
	}
	forged := e2etest.MustJSON(env.AppURL() + "/silent-refresh.html?code=forged&state=" + states[0])
	e2etest.Eval[any](tab, `postMessage(`+forged+`, location.origin)`)
	e2etest.Eval[any](tab, `new BroadcastChannel("oidcwasm.popup").postMessage(location.origin + "/silent-refresh.html?code=forged&state=not-`+states[0]+`")`)
	time.Sleep(300 * time.Millisecond)
	if got := e2etest.Eval[*popupOutcome](tab, `window.popup`); got != nil {
		t.Fatalf("a forged answer settled the popup sign-in: %+v", got)
	}

	popup.FillLogin("alice", "alice")
	popupSignedIn(t, tab, p, popup, before)
}

// popupSignedIn checks what a popup sign-in to config p of tab must leave,
// once the form is sent: the sign-in resolved with p's session, the page
// (at before, marked window.__stayed) never navigated, the one token request
// was the popup's code exchange, no transaction is left, and the popup
// closed itself (or was closed) once it answered.
func popupSignedIn(t *testing.T, tab *e2etest.Tab, p *e2etest.Provider, popup *e2etest.Tab, before string) {
	t.Helper()
	tab.WaitFor(`window.popup`)
	out := e2etest.Eval[popupOutcome](tab, `window.popup`)
	if out.Error != nil || out.Result == nil || !out.Result.IsAuthenticated || out.Result.ConfigID != "p" {
		t.Fatalf("authorizeWithPopUp: %+v %v", out.Result, out.Error)
	}
	if !isAuthenticated(tab, "p") || accessToken(tab, "p") == "" {
		t.Error("the page is not signed in after the popup")
	}
	if here := tab.Location(); here != before {
		t.Errorf("the page moved from %s to %s", before, here)
	}
	if !e2etest.Eval[bool](tab, `window.__stayed === true`) {
		t.Errorf("the page navigated: its document was replaced")
	}
	for _, x := range tokenExchanges(p.Log()) {
		if x != "authorization_code 200" {
			t.Errorf("token request %q: want only the popup's own code exchange", x)
		}
	}
	if n := len(pendingStates(tab)); n != 0 {
		t.Errorf("%d transactions left behind", n)
	}
	waitUntilClosed(t, popup)
}

func waitUntilClosed(t *testing.T, popup *e2etest.Tab) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if popup.Closed() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("the popup is still open at %s", redact(popup.Location()))
}

// TestPopupClosedByTheUserRejectsAndDropsTheTransaction.
func TestPopupClosedByTheUserRejectsAndDropsTheTransaction(t *testing.T) {
	t.Parallel()
	tab, p := popupPage(t)
	popup := tab.Popup(t, func() { tab.Gesture(popupCall) })
	popup.WaitURL("the provider's login form in the popup", func(u *url.URL) bool {
		return strings.HasPrefix(u.String(), p.Issuer()+"/login")
	})
	// As the user's close button: the window goes, without an answer.
	// The user looks at the form, then closes the window. (One closed within
	// a poll of its first page would look like one the provider's
	// Cross-Origin-Opener-Policy cut off: see
	// TestPopupSignInWhenTheProviderSeversTheOpener.)
	time.Sleep(500 * time.Millisecond)
	popup.Close()
	tab.WaitFor(`window.popup`)
	out := e2etest.Eval[popupOutcome](tab, `window.popup`)
	if out.Error == nil || out.Error.Code != "popup_closed" || out.Error.ConfigID != "p" || out.Error.Name != "OidcError" {
		t.Fatalf("authorizeWithPopUp after the popup closed: %+v %+v, want popup_closed for p", out.Result, out.Error)
	}
	if n := len(pendingStates(tab)); n != 0 {
		t.Errorf("%d transactions left behind", n)
	}
	if isAuthenticated(tab, "p") {
		t.Error("signed in")
	}
}

// TestPopupOutsideAGestureIsBlocked: without a click, the browser gives no
// window: popup_blocked, and no transaction is stored.
func TestPopupOutsideAGestureIsBlocked(t *testing.T) {
	t.Parallel()
	tab, _ := popupPage(t)
	err := tab.Reject(`oidc.authorizeWithPopUp(null, null, "p")`)
	if err.Code != "popup_blocked" || err.ConfigID != "p" || !strings.Contains(err.Message, "click") {
		t.Fatalf("authorizeWithPopUp without a gesture: %v, want popup_blocked saying to call it from a click", err)
	}
	if n := len(pendingStates(tab)); n != 0 {
		t.Errorf("%d transactions stored for a popup that never opened", n)
	}
	if err := tab.Reject(`oidc.authorizeWithPopUp(null, {width: "wide"}, "p")`); err.Code != "invalid_config" || err.Field != "popupOptions.width" {
		t.Errorf("a bad popup option: %v, want invalid_config naming popupOptions.width", err)
	}
}

// TestPopupSignInWhenTheProviderSeversTheOpener: the provider's login page
// carries Cross-Origin-Opener-Policy: same-origin, which moves the popup
// into a browsing context group of its own: it has no opener, and the
// page's handle to it reads closed while the user signs in. The answer
// comes over the popup channel, and the sign-in completes.
func TestPopupSignInWhenTheProviderSeversTheOpener(t *testing.T) {
	t.Parallel()
	tab, p := popupPageWith(t, e2etest.ProviderOptions{AccessTokenLifetime: time.Minute, OpenerPolicy: "same-origin"})
	// The page's handle: what the library sees of the popup.
	e2etest.Eval[any](tab, `(() => { const open = window.open; window.open = function () { return window.handle = open.apply(this, arguments); }; })()`)
	before := tab.Location()
	e2etest.Eval[any](tab, `window.__stayed = true`)
	popup := tab.Popup(t, func() { tab.Gesture(popupCall) })
	popup.WaitURL("the provider's login form in the popup", func(u *url.URL) bool {
		return strings.HasPrefix(u.String(), p.Issuer()+"/login")
	})
	if !e2etest.Eval[bool](popup, `window.opener === null`) || !e2etest.Eval[bool](tab, `window.handle.closed`) {
		t.Fatalf("the provider's policy did not cut the popup off (opener %v, handle closed %v)",
			e2etest.Eval[bool](popup, `window.opener !== null`), e2etest.Eval[bool](tab, `window.handle.closed`))
	}
	// Longer than a closed popup takes to reject (two polls after closed).
	time.Sleep(1500 * time.Millisecond)
	if got := e2etest.Eval[*popupOutcome](tab, `window.popup`); got != nil {
		t.Fatalf("the sign-in settled while the user is at the provider: %+v %v", got.Result, got.Error)
	}
	popup.FillLogin("alice", "alice")
	// silent-refresh.html closes the window itself (the page's handle cannot).
	popupSignedIn(t, tab, p, popup, before)
}
