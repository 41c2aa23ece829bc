package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

func TestRenewInTwoTabsSharingLocalStorageMakesOneTokenRequestPerExpiry(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// without is what tab 2's test page takes away before oidc.js runs;
		// both, whether tab 1's does too.
		without string
		both    bool
	}{
		{name: "with BroadcastChannel"},
		// Tab 2 hears nothing from tab 1: the renewal lock and reading the
		// store again under it must do all the work.
		{name: "without BroadcastChannel in tab 2", without: "broadcastchannel"},
		// An engine without Web Locks (old browsers, insecure contexts): the
		// lock of the tabs is web.StorageLocks, in localStorage.
		{name: "without Web Locks in either tab", without: "locks", both: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			const lifetime = 4 * time.Second
			p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: lifetime})
			cfg := p.Config("l", map[string]any{"scope": refreshScope, "useRefreshToken": true, "storage": "local"})
			tab1 := signedIn(t, env.NewTab(t), cfg)
			if c.both {
				tab1.OpenTestPageWithout(c.without)
				e2etest.Eval[any](tab1, pageRecorder)
				tab1.Configure(cfg)
				if res := tab1.CheckAuth(); !res["l"].IsAuthenticated {
					t.Fatalf("tab 1 does not restore its session without %s: %+v", c.without, res["l"])
				}
			}
			// A second tab of the same browser profile: same localStorage, Web
			// Locks and BroadcastChannel. It restores the session tab 1 signed in.
			tab2 := tab1.NewTabInSameContext(t)
			if c.without != "" {
				tab2.OpenTestPageWithout(c.without)
			} else {
				tab2.OpenTestPage()
			}
			e2etest.Eval[any](tab2, pageRecorder)
			logOnFailure(t, p, tab1, tab2)
			tab2.Configure(cfg)
			if res := tab2.CheckAuth(); !res["l"].IsAuthenticated {
				t.Fatalf("tab 2 does not restore the shared session: %+v", res["l"])
			}
			// Tab 2 restored tab 1's session, not one of its own: the one
			// sign-in is all the authorization the provider saw. (Comparing
			// the tabs' tokens here would race the first renewal: on a loaded
			// machine the setup outlasts the 4-second token.)
			if n := p.Counts()["authorize"]; n != 1 {
				t.Fatalf("%d authorization requests before the renewals, want tab 1's sign-in only", n)
			}
			before, logStart := p.Counts(), len(p.Log())

			// Both tabs keep asking for the token across two expiries, and both
			// renew automatically at the same moment: every renewal is a race.
			startTokenLoop(tab1, "l")
			startTokenLoop(tab2, "l")
			const twoRenewals = `loop.seen.length >= 3 || loop.errors.length > 0 || loop.signedOut > 0`
			waitUntil(t, tab1, "two renewals seen by tab 1", twoRenewals, renewWait)
			waitUntil(t, tab2, "two renewals seen by tab 2", twoRenewals, 5*time.Second)
			loop1, loop2 := stopTokenLoop(t, tab1), stopTokenLoop(t, tab2)

			for i, l := range []loopResult{loop1, loop2} {
				if len(l.Errors) > 0 || l.SignedOut > 0 {
					t.Errorf("tab %d: %d getAccessToken rejections (first: %v), isAuthenticated false %d times", i+1, len(l.Errors), firstOf(l.Errors), l.SignedOut)
				}
			}
			// One request per expiry. The schedulers go on renewing while the
			// loops stop, so the count is not fixed; what a second request for
			// the same expiry would look like is: a replay of the rotated
			// refresh token (invalid_grant, below), or a refresh sent right
			// after the other tab's, within the renewal lock's hold instead of
			// a token lifetime later. When a request was sent is the tab's
			// account (expires_in counts from it, and each answer's expiresAt
			// reaches both tabs): arrival at the provider is not, since a
			// loaded machine delays a request on its way by seconds.
			refreshes := refreshTimes(since(p, logStart))
			if len(refreshes) < 2 {
				t.Errorf("%d refresh-token requests for the two renewals the tabs saw", len(refreshes))
			}
			expiries := renewedExpiries(t, len(refreshes), tab1, tab2)
			for i := 1; i < len(expiries); i++ {
				if gap := expiries[i].Sub(expiries[i-1]); gap < lifetime/4 {
					t.Errorf("renewals %d and %d were sent %v apart, not a token lifetime: two tabs renewed the same expiry", i, i+1, gap)
				}
			}
			// Told of each renewal at once, the tabs go through the same tokens
			// (one of them may run on past the other: the loops stop one after
			// the other). Without the channel, tab 2 learns of tab 1's renewals
			// only when it reads the store again, and may skip one.
			if c.without != "broadcastchannel" && !isPrefix(loop1.Seen, loop2.Seen) && !isPrefix(loop2.Seen, loop1.Seen) {
				t.Errorf("the tabs went through different tokens (%d and %d): the renewals were not shared", len(loop1.Seen), len(loop2.Seen))
			}
			for _, x := range tokenExchanges(since(p, logStart)) {
				if x != "refresh_token 200" {
					t.Errorf("token request %q: want only successful refreshes (a second tab refreshing the rotated token gets invalid_grant)", x)
				}
			}
			if n := delta(p, before, "authorize"); n != 0 {
				t.Errorf("%d authorization requests, want none", n)
			}
			// They end on one token: at once when told of each renewal, or
			// once tab 2 reads the store again (within a token lifetime).
			converged := false
			for deadline := time.Now().Add(lifetime); !converged && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				converged = accessToken(tab1, "l") == accessToken(tab2, "l")
			}
			if !converged {
				t.Errorf("the tabs end with different access tokens")
			}
		})
	}
}

func TestRenewInDuplicatedTabNeverReplaysTheRotatedRefreshToken(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: time.Minute})
	// storage: session. The test renews by hand, at the moments it chooses.
	cfg := p.Config("d", map[string]any{"scope": refreshScope, "useRefreshToken": true, "silentRenew": false})
	tab1 := signedIn(t, env.NewTab(t), cfg)
	s1 := stored(tab1, "sessionStorage", "d")
	if s1 == nil || s1.RefreshToken == "" {
		t.Fatalf("tab 1 has no refresh token in sessionStorage: %+v", s1)
	}

	// The browser's "Duplicate tab": a new tab of the same profile that starts
	// with a copy of the first tab's sessionStorage (the tab guard's ID
	// included), before the bridge loads in it.
	copied := e2etest.Eval[map[string]string](tab1,
		`Object.fromEntries(Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)]))`)
	const tabIDKey = "oidcwasm:oidcwasm.tab.id"
	if copied[tabIDKey] == "" {
		t.Fatalf("tab 1's sessionStorage has no tab ID (%s) to copy", tabIDKey)
	}
	tab2 := tab1.NewTabInSameContext(t)
	// The app's origin, without the bridge (an HTML page: Firefox shows JSON
	// in a viewer of its own, whose storage is not the page's).
	tab2.Open(env.AppURL() + e2etest.TestPagePath + "blank.html")
	e2etest.Eval[any](tab2, `(() => { for (const [k, v] of Object.entries(`+e2etest.MustJSON(copied)+`)) sessionStorage.setItem(k, v); })()`)
	tab2.OpenTestPage()
	e2etest.Eval[any](tab2, pageRecorder)
	logOnFailure(t, p, tab1, tab2)
	tab2.Configure(cfg)
	if res := tab2.CheckAuth(); !res["d"].IsAuthenticated {
		t.Fatalf("the duplicated tab does not restore the copied session: %+v", res["d"])
	}
	if s2 := stored(tab2, "sessionStorage", "d"); s2 == nil || s2.RefreshToken != "" || s2.AccessToken != s1.AccessToken {
		t.Errorf("the duplicated tab's session: want the copied access token and no refresh token")
	}
	if s := stored(tab1, "sessionStorage", "d"); s == nil || s.RefreshToken != s1.RefreshToken {
		t.Errorf("the original tab lost its refresh token")
	}
	tabID := `sessionStorage.getItem(` + e2etest.MustJSON(tabIDKey) + `)`
	if id1, id2 := e2etest.Eval[string](tab1, tabID), e2etest.Eval[string](tab2, tabID); id1 == id2 {
		t.Errorf("both tabs keep the tab ID %q", id1)
	}
	before, logStart := p.Counts(), len(p.Log())

	// Both renew at once: the original by refresh token, the copy by iframe,
	// since it has none. Then both again, each with its own refresh token now
	// (the copy got one from its iframe renewal).
	renewBoth := func(round int) {
		t.Helper()
		for _, tab := range []*e2etest.Tab{tab1, tab2} {
			e2etest.Eval[any](tab, `void (window.renewal = oidc.forceRefreshSession("d").then(() => "ok", (e) => e2e.error(e).code))`)
		}
		for i, tab := range []*e2etest.Tab{tab1, tab2} {
			if got := e2etest.Eval[string](tab, `window.renewal`); got != "ok" {
				t.Errorf("round %d, tab %d: forceRefreshSession: %s", round, i+1, got)
			}
		}
	}
	renewBoth(1)
	for i, c := range []struct {
		tab    *e2etest.Tab
		method string
	}{{tab1, "refresh_token"}, {tab2, "iframe"}} {
		evs := events(c.tab, "silentRenewStarted", "silentRenewFailed")
		if len(evs) != 1 || evs[0].Type != "silentRenewStarted" || evs[0].Detail["method"] != c.method {
			t.Errorf("tab %d: events %s, want one silentRenewStarted/%s", i+1, describe(evs), c.method)
		}
	}
	if r, c := delta(p, before, "token:refresh_token"), delta(p, before, "token:authorization_code"); r != 1 || c != 1 {
		t.Errorf("round 1: %d refreshes and %d code exchanges, want 1 and 1", r, c)
	}
	if s := stored(tab2, "sessionStorage", "d"); s == nil || s.RefreshToken == "" {
		t.Fatalf("the duplicated tab has no refresh token of its own after its iframe renewal")
	}
	renewBoth(2)
	for i, tab := range []*e2etest.Tab{tab1, tab2} {
		if evs := events(tab, "silentRenewStarted"); len(evs) != 2 || evs[1].Detail["method"] != "refresh_token" {
			t.Errorf("round 2, tab %d: silentRenewStarted events %s, want the second by refresh token", i+1, describe(evs))
		}
	}
	if r := delta(p, before, "token:refresh_token"); r != 3 {
		t.Errorf("%d refreshes in all, want 3", r)
	}
	var bad []string
	for _, x := range tokenExchanges(since(p, logStart)) {
		if !strings.HasSuffix(x, " 200") {
			bad = append(bad, x)
		}
	}
	if len(bad) > 0 {
		t.Errorf("token requests refused: %q; a replayed refresh token gets invalid_grant", bad)
	}
	if tok1, tok2 := accessToken(tab1, "d"), accessToken(tab2, "d"); tok1 == tok2 {
		t.Errorf("the tabs hold the same access token after renewing each on their own")
	}
	for i, tab := range []*e2etest.Tab{tab1, tab2} {
		if !isAuthenticated(tab, "d") {
			t.Errorf("tab %d signed out", i+1)
		}
	}
}
