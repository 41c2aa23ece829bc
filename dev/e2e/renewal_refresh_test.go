package e2e

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/devop"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

func TestRenewByRefreshTokenBeforeExpiryRotatesTheRefreshToken(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: 4 * time.Second})
	cfg := p.Config("r", map[string]any{"scope": refreshScope, "useRefreshToken": true})
	tab := signedIn(t, env.NewTab(t), cfg)

	tok0 := accessToken(tab, "r")
	s0 := stored(tab, "sessionStorage", "r")
	if s0 == nil || s0.RefreshToken == "" || s0.AccessToken != tok0 {
		t.Fatalf("after sign-in sessionStorage holds %+v, want the session with a refresh token", s0)
	}
	before, logStart := p.Counts(), len(p.Log())

	// Nobody calls getAccessToken: the automatic renewal does it, at
	// timeoutFactor (0.75) of the lifetime.
	waitUntil(t, tab, "the automatic renewal", eventSeen("tokenRefreshed"), renewWait)

	evs := events(tab, "silentRenewStarted", "tokenRefreshed", "silentRenewFailed")
	if len(evs) < 2 || evs[0].Type != "silentRenewStarted" || evs[0].Detail["method"] != "refresh_token" || evs[1].Type != "tokenRefreshed" {
		t.Fatalf("events %s, want silentRenewStarted/refresh_token then tokenRefreshed", describe(evs))
	}
	if at := time.UnixMilli(evs[1].At); !at.Before(s0.ExpiresAt) {
		t.Errorf("renewed at %v, not before the access token expired at %v", at.Format(time.StampMilli), s0.ExpiresAt.Format(time.StampMilli))
	}
	tok1 := accessToken(tab, "r")
	s1 := stored(tab, "sessionStorage", "r")
	switch {
	case tok1 == tok0:
		t.Errorf("getAccessToken after tokenRefreshed returns the old token")
	case s1 == nil || s1.AccessToken != tok1:
		t.Errorf("sessionStorage does not hold the new access token")
	case s1.RefreshToken == "" || s1.RefreshToken == s0.RefreshToken:
		t.Errorf("the refresh token was not rotated: the session keeps the old one")
	case !s1.ExpiresAt.After(s0.ExpiresAt):
		t.Errorf("new expiry %v is not after the old %v", s1.ExpiresAt, s0.ExpiresAt)
	}
	if n := delta(p, before, "token:refresh_token"); n != 1 {
		t.Errorf("the provider got %d refresh-token requests, want 1", n)
	}
	if n := delta(p, before, "authorize") + delta(p, before, "token:authorization_code"); n != 0 {
		t.Errorf("the provider got %d authorization requests or code exchanges, want none: the refresh token must be used", n)
	}
	if got := tokenExchanges(since(p, logStart)); !slices.Equal(got, []string{"refresh_token 200"}) {
		t.Errorf("token requests %q, want one successful refresh", got)
	}

	// The provider has rotated the old token out: replayed, as by someone who
	// stole it, it is refused (RFC 9700 §4.14.2).
	status, code := postToken(t, p.Issuer(), url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {s0.RefreshToken}, "client_id": {e2etest.ProviderClientID}})
	if status != http.StatusBadRequest || code != "invalid_grant" {
		t.Errorf("replaying the rotated refresh token: %d %q, want 400 invalid_grant", status, code)
	}
	// The replay revoked the whole token family, the session's current refresh
	// token included: the next renewal gets invalid_grant and ends the session.
	if err := tab.Reject(`oidc.forceRefreshSession("r")`); err.Code != "invalid_grant" {
		t.Errorf("forceRefreshSession after the replay: %v, want invalid_grant", err)
	}
	if isAuthenticated(tab, "r") {
		t.Errorf("still authenticated after the provider refused the refresh token with invalid_grant")
	}
}

func TestRenewSurvivesThreeFailedTokenRequests(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: 15 * time.Second})
	cfg := p.Config("f", map[string]any{"scope": refreshScope, "useRefreshToken": true})
	tab := signedIn(t, env.NewTab(t), cfg)
	tok0 := accessToken(tab, "f")

	if err := p.FailNextToken(3, devop.FailStatus500); err != nil {
		t.Fatal(err)
	}
	logStart := len(p.Log())
	// The app keeps asking for its token: each call past the renewal point
	// tries to renew, and gets the still valid token when that fails.
	startTokenLoop(tab, "f")
	waitUntil(t, tab, "a new access token", `loop.seen.length >= 2 || loop.errors.length > 0 || loop.signedOut > 0`, renewWait)
	loop := stopTokenLoop(t, tab)

	if loop.Seen[0] != tok0 || len(loop.Seen) != 2 {
		t.Errorf("getAccessToken gave %d distinct tokens, want the first one, then one new", len(loop.Seen))
	}
	if len(loop.Errors) > 0 || loop.SignedOut > 0 {
		t.Errorf("while the token was valid: %d getAccessToken rejections (first: %v), isAuthenticated false %d times; want none",
			len(loop.Errors), firstOf(loop.Errors), loop.SignedOut)
	}
	want := []string{"refresh_token 500 server_error", "refresh_token 500 server_error", "refresh_token 500 server_error", "refresh_token 200"}
	if got := tokenExchanges(since(p, logStart)); len(got) < 4 || !slices.Equal(got[:4], want) {
		t.Errorf("token requests %q, want three failures then a success: %q", got, want)
	}
	failed := events(tab, "silentRenewFailed")
	if len(failed) != 3 {
		t.Errorf("%d silentRenewFailed events, want 3 (one per failed request): %s", len(failed), describe(failed))
	}
	for _, e := range failed {
		if e.Detail["code"] != "server_error" {
			t.Errorf("silentRenewFailed code %v, want the provider's server_error", e.Detail["code"])
		}
	}
	if evs := events(tab, "tokenRefreshed"); len(evs) == 0 {
		t.Errorf("no tokenRefreshed after the provider came back")
	}
	if evs := events(tab, "loggedOut", "tokenExpired"); len(evs) > 0 {
		t.Errorf("events %s: the session must survive failures while its token is valid", describe(evs))
	}
	if !isAuthenticated(tab, "f") {
		t.Errorf("signed out after the provider came back")
	}
}
