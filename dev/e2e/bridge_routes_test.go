package e2e

import (
	"slices"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/demo"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// TestFetchSendsEachConfigsTokenToItsOwnRouteAndNoneToLookAlikes protects
// the secure-route rule end to end: API A gets a's token, API B gets b's,
// API C a's token for its own resource, and the unlisted URL and every look-alike of a route (sibling path, the
// same server under 127.0.0.1, the same host on another port) get no
// Authorization header at all, as the servers saw it.
func TestFetchSendsEachConfigsTokenToItsOwnRouteAndNoneToLookAlikes(t *testing.T) {
	tab := env.NewTab(t)
	tokA, tokB := signInBoth(t, tab)
	tokC := e2etest.Eval[string](tab, `oidc.getAccessToken("a", {resource: `+e2etest.MustJSON(apiC())+`, scope: "`+demo.APICScope+`"})`)
	want := map[string]string{ // target -> the fingerprint that must arrive ("" = no header)
		demo.TargetAPIA:      demo.Fingerprint(tokA),
		demo.TargetAPIB:      demo.Fingerprint(tokB),
		demo.TargetAPIC:      demo.Fingerprint(tokC),
		demo.TargetUnlisted:  "",
		demo.TargetSibling:   "",
		demo.TargetIPHost:    "",
		demo.TargetOtherPort: "",
	}
	for _, target := range env.Demo.Settings().Requests {
		t.Run(target.ID, func(t *testing.T) {
			tab := tab.In(t)
			env.Demo.ResetRequests()
			// matchRoute agrees with what fetch does.
			route := e2etest.Eval[*string](tab, `oidc.matchRoute(`+e2etest.MustJSON(target.URL)+`)`)
			if got := deref(route); got != target.ConfigID {
				t.Errorf("matchRoute(%s) = %q, want %q", target.URL, got, target.ConfigID)
			}
			r := tab.Fetch(e2etest.MustJSON(target.URL), "")
			seen := env.Demo.Requests()
			if len(seen) != 1 {
				t.Fatalf("the servers saw %d requests, want 1", len(seen))
			}
			fp := want[target.ID]
			if fp == "" {
				if seen[0].Authorization != demo.AuthNone || r.Body.Authorization != demo.AuthNone {
					t.Errorf("%s got an Authorization header (%s, token #%s); want none", target.URL, seen[0].Authorization, seen[0].Fingerprint)
				}
				return
			}
			if r.Status != 200 || seen[0].Authorization != demo.AuthValid || seen[0].Fingerprint != fp {
				t.Errorf("%s: status %d, %s token #%s (%s); want config %s's valid token #%s",
					target.URL, r.Status, seen[0].Authorization, seen[0].Fingerprint, seen[0].Reason, target.ConfigID, fp)
			}
			aud := env.Configs()[slices.IndexFunc(env.Configs(), func(c demo.ClientConfig) bool { return c.ConfigID == target.ConfigID })].ClientID
			if target.ID == demo.TargetAPIC {
				aud = apiC() // its own audience (RFC 8707)
			}
			if !slices.Contains(r.Body.Audience, aud) {
				t.Errorf("%s: aud %v, want %s", target.URL, r.Body.Audience, aud)
			}
		})
	}
}

// TestFetchTakesRequestAndURLObjectsAndMatchesTheirRoutes: the input forms
// of window.fetch all reach the route table.
func TestFetchTakesRequestAndURLObjectsAndMatchesTheirRoutes(t *testing.T) {
	tab := env.NewTab(t)
	tokA, tokB := signInBoth(t, tab)
	apiA, apiB := e2etest.MustJSON(env.Target(demo.TargetAPIA)), e2etest.MustJSON(env.Target(demo.TargetAPIB))
	sibling := e2etest.MustJSON(env.Target(demo.TargetSibling))
	tests := []struct {
		name, input, init string
		fingerprint       string // "" = no header
	}{
		{"Request to API A", `new Request(` + apiA + `)`, "", demo.Fingerprint(tokA)},
		{"URL object to API B", `new URL(` + apiB + `)`, "", demo.Fingerprint(tokB)},
		{"relative URL to API A", `"/api/a/relative"`, "", demo.Fingerprint(tokA)},
		{"POST Request with a body to API A", `new Request(` + apiA + `, {method: "POST", body: "hello"})`, "", demo.Fingerprint(tokA)},
		{"string and init with headers to API B", apiB, `{headers: {"X-Demo": "1"}}`, demo.Fingerprint(tokB)},
		{"Request to the sibling path", `new Request(` + sibling + `)`, "", ""},
		{"URL object to the sibling path", `new URL(` + sibling + `)`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := tab.In(t)
			env.Demo.ResetRequests()
			r := tab.Fetch(tt.input, tt.init)
			seen := env.Demo.Requests()
			if len(seen) != 1 {
				t.Fatalf("the servers saw %d requests, want 1", len(seen))
			}
			if tt.fingerprint == "" {
				if seen[0].Authorization != demo.AuthNone {
					t.Errorf("got a token (#%s), want none", seen[0].Fingerprint)
				}
				return
			}
			if r.Status != 200 || seen[0].Fingerprint != tt.fingerprint {
				t.Errorf("status %d, token #%s (%s); want 200 with #%s", r.Status, seen[0].Fingerprint, seen[0].Reason, tt.fingerprint)
			}
		})
	}
	for _, tt := range []struct{ expr, want string }{
		{`oidc.matchRoute(new URL(` + apiA + `))`, "a"},
		{`oidc.matchRoute(new URL(` + apiB + `))`, "b"},
		{`oidc.matchRoute("/api/a/x")`, "a"},
		{`oidc.matchRoute(new URL(` + sibling + `))`, ""},
		{`oidc.matchRoute(` + apiA + `.replace("http://", "http://user@"))`, ""}, // userinfo never matches
	} {
		if got := deref(e2etest.Eval[*string](tab, tt.expr)); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
