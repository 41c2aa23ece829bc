package e2e

import (
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// TestReopenedCallbackOfASignedInConfigKeepsTheSession: the callback URL
// opened again (from history) is refused with state_mismatch and sends
// nothing; the address bar is clean afterwards, and checkAuth() again
// restores the session that was there all along (the README quickstart).
func TestReopenedCallbackOfASignedInConfigKeepsTheSession(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: time.Minute})
	cfg := p.Config("h", nil)
	tab := env.NewTab(t)
	logOnFailure(t, p, tab)
	tab.OpenTestPage()
	tab.Configure(cfg)
	callback, res := tab.SignInWith("h", "alice", "alice", cfg)
	if !res["h"].IsAuthenticated {
		t.Fatalf("sign-in: %+v", res["h"])
	}
	token := accessToken(tab, "h")
	before := len(p.Log())

	tab.Open(callback) // as "back" or a bookmark would
	tab.WaitReady()
	tab.Configure(cfg)
	if err := tab.Reject(`oidc.checkAuth()`); err.Code != "state_mismatch" {
		t.Fatalf("checkAuth on the reopened callback: %v, want state_mismatch", err)
	}
	if here := tab.Location(); here != env.TestPageURL() {
		t.Errorf("the address is %s after the refused callback, want %s", redact(here), env.TestPageURL())
	}
	if again := tab.CheckAuth(); !again["h"].IsAuthenticated {
		t.Fatalf("checkAuth() after the refusal: %+v, want the stored session", again["h"])
	}
	if accessToken(tab, "h") != token {
		t.Error("the session changed")
	}
	for _, x := range since(p, before) {
		if x.Path == "/oauth/token" {
			t.Errorf("a token request (%s) for a refused callback", x.GrantType)
		}
	}
}
