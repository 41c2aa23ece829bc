package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/demo"
	"github.com/oidcwasm/oidcwasm/dev/devop"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// TestRevokedTokenGets401AndFetchRenewsOnceAndRetriesOnce follows the
// contract of oidc.fetch: a 401 with a Bearer challenge (error=
// "invalid_token") makes it renew once and retry once. Config a renews with
// its refresh token, b through the hidden iframe.
func TestRevokedTokenGets401AndFetchRenewsOnceAndRetriesOnce(t *testing.T) {
	tab := env.NewTab(t)
	signInBoth(t, tab)
	for _, tt := range []struct {
		configID, target, method string
		provider                 *devop.Server
		renewals                 string // the provider count that goes up by one per renewal
	}{
		{"a", demo.TargetAPIA, "refresh_token", env.A, "token:refresh_token"},
		{"b", demo.TargetAPIB, "iframe", env.B, "authorize"},
	} {
		t.Run(tt.configID, func(t *testing.T) {
			tab := tab.In(t)
			id, api := e2etest.MustJSON(tt.configID), e2etest.MustJSON(env.Target(tt.target))
			old := e2etest.Eval[string](tab, `oidc.getAccessToken(`+id+`)`)
			// Revoke this very token at the provider; the session keeps it.
			e2etest.Eval[any](tab, `oidc.revokeAccessToken(`+id+`, `+e2etest.MustJSON(old)+`)`)

			// The API refuses it: its signature is fine, the provider says revoked.
			r := tab.PlainFetch(api, `{headers: {Authorization: "Bearer " + `+e2etest.MustJSON(old)+`}}`)
			if r.Status != 401 || r.Body.Authorization != demo.AuthInvalid || !strings.Contains(r.Body.Reason, "revoked") ||
				!strings.Contains(r.Challenge, `Bearer`) || !strings.Contains(r.Challenge, `error="invalid_token"`) {
				t.Fatalf("revoked token at the API: %d %q %+v", r.Status, r.Challenge, r.Body)
			}

			env.Demo.ResetRequests()
			renewals := tt.provider.Counts()[tt.renewals]
			eventsBefore := len(tab.Events())
			r = tab.Fetch(api, "")
			fresh := e2etest.Eval[string](tab, `oidc.getAccessToken(`+id+`)`)
			if fresh == old {
				t.Fatal("the session still holds the revoked token")
			}
			if r.Status != 200 || r.Body.Authorization != demo.AuthValid || r.Body.Fingerprint != demo.Fingerprint(fresh) {
				t.Errorf("oidc.fetch after the revocation: %d %+v; want 200 with the renewed token", r.Status, r.Body)
			}
			seen := env.Demo.Requests()
			var got []string
			for _, s := range seen {
				got = append(got, s.Authorization+" #"+s.Fingerprint)
			}
			if want := []string{"invalid #" + demo.Fingerprint(old), "valid #" + demo.Fingerprint(fresh)}; !slices.Equal(got, want) {
				t.Errorf("the API saw %v, want %v (the revoked token, then the renewed one)", got, want)
			}
			if n := tt.provider.Counts()[tt.renewals] - renewals; n != 1 {
				t.Errorf("%d renewals (%s), want exactly 1", n, tt.renewals)
			}
			var types []string
			for _, ev := range tab.Events()[eventsBefore:] {
				if ev.Detail["configId"] == tt.configID {
					types = append(types, ev.Type)
					if ev.Type == "silentRenewStarted" && ev.Detail["method"] != tt.method {
						t.Errorf("silentRenewStarted method %v, want %s", ev.Detail["method"], tt.method)
					}
				}
			}
			if want := []string{"silentRenewStarted", "tokenRefreshed"}; !slices.Equal(types, want) {
				t.Errorf("events %v, want %v", types, want)
			}
		})
	}
}

// TestFetchRetriesOnlyOnceAndHandsBackTheSecond401: when the renewed token
// is refused too, oidc.fetch does not loop.
func TestFetchRetriesOnlyOnceAndHandsBackTheSecond401(t *testing.T) {
	tab := env.NewTab(t)
	signInBoth(t, tab)
	if err := env.Demo.RejectNext("A", 2); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Demo.RejectNext("A", 0) })
	env.Demo.ResetRequests()
	refreshes := env.A.Counts()["token:refresh_token"]

	r := tab.Fetch(e2etest.MustJSON(env.Target(demo.TargetAPIA)), "")
	if r.Status != 401 || !strings.Contains(r.Challenge, `error="invalid_token"`) {
		t.Errorf("oidc.fetch = %d %q, want the second 401 as it is", r.Status, r.Challenge)
	}
	if n := len(env.Demo.Requests()); n != 2 {
		t.Errorf("API A got %d requests, want 2 (one try, one retry)", n)
	}
	if n := env.A.Counts()["token:refresh_token"] - refreshes; n != 1 {
		t.Errorf("%d renewals, want 1", n)
	}
}

// TestRevokeAccessTokenDropsItAndTheNextFetchRenewsFirst: without a token
// argument the session's token is revoked and dropped, so the next request
// carries a renewed one straight away.
func TestRevokeAccessTokenDropsItAndTheNextFetchRenewsFirst(t *testing.T) {
	tab := env.NewTab(t)
	tokA, _ := signInBoth(t, tab)
	e2etest.Eval[any](tab, `oidc.revokeAccessToken("a")`)

	api := e2etest.MustJSON(env.Target(demo.TargetAPIA))
	if r := tab.PlainFetch(api, `{headers: {Authorization: "Bearer " + `+e2etest.MustJSON(tokA)+`}}`); r.Status != 401 || !strings.Contains(r.Body.Reason, "revoked") {
		t.Errorf("the revoked token at API A: %d %+v, want 401 revoked", r.Status, r.Body)
	}
	env.Demo.ResetRequests()
	r := tab.Fetch(api, "")
	seen := env.Demo.Requests()
	if r.Status != 200 || len(seen) != 1 || seen[0].Fingerprint == demo.Fingerprint(tokA) {
		t.Errorf("oidc.fetch after revokeAccessToken: %d, API saw %d requests; want one request with a new token", r.Status, len(seen))
	}
	if !e2etest.Eval[bool](tab, `oidc.isAuthenticated("a")`) {
		t.Error("a signed out by revoking its access token")
	}
}

// TestFetchHandsBackThe401WhenItsRenewalFails: the renewal a 401 triggers
// fails (the token endpoint answers 500): oidc.fetch resolves with the 401
// it got, as a fetch wrapper should, and silentRenewFailed says why.
func TestFetchHandsBackThe401WhenItsRenewalFails(t *testing.T) {
	tab := env.NewTab(t)
	signInBoth(t, tab)
	if err := env.Demo.RejectNext("A", 1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Demo.RejectNext("A", 0) })
	if err := env.A.FailNextToken(1, devop.FailStatus500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.A.FailNextToken(0, devop.FailStatus500) })
	env.Demo.ResetRequests()

	r := tab.Fetch(e2etest.MustJSON(env.Target(demo.TargetAPIA)), "")
	if r.Status != 401 || !strings.Contains(r.Challenge, `error="invalid_token"`) {
		t.Errorf("oidc.fetch = %d %q, want the first 401 as it is", r.Status, r.Challenge)
	}
	if n := len(env.Demo.Requests()); n != 1 {
		t.Errorf("API A got %d requests, want 1 (no retry without a renewed token)", n)
	}
	failed := false
	for _, e := range tab.Events() {
		failed = failed || e.Type == "silentRenewFailed"
	}
	if !failed {
		t.Errorf("no silentRenewFailed event after the failed renewal; events %v", tab.Events())
	}
}
