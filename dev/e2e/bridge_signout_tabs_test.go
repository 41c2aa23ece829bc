package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// TestSignOutInOneTabSignsOutEveryTab: docs/DESIGN.md, "Sessions across windows".
// A session that ends in one tab ends in every tab of the origin within 2 s,
// each firing loggedOut: with localStorage (one shared session) and with
// sessionStorage (each tab signed in on its own, sharing the provider's
// session), for each way a session ends.
func TestSignOutInOneTabSignsOutEveryTab(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, storage, action string
		navigates             bool
	}{
		{"local/logoffLocal", "local", `oidc.logoffLocal("s")`, false},
		{"session/logoffLocal", "session", `oidc.logoffLocal("s")`, false},
		{"session/logoff", "session", `oidc.logoff("s")`, true},
		{"session/revokeRefreshToken", "session", `oidc.revokeRefreshToken("s")`, false},
		{"local/revokeRefreshToken", "local", `oidc.revokeRefreshToken("s")`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: time.Minute})
			cfg := p.Config("s", map[string]any{"scope": refreshScope, "useRefreshToken": true, "storage": c.storage})
			tab1 := signedIn(t, env.NewTab(t), cfg)
			tab2 := anotherTab(t, tab1, cfg, c.storage)
			logOnFailure(t, p, tab1, tab2)
			if accessToken(tab2, "s") == "" {
				t.Fatal("tab 2 is not signed in")
			}

			start := time.Now()
			if c.navigates {
				tab1.Navigate(c.action)
			} else {
				e2etest.Eval[any](tab1, c.action)
				if isAuthenticated(tab1, "s") {
					t.Errorf("%s: tab 1 still signed in", c.action)
				}
			}
			waitUntil(t, tab2, "loggedOut in tab 2", eventSeen("loggedOut"), 2*time.Second)
			t.Logf("tab 2 signed out %v after %s", time.Since(start).Round(time.Millisecond), c.action)
			if isAuthenticated(tab2, "s") {
				t.Error("tab 2 fired loggedOut but is still signed in")
			}
			if err := tab2.Reject(`oidc.getAccessToken("s")`); err == nil || err.Code != "login_required" {
				t.Errorf("getAccessToken in tab 2: %v, want login_required", err)
			}
			if s := stored(tab2, c.storage+"Storage", "s"); s != nil {
				t.Error("tab 2 still stores the session")
			}
			if n := len(events(tab2, "loggedOut")); n != 1 {
				t.Errorf("tab 2 fired loggedOut %d times, want once", n)
			}
		})
	}
}

// TestLogoffAndRevokeTokensRevokesBothThenEndsTheProviderSession: after
// logoffAndRevokeTokens the provider refuses the access token (userinfo) and
// the refresh token (refresh grant), and its session is over (signing in
// asks for the password again); end_session got the id_token_hint.
func TestLogoffAndRevokeTokensRevokesBothThenEndsTheProviderSession(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: time.Minute})
	cfg := p.Config("r", map[string]any{"scope": refreshScope, "useRefreshToken": true})
	tab := signedIn(t, env.NewTab(t), cfg)
	logOnFailure(t, p, tab)
	s := stored(tab, "sessionStorage", "r")
	if s == nil || s.RefreshToken == "" {
		t.Fatal("no refresh token to revoke")
	}
	if !usableAccess(t, p.Issuer(), s.AccessToken) {
		t.Fatal("the access token does not work before the logoff: the check below proves nothing")
	}
	endSessions, revocations := p.Counts()["end_session"], p.Counts()["revoke"]

	tab.Navigate(`oidc.logoffAndRevokeTokens("r")`)
	tab.WaitURL("the post-logout redirect", func(u *url.URL) bool {
		return strings.HasPrefix(u.String(), env.TestPageURL())
	})
	if n := p.Counts()["revoke"] - revocations; n != 2 {
		t.Errorf("%d revocation requests, want 2 (refresh token, access token)", n)
	}
	if n := p.Counts()["end_session"] - endSessions; n != 1 {
		t.Errorf("end_session got %d requests, want 1", n)
	}
	for _, x := range p.Log() {
		if x.Path == "/end_session" && x.Status >= 400 {
			t.Errorf("end_session answered %d (id_token_hint missing or stale?)", x.Status)
		}
	}
	if usableAccess(t, p.Issuer(), s.AccessToken) {
		t.Error("the provider still accepts the access token")
	}
	if status, _ := postToken(t, p.Issuer(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.RefreshToken},
		"client_id": {e2etest.ProviderClientID}}); status == http.StatusOK {
		t.Error("the provider still accepts the refresh token")
	}
	p.SetAutoLogin("")
	tab.WaitReady()
	tab.Configure(cfg)
	tab.CheckAuth()
	tab.Navigate(`oidc.authorize("r")`)
	tab.WaitURL("the provider's login form", func(u *url.URL) bool {
		return strings.HasPrefix(u.String(), p.Issuer()+"/login")
	})
}

// TestLogoffWithoutEndSessionEndpointStaysOnThePage: a provider that does
// not advertise end_session_endpoint: logoff ends the local session and
// resolves, and the page does not navigate.
func TestLogoffWithoutEndSessionEndpointStaysOnThePage(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{WithoutDiscovery: []string{"end_session_endpoint"}})
	cfg := p.Config("n", nil)
	tab := signedIn(t, env.NewTab(t), cfg)
	e2etest.Eval[any](tab, `window.e2eStay = true`)
	before := tab.Location()
	e2etest.Eval[any](tab, `oidc.logoff("n")`)
	time.Sleep(300 * time.Millisecond) // a navigation, if there were one, would have begun
	if !e2etest.Eval[bool](tab, `window.e2eStay === true`) || tab.Location() != before {
		t.Errorf("the page navigated (now %s)", tab.Location())
	}
	if isAuthenticated(tab, "n") {
		t.Error("still signed in")
	}
	if len(events(tab, "loggedOut")) != 1 {
		t.Error("no loggedOut event")
	}
	if n := p.Counts()["end_session"]; n != 0 {
		t.Errorf("end_session got %d requests", n)
	}
}

// usableAccess asks the provider's userinfo endpoint whether it takes the token.
func usableAccess(t *testing.T, issuer, token string) bool {
	t.Helper()
	resp, err := http.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc struct {
		UserInfo string `json:"userinfo_endpoint"`
	}
	err = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if err != nil || disc.UserInfo == "" {
		t.Fatalf("discovery of %s: %v", issuer, err)
	}
	req, _ := http.NewRequest(http.MethodGet, disc.UserInfo, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
