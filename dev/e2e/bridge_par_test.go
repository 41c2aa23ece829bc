package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// parTrip is what the provider received for one authorization: the pushed
// request and the browser's navigation to /authorize.
type parTrip struct {
	pushed   e2etest.Exchange
	navigate e2etest.Exchange
}

// parTrips pairs each /par request in log with the /authorize navigation
// that followed it.
func parTrips(t *testing.T, log []e2etest.Exchange) []parTrip {
	t.Helper()
	var out []parTrip
	for i, x := range log {
		if x.Path != "/par" {
			continue
		}
		trip := parTrip{pushed: x}
		for _, y := range log[i+1:] {
			if y.Path == "/authorize" {
				trip.navigate = y
				break
			}
		}
		out = append(out, trip)
	}
	return out
}

// checkTrip fails unless the pushed request held the whole authorization
// request (PKCE, state, nonce, redirect_uri) with prompt, and the browser
// navigated to /authorize with client_id and request_uri only (RFC 9126 §4).
func checkTrip(t *testing.T, what string, trip parTrip, prompt string) {
	t.Helper()
	for _, want := range []string{"client_id", "code_challenge", "code_challenge_method", "nonce", "redirect_uri", "response_type", "scope", "state"} {
		if !slices.Contains(trip.pushed.Params, want) {
			t.Errorf("%s: the pushed request lacks %s (it has %v)", what, want, trip.pushed.Params)
		}
	}
	if trip.pushed.Prompt != prompt {
		t.Errorf("%s: the pushed request's prompt is %q, want %q", what, trip.pushed.Prompt, prompt)
	}
	if got := strings.Join(trip.navigate.Params, " "); got != "client_id request_uri" {
		t.Errorf("%s: the browser went to /authorize with %q, want client_id and request_uri only", what, got)
	}
}

// TestPushedAuthorizationInEveryWindow: with usePushedAuthorisationRequests
// and no refresh token, the redirect sign-in, the hidden iframe's renewal
// and the popup sign-in each push their request and send the window to the
// provider with client_id and request_uri only, and each answer, matched to
// the pushed request's state, completes (README, "Tokens bound to the
// browser (DPoP) and pushed requests (PAR)").
func TestPushedAuthorizationInEveryWindow(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: time.Minute})
	cfg := p.Config("p", map[string]any{"usePushedAuthorisationRequests": true})
	tab := env.NewTab(t)
	logOnFailure(t, p, tab)
	tab.OpenTestPage()
	tab.Configure(cfg)

	// The redirect.
	if _, res := tab.SignInWith("p", "alice", "alice", cfg); !res["p"].IsAuthenticated {
		t.Fatalf("PAR sign-in by redirect: %+v", res["p"])
	}
	trips := parTrips(t, p.Log())
	if len(trips) != 1 {
		t.Fatalf("%d pushed requests for the redirect sign-in, want 1", len(trips))
	}
	checkTrip(t, "redirect", trips[0], "")
	e2etest.Eval[any](tab, pageRecorder)
	if s := stored(tab, "sessionStorage", "p"); s == nil || s.RefreshToken != "" {
		t.Fatalf("the session %+v has a refresh token: the renewal below would not use the iframe", s)
	}

	// The hidden iframe.
	first := accessToken(tab, "p")
	n := len(p.Log())
	if _, err := tab.Try(`oidc.forceRefreshSession("p")`); err != nil {
		t.Fatalf("forceRefreshSession with PAR and no refresh token: %v", err)
	}
	if tok := accessToken(tab, "p"); tok == "" || tok == first {
		t.Errorf("after the iframe renewal getAccessToken gives the old token or none")
	}
	trips = parTrips(t, since(p, n))
	if len(trips) != 1 {
		t.Fatalf("%d pushed requests for the iframe renewal, want 1", len(trips))
	}
	checkTrip(t, "iframe", trips[0], "none")
	if !trips[0].navigate.SessionCookie {
		t.Error("the iframe's /authorize carried no session cookie: the renewal proves nothing")
	}
	if got := tokenExchanges(since(p, n)); !slices.Equal(got, []string{"authorization_code 200"}) {
		t.Errorf("token requests of the iframe renewal %q, want one code exchange", got)
	}
	if evs := events(tab, "silentRenewStarted"); len(evs) != 1 || evs[0].Detail["method"] != "iframe" {
		t.Errorf("silentRenewStarted %s, want one with method iframe", describe(evs))
	}

	// The popup.
	n = len(p.Log())
	tab.Gesture(`(window.popup = null, oidc.authorizeWithPopUp(null, null, "p").then(
  (result) => { window.popup = { result }; },
  (e) => { window.popup = { error: e2e.error(e) }; }))`)
	tab.WaitFor(`window.popup`)
	if out := e2etest.Eval[popupOutcome](tab, `window.popup`); out.Error != nil || out.Result == nil || !out.Result.IsAuthenticated {
		t.Fatalf("PAR sign-in in a popup: %+v %v", out.Result, out.Error)
	}
	trips = parTrips(t, since(p, n))
	if len(trips) != 1 {
		t.Fatalf("%d pushed requests for the popup sign-in, want 1", len(trips))
	}
	checkTrip(t, "popup", trips[0], "")
}
