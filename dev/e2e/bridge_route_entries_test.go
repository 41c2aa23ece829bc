package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/demo"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// configsWithRoutes is env.Configs() with each config's secureRoutes replaced
// (entries may be strings or route objects).
func configsWithRoutes(t *testing.T, routes map[string][]any) []any {
	t.Helper()
	var out []any
	for _, c := range env.Configs() {
		raw, _ := json.Marshal(c)
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if r, ok := routes[c.ConfigID]; ok {
			m["secureRoutes"] = r
		}
		out = append(out, m)
	}
	return out
}

// TestRouteEntriesWithMethodsAndFollowRedirects: an entry's methods decide
// whose token a request gets, as the server saw it, and matchRoute agrees;
// followRedirects lets a redirect through only on its own entry.
func TestRouteEntriesWithMethodsAndFollowRedirects(t *testing.T) {
	tab := env.NewTab(t)
	tokA, tokB := signInBoth(t, tab)
	app, api := env.AppURL(), env.Demo.APIURL()
	tab.Configure(configsWithRoutes(t, map[string][]any{
		"a": {app + "/api", map[string]any{"url": app + "/api/a/follow", "followRedirects": true}},
		"b": {api + "/api/b", map[string]any{"url": app + "/api/admin", "methods": []string{"delete", "PUT"}}},
	})...)
	tab.CheckAuth()
	fp := map[string]string{demo.Fingerprint(tokA): "a", demo.Fingerprint(tokB): "b"}

	for _, tt := range []struct {
		method, url string
		want        string // whose token arrives; "" none
	}{
		{"GET", app + "/api/admin/x", "a"},
		{"DELETE", app + "/api/admin/x", "b"},
		{"PUT", app + "/api/admin", "b"},
		{"POST", app + "/api/admin/x", "a"},
		{"DELETE", app + "/api/x", "a"},
		{"DELETE", app + "/apix/admin", ""},
	} {
		env.Demo.ResetRequests()
		e2etest.Eval[int](tab, `oidc.fetch(`+e2etest.MustJSON(tt.url)+`, {method: `+e2etest.MustJSON(tt.method)+`}).then(r => r.status)`)
		seen := env.Demo.Requests()
		if len(seen) != 1 {
			t.Fatalf("%s %s: the servers saw %d requests, want 1", tt.method, tt.url, len(seen))
		}
		if got := fp[seen[0].Fingerprint]; seen[0].Authorization == demo.AuthNone && tt.want != "" || got != tt.want {
			t.Errorf("%s %s: the server got config %q's token (%s), want %q", tt.method, tt.url, got, seen[0].Authorization, tt.want)
		}
		if route := deref(e2etest.Eval[*string](tab, `oidc.matchRoute(`+e2etest.MustJSON(tt.url)+`, `+e2etest.MustJSON(tt.method)+`)`)); route != tt.want {
			t.Errorf("matchRoute(%s, %s) = %q, want %q", tt.url, tt.method, route, tt.want)
		}
	}

	redirect := func(from, to string) string {
		return fmt.Sprintf("%s?%s=302&%s=%s", from, demo.QueryRedirect, demo.QueryTo, url.QueryEscape(to))
	}
	// On the followRedirects entry the browser follows (same origin: the token goes along).
	env.Demo.ResetRequests()
	if st := e2etest.Eval[int](tab, `oidc.fetch(`+e2etest.MustJSON(redirect(app+"/api/a/follow/r", app+"/api/a/x"))+`).then(r => r.status)`); st != 200 {
		t.Errorf("a redirect on the followRedirects entry: status %d, want 200 from the target", st)
	}
	if seen := env.Demo.Requests(); len(seen) != 2 || fp[seen[1].Fingerprint] != "a" {
		t.Errorf("followRedirects: the servers saw %+v, want the redirect and its target, both with a's token", seen)
	}
	// Anywhere else on a's route the redirect is refused.
	env.Demo.ResetRequests()
	if err := tab.Reject(`oidc.fetch(` + e2etest.MustJSON(redirect(app+"/api/a/r", app+"/api/a/x")) + `)`); err.Code != "redirect_blocked" {
		t.Errorf("a redirect outside the followRedirects entry: %v, want redirect_blocked", err)
	}
	if seen := env.Demo.Requests(); len(seen) != 1 {
		t.Errorf("redirect_blocked: the servers saw %d requests, want 1 (the target never asked)", len(seen))
	}
}
