package spa_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/internal/fakeop"
	"github.com/oidcwasm/oidcwasm/spa"
)

// withoutEndpoints makes the fake provider's discovery document lack the
// given members, and returns a Manager configured with cfg("a") that read it
// (no cached document).
func withoutEndpoints(t *testing.T, e *env, members ...string) *spa.Manager {
	t.Helper()
	doc := map[string]any{
		"issuer": fakeop.Issuer, "authorization_endpoint": fakeop.Issuer + "/authorize",
		"token_endpoint": fakeop.Issuer + "/token", "jwks_uri": fakeop.Issuer + "/jwks",
		"userinfo_endpoint": fakeop.Issuer + "/userinfo", "revocation_endpoint": fakeop.Issuer + "/revoke",
		"end_session_endpoint":     fakeop.Issuer + "/logout",
		"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
	}
	for _, k := range members {
		delete(doc, k)
	}
	e.op.Handle("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(doc)
	})
	for k := range e.stores {
		e.stores[k] = spa.NewMemoryStore()
	}
	m := e.manager()
	if err := m.Configure(context.Background(), []spa.Config{cfg("a")}); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLogoffAndRevokeTokensRevokesThenEndsTheSessionAtTheProvider: the
// refresh token is revoked first (it outlives the access token), then the
// access token, then the end-session URL carries the ID token of the session
// that just ended (docs/DESIGN.md, "Sessions across windows").
func TestLogoffAndRevokeTokensRevokesThenEndsTheSessionAtTheProvider(t *testing.T) {
	e := newEnv(t)
	s := e.login("a")
	var mu sync.Mutex
	var order []string
	e.op.Handle("POST /revoke", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		defer mu.Unlock()
		switch r.PostForm.Get("token") {
		case s.RefreshToken:
			order = append(order, "refresh_token")
		case s.AccessToken:
			order = append(order, "access_token")
		default:
			order = append(order, "another token")
		}
		if r.PostForm.Get("token_type_hint") != order[len(order)-1] {
			order = append(order, "wrong hint "+r.PostForm.Get("token_type_hint"))
		}
	})
	raw, err := e.m.LogoffAndRevokeTokens(context.Background(), "a", spa.EndSessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, " "); got != "refresh_token access_token" {
		t.Errorf("revocations: %q, want refresh_token then access_token", got)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Path != "/logout" || u.Query().Get("id_token_hint") != s.IDToken {
		t.Errorf("end-session URL %q, want /logout with the ended session's id_token_hint", raw)
	}
	if e.m.IsAuthenticated("a") {
		t.Error("still signed in")
	}
	if got := strings.Join(e.eventTypes(), " "); !strings.HasSuffix(got, "loggedOut:a") || strings.Contains(got, "error") {
		t.Errorf("events %q, want loggedOut last and no error", got)
	}
}

func TestLogoffAndRevokeTokensWithoutRevocationEndpointSaysSoAndLogsOff(t *testing.T) {
	e := newEnv(t)
	m := withoutEndpoints(t, e, "revocation_endpoint")
	e.m = m
	e.login("a")
	raw, err := m.LogoffAndRevokeTokens(context.Background(), "a", spa.EndSessionOptions{})
	wantCode(t, err, spa.CodeUnsupported)
	if !strings.Contains(err.Error(), "revocation_endpoint") {
		t.Errorf("error %q does not name what the provider lacks", err)
	}
	if raw == "" || m.IsAuthenticated("a") {
		t.Errorf("end-session URL %q, signed in %v: want the logoff done anyway", raw, m.IsAuthenticated("a"))
	}
	var found bool
	e.mu.Lock()
	for _, ev := range e.events {
		found = found || (ev.Type == spa.EventError && ev.Code == spa.CodeUnsupported && ev.ConfigID == "a")
	}
	e.mu.Unlock()
	if !found {
		t.Errorf("no error event with code %s: %v", spa.CodeUnsupported, e.eventTypes())
	}
}

// TestLogoffWithoutEndSessionEndpointEndsTheLocalSession: nothing to
// navigate to (""), and the local session is over all the same.
func TestLogoffWithoutEndSessionEndpointEndsTheLocalSession(t *testing.T) {
	e := newEnv(t)
	m := withoutEndpoints(t, e, "end_session_endpoint")
	e.m = m
	e.login("a")
	raw, err := m.Logoff(context.Background(), "a", spa.EndSessionOptions{})
	if err != nil || raw != "" {
		t.Fatalf("Logoff = %q, %v; want no URL and no error", raw, err)
	}
	if m.IsAuthenticated("a") {
		t.Error("still signed in")
	}
	if _, ok := e.stores[spa.StorageSession].Get("oidcwasm.a.session"); ok {
		t.Error("the session is still stored")
	}
}

// TestRevokingTheRefreshTokenEndsTheSession: the session it renewed is over,
// so it ends here (and, through loggedOut, in every tab).
func TestRevokingTheRefreshTokenEndsTheSession(t *testing.T) {
	e := newEnv(t)
	e.login("a")
	if err := e.m.Revoke(context.Background(), "a", spa.HintRefreshToken, ""); err != nil {
		t.Fatal(err)
	}
	if e.m.IsAuthenticated("a") {
		t.Error("still signed in with a revoked refresh token")
	}
	if got := e.eventTypes(); got[len(got)-1] != "loggedOut:a" {
		t.Errorf("events %v, want loggedOut last", got)
	}
	// A token given explicitly is only revoked: the session is the caller's business.
	s := e.login("a")
	if err := e.m.Revoke(context.Background(), "a", spa.HintRefreshToken, "some-other-token"); err != nil {
		t.Fatal(err)
	}
	if cur, _ := e.m.Session("a"); cur == nil || cur.RefreshToken != s.RefreshToken {
		t.Error("revoking another token changed the session")
	}
}

// TestRestoreRenewalErrorKeepsItsCode: a reload whose stale session fails to
// renew reports the renewal's *Error itself, not only its text, so Go callers
// can errors.As it.
func TestRestoreRenewalErrorKeepsItsCode(t *testing.T) {
	e := newEnv(t)
	c := cfg("a")
	c.UseRefreshToken = true
	m := e.manager()
	if err := m.Configure(context.Background(), []spa.Config{c}); err != nil {
		t.Fatal(err)
	}
	e.m = m
	e.login("a")
	e.op.RevokeRefreshTokens()
	e.clk.Advance(2 * time.Hour) // stale: the restore renews, and the provider refuses
	m2 := e.manager()
	if err := m2.Configure(context.Background(), []spa.Config{c}); err != nil {
		t.Fatal(err)
	}
	res, err := m2.CheckAuth(context.Background(), "https://app.example/")
	if err != nil {
		t.Fatal(err)
	}
	var se *spa.Error
	if len(res) != 1 || !errors.As(res[0].Err, &se) || se.Code != "invalid_grant" || se.ConfigID != "a" || res[0].ErrorMessage != res[0].Err.Error() {
		t.Fatalf("restore result %+v, want Err an *spa.Error with code invalid_grant", res)
	}
}

// TestLogoffAndRevokeTokensReportsAFailedRevocationOfAnyToken: a provider that
// refuses to revoke one token (the access token, or a per-API token) is
// reported to the caller, whichever token it was, and the logoff still goes
// on.
func TestLogoffAndRevokeTokensReportsAFailedRevocationOfAnyToken(t *testing.T) {
	for _, failing := range []string{"login access token", "per-API token"} {
		t.Run(failing, func(t *testing.T) {
			e := newEnv(t, apiConfig())
			s := e.login("a")
			api, err := e.m.AccessTokenFor(context.Background(), "a", spa.TokenOptions{Resource: orders, Scope: "orders.read"})
			if err != nil {
				t.Fatal(err)
			}
			refuse := s.AccessToken
			if failing == "per-API token" {
				refuse = api
			}
			e.op.Handle("POST /revoke", func(w http.ResponseWriter, r *http.Request) {
				r.ParseForm()
				if r.PostForm.Get("token") == refuse {
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			})
			_, err = e.m.LogoffAndRevokeTokens(context.Background(), "a", spa.EndSessionOptions{})
			if err == nil {
				t.Errorf("the refused revocation of the %s was not reported", failing)
			}
			if e.m.IsAuthenticated("a") {
				t.Error("still signed in")
			}
		})
	}
}
