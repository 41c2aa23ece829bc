package e2e

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/demo"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
	"github.com/oidcwasm/oidcwasm/dev/internal/engine"
)

// TestConsoleNeverShowsATokenACodeOrAnAuthorizationHeader runs the whole
// life of two sessions in one tab (login form, callbacks, API calls, a
// revoked token with its 401 and retry, renewals by refresh token and by
// iframe, bad input, a forged callback, logoff) and then looks through
// everything the console got — the page's console calls, uncaught errors
// and the browser's own log — for any token, code or Authorization header.
func TestConsoleNeverShowsATokenACodeOrAnAuthorizationHeader(t *testing.T) {
	// The console of every frame and window and the browser's own log, and
	// every frame's addresses: what only an engine with events shows.
	env.Require(t, engine.CapConsole)
	env.Require(t, engine.CapNavigations)
	env.SetAutoLogin(t, "")
	tab := env.NewTab(t)
	tab.OpenTestPage()
	e2etest.Eval[any](tab, `console.log("e2e console marker")`)
	tab.Configure()
	tab.SignIn("a", "alice", "alice")
	tab.SignIn("b", "bob", "bob")

	secrets := map[string]bool{}
	collect := func() {
		for _, id := range []string{"a", "b"} {
			for _, fn := range []string{"getAccessToken", "getIdToken"} {
				secrets[e2etest.Eval[string](tab, `oidc.`+fn+`(`+e2etest.MustJSON(id)+`)`)] = true
			}
		}
		// Whatever the library keeps in storage (refresh tokens, PKCE
		// verifiers, nonces) is secret too.
		for _, v := range e2etest.Eval[[]string](tab, `Object.values(sessionStorage)`) {
			collectStrings(v, secrets)
		}
	}
	collect()

	for _, target := range env.Demo.Settings().Requests {
		tab.Fetch(e2etest.MustJSON(target.URL), "")
	}
	old := e2etest.Eval[string](tab, `oidc.getAccessToken("a")`)
	e2etest.Eval[any](tab, `oidc.revokeAccessToken("a", `+e2etest.MustJSON(old)+`)`)
	if r := tab.Fetch(e2etest.MustJSON(env.Target(demo.TargetAPIA)), ""); r.Status != 200 {
		t.Errorf("oidc.fetch after the revocation: %d", r.Status)
	}
	e2etest.Eval[any](tab, `oidc.forceRefreshSession("b")`)
	collect()
	tab.Reject(`oidc.configure({configId: "a"})`)
	tab.Reject(`oidc.checkAuth(location.origin + "/e2e/?code=forged&state=forged")`)
	tab.Reject(`oidc.getAccessToken("nope")`)
	tab.Navigate(`oidc.logoff("b")`)
	tab.WaitURL("the post-logout redirect", func(u *url.URL) bool {
		return strings.HasPrefix(u.String(), env.TestPageURL()) && !u.Query().Has("code")
	})
	tab.WaitReady()

	// Authorization codes and states, from every address the page and its
	// iframes were sent to.
	codes := 0
	for _, v := range tab.Visited() {
		u, err := url.Parse(v)
		if err != nil {
			continue
		}
		for _, k := range []string{"code", "state", "id_token_hint"} {
			if x := u.Query().Get(k); len(x) >= 16 {
				secrets[x] = true
				codes += map[bool]int{true: 1}[k == "code"]
			}
		}
	}
	if codes < 3 {
		t.Errorf("saw %d authorization codes, want at least 3 (two logins, one iframe renewal)", codes)
	}

	msgs := tab.Console()
	marker := false
	for _, m := range msgs {
		text := m.Text + " " + m.URL
		marker = marker || strings.Contains(text, "e2e console marker")
		for _, bad := range []string{"code=", "Bearer ", "eyJ"} {
			if strings.Contains(text, bad) {
				t.Errorf("console %s holds %q: %.200s", m.Type, bad, text)
			}
		}
		for s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("console %s holds a secret (%.8s…)", m.Type, s)
			}
		}
	}
	if !marker {
		t.Fatalf("the console marker did not arrive: the console is not being recorded (%d messages)", len(msgs))
	}
	t.Logf("%d console messages checked against %d secrets", len(msgs), len(secrets))
}

// collectStrings adds every string of 20 or more characters in a stored
// value (JSON or plain) to set.
func collectStrings(v string, set map[string]bool) {
	var x any
	if json.Unmarshal([]byte(v), &x) != nil {
		x = v
	}
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case string:
			if len(x) >= 20 && !strings.HasPrefix(x, "http") {
				set[x] = true
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(x)
}
