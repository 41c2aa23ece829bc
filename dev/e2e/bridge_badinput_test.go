package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/demo"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// snapshot is what a rejected call must leave as it was.
type snapshot struct {
	TokA, TokB string
	AuthA      bool
	AuthB      bool
	RouteA     *string
	RouteB     *string
	Storage    string
}

func takeSnapshot(tab *e2etest.Tab) snapshot {
	tab.T.Helper()
	return e2etest.Eval[snapshot](tab, `(async () => ({
  TokA: await oidc.getAccessToken("a"), TokB: await oidc.getAccessToken("b"),
  AuthA: await oidc.isAuthenticated("a"), AuthB: await oidc.isAuthenticated("b"),
  RouteA: oidc.matchRoute(`+e2etest.MustJSON(env.Target(demo.TargetAPIA))+`),
  RouteB: oidc.matchRoute(`+e2etest.MustJSON(env.Target(demo.TargetAPIB))+`),
  Storage: JSON.stringify(Object.entries(sessionStorage).sort()),
}))()`)
}

func (s snapshot) diff(o snapshot) string {
	var d []string
	if s.TokA != o.TokA || s.TokB != o.TokB {
		d = append(d, "access tokens changed")
	}
	if s.AuthA != o.AuthA || s.AuthB != o.AuthB {
		d = append(d, fmt.Sprintf("isAuthenticated a %v→%v, b %v→%v", s.AuthA, o.AuthA, s.AuthB, o.AuthB))
	}
	if deref(s.RouteA) != deref(o.RouteA) || deref(s.RouteB) != deref(o.RouteB) {
		d = append(d, fmt.Sprintf("routes %q %q → %q %q", deref(s.RouteA), deref(s.RouteB), deref(o.RouteA), deref(o.RouteB)))
	}
	if s.Storage != o.Storage {
		d = append(d, "sessionStorage changed")
	}
	return strings.Join(d, "; ")
}

// TestConfigureRejectsBadConfigsNamingConfigAndFieldAndKeepsThePreviousSet
// feeds configure one broken config at a time, built in the page from the
// good ones, and checks each is an OidcError invalid_config naming the
// config and the field, and that the configs in force, the sessions and
// the routes stay as they were.
func TestConfigureRejectsBadConfigsNamingConfigAndFieldAndKeepsThePreviousSet(t *testing.T) {
	tab := env.NewTab(t)
	signInBoth(t, tab)
	e2etest.Eval[any](tab, `(window.good = `+e2etest.MustJSON(env.Configs())+`, null)`)
	before := takeSnapshot(tab)
	tests := []struct {
		name     string
		configs  string // JS expression; a and b are copies of the good configs
		configID string
		field    string
		message  string
	}{
		{"missing authority", `(delete a.authority, [a, b])`, "a", "authority", "required"},
		{"missing clientId", `(delete b.clientId, [a, b])`, "b", "clientId", "required"},
		{"missing redirectUrl", `(delete a.redirectUrl, [a, b])`, "a", "redirectUrl", "required"},
		{"authority not a URL", `(a.authority = "not a url", [a, b])`, "a", "authority", "not an absolute"},
		{"authority a URL object", `(a.authority = new URL(a.authority), [a, b])`, "a", "authority", "URL object"},
		{"clientId a number", `(b.clientId = 42, [a, b])`, "b", "clientId", "must be a string"},
		{"redirectUrl with a fragment", `(a.redirectUrl += "#x", [a, b])`, "a", "redirectUrl", "fragment"},
		{"scope without openid", `(a.scope = "profile", [a, b])`, "a", "scope", "openid"},
		{"implicit flow", `(b.responseType = "id_token token", [a, b])`, "b", "responseType", "not supported"},
		{"storage unknown", `(a.storage = "cookie", [a, b])`, "a", "storage", "cookie"},
		{"timeoutFactor above 1", `(a.timeoutFactor = 1.5, [a, b])`, "a", "timeoutFactor", "outside"},
		{"secureRoutes a string", `(a.secureRoutes = a.secureRoutes[0], [a, b])`, "a", "secureRoutes", "array"},
		{"secureRoutes holding a URL object", `(a.secureRoutes = [new URL(a.secureRoutes[0])], [a, b])`, "a", "secureRoutes[0]", "URL object"},
		{"secureRoutes with a query", `(b.secureRoutes = [b.secureRoutes[0] + "?x=1"], [a, b])`, "b", "secureRoutes[0]", "not a valid secure route"},
		{"two configs claiming one route", `(b.secureRoutes = [a.secureRoutes[0] + "/"], [a, b])`, "", "secureRoutes[0]", "same route"},
		{"a typo'd field name", `(a.clientID = a.clientId, [a, b])`, "a", "clientID", "not a config field"},
		{"silentRenew not a boolean", `(b.silentRenew = "no", [a, b])`, "b", "silentRenew", "true or false"},
		{"two configs without configId", `(delete a.configId, delete b.configId, [a, b])`, "", "configs[0].configId", "required"},
		{"two configs with one configId", `(b.configId = "a", [a, b])`, "a", "configId", "two configs"},
		{"not an object", `"http://localhost/"`, "", "configs", "config object"},
		{"an empty array", `[]`, "", "configs", "at least one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := tab.In(t)
			err := tab.Reject(`(() => { const a = structuredClone(good[0]), b = structuredClone(good[1]); return oidc.configure(` + tt.configs + `); })()`)
			if err.Name != "OidcError" || !err.IsError || err.Code != "invalid_config" || err.Field != tt.field ||
				(tt.configID != "" && err.ConfigID != tt.configID) || !strings.Contains(err.Message, tt.message) {
				t.Errorf("got %v; want an OidcError invalid_config for config %q, field %q, saying %q", err, tt.configID, tt.field, tt.message)
			}
			if tt.configID != "" && !strings.Contains(err.Message, `"`+tt.configID+`"`) {
				t.Errorf("message %q does not name config %q", err.Message, tt.configID)
			}
			if d := before.diff(takeSnapshot(tab)); d != "" {
				t.Errorf("the rejected configure changed things: %s", d)
			}
		})
	}
	// A good configure again replaces the set and keeps the sessions of
	// configs with the same ID, authority and client.
	e2etest.Eval[any](tab, `oidc.configure(good)`)
	if d := before.diff(takeSnapshot(tab)); d != "" {
		t.Errorf("configuring the same configs again changed things: %s", d)
	}
}

// TestUnknownConfigIDIsRejectedByEveryMethodAndChangesNothing.
func TestUnknownConfigIDIsRejectedByEveryMethodAndChangesNothing(t *testing.T) {
	tab := env.NewTab(t)
	signInBoth(t, tab)
	before := takeSnapshot(tab)
	for _, call := range []string{
		`oidc.getAccessToken("nope")`, `oidc.getIdToken("nope")`, `oidc.getUserData("nope")`,
		`oidc.isAuthenticated("nope")`, `oidc.forceRefreshSession("nope")`, `oidc.revokeAccessToken("nope")`,
		`oidc.revokeRefreshToken("nope")`, `oidc.logoffLocal("nope")`, `oidc.logoffAndRevokeTokens("nope")`,
		`oidc.logoff("nope")`, `oidc.authorize("nope")`,
	} {
		err := tab.Reject(call)
		if err.Name != "OidcError" || err.Code != "invalid_config" || err.ConfigID != "nope" || err.Field != "configId" {
			t.Errorf("%s: %v; want invalid_config naming configId nope", call, err)
		}
	}
	// A configId that is not a string is refused, not turned into one.
	for _, call := range []string{`oidc.getAccessToken(1)`, `oidc.logoff({configId: "a"})`, `oidc.authorize(["a"])`} {
		if err := tab.Reject(call); err.Code != "invalid_config" || err.Field != "configId" {
			t.Errorf("%s: %v; want invalid_config for field configId", call, err)
		}
	}
	if d := before.diff(takeSnapshot(tab)); d != "" {
		t.Errorf("the rejected calls changed things: %s", d)
	}
	if loc := tab.Location(); loc != env.TestPageURL() {
		t.Errorf("the page navigated to %s", redact(loc))
	}
}

// TestCheckAuthWithAForgedStateRejectsSendsNothingAndChangesNothing: an
// authorization response that matches no pending transaction is refused
// before anything goes to the provider (docs/DESIGN.md, contract details).
func TestCheckAuthWithAForgedStateRejectsSendsNothingAndChangesNothing(t *testing.T) {
	tab := env.NewTab(t)
	tab.OpenTestPage()
	tab.Configure()
	used, _ := tab.SignIn("a", "alice", "alice")
	tab.SignIn("b", "alice", "alice")
	before := takeSnapshot(tab)
	countsA, countsB := env.A.Counts(), env.B.Counts()

	forged := env.TestPageURL() + "?code=forged-code&state=forged-state&iss=" + env.A.Issuer()
	for _, tt := range []struct{ name, expr string }{
		{"given as the URL", `oidc.checkAuth(` + e2etest.MustJSON(forged) + `)`},
		{"an error response", `oidc.checkAuth(` + e2etest.MustJSON(env.TestPageURL()+"?error=access_denied&state=forged-state") + `)`},
		{"a real response used before", `oidc.checkAuth(` + e2etest.MustJSON(used) + `)`},
	} {
		if err := tab.Reject(tt.expr); err.Name != "OidcError" || err.Code != "state_mismatch" {
			t.Errorf("checkAuth %s: %v, want state_mismatch", tt.name, err)
		}
	}
	if d := before.diff(takeSnapshot(tab)); d != "" {
		t.Errorf("the forged callbacks changed things: %s", d)
	}

	// The same forged response in the address bar: rejected, and removed
	// from it all the same.
	tab.Open(forged)
	tab.WaitReady()
	tab.Configure()
	if err := tab.Reject(`oidc.checkAuth()`); err.Code != "state_mismatch" {
		t.Errorf("checkAuth() on a forged address: %v, want state_mismatch", err)
	}
	if loc := tab.Location(); loc != env.TestPageURL() {
		t.Errorf("location.href = %q after the rejected callback, want %q", redact(loc), env.TestPageURL())
	}
	if d := before.diff(takeSnapshot(tab)); d != "" {
		t.Errorf("the forged callback in the address bar changed things: %s", d)
	}
	for _, c := range []struct {
		name          string
		before, after map[string]int
	}{{"A", countsA, env.A.Counts()}, {"B", countsB, env.B.Counts()}} {
		if n := c.after["token"] - c.before["token"]; n != 0 {
			t.Errorf("provider %s got %d token requests, want none", c.name, n)
		}
	}
}

// TestCheckAuthRefusesANonStringURL: a URL object is not read as text.
func TestCheckAuthRefusesANonStringURL(t *testing.T) {
	tab := env.NewTab(t)
	tab.OpenTestPage()
	tab.Configure()
	if err := tab.Reject(`oidc.checkAuth(new URL(location.href))`); err.Code != "invalid_config" || err.Field != "url" {
		t.Errorf("checkAuth(URL object): %v, want invalid_config for field url", err)
	}
}
