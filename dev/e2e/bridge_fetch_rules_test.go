package e2e

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// TestFetchRulesReachGo runs the one table of the 401 renew-and-retry rule
// (spa's TestTokenChallenge) through oidc.js in Chromium: each 401 of a
// Bearer config, with its WWW-Authenticate as a real Response carries it,
// goes to Go's routeAnswer, which must say "renew" exactly for the rows the
// table says so. oidc.js keeps no rule of its own.
func TestFetchRulesReachGo(t *testing.T) {
	raw, err := os.ReadFile("../../spa/testdata/fetch_rules.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		TokenChallenge []struct {
			Scheme string   `json:"scheme"`
			Status int      `json:"status"`
			Header []string `json:"header"`
			Want   bool     `json:"want"`
		} `json:"tokenChallenge"`
	}
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	tab := env.NewTab(t)
	tab.OpenTestPage()
	tab.Configure()
	tab.SignIn("a", "alice", "alice")
	target := env.AppURL() + "/api/a/rules"
	if got := deref(e2etest.Eval[*string](tab, `oidc.matchRoute(`+e2etest.MustJSON(target)+`)`)); got != "a" {
		t.Fatalf("matchRoute(%s) = %q, want a", target, got)
	}
	// The page's window.fetch answers every call to target with the row's
	// 401 and counts them: two (after a renewal) when the rule says renew.
	n := 0
	for _, tt := range table.TokenChallenge {
		if tt.Scheme != "Bearer" {
			continue // config a is a Bearer config
		}
		n++
		h, _ := json.Marshal(tt.Header)
		calls := e2etest.Eval[int](tab, `(async () => {
  const real = globalThis.fetch;
  let calls = 0;
  globalThis.fetch = async (req, init) => {
    if (!(req instanceof Request) || req.url !== `+e2etest.MustJSON(target)+`) return real(req, init); // the renewal
    calls++;
    const h = new Headers();
    for (const v of `+string(h)+`) h.append("WWW-Authenticate", v);
    return new Response(null, {status: `+e2etest.MustJSON(tt.Status)+`, headers: h});
  };
  try {
    await oidc.fetch(`+e2etest.MustJSON(target)+`);
  } finally {
    globalThis.fetch = real;
  }
  return calls;
})()`)
		if want := map[bool]int{true: 2, false: 1}[tt.Want]; calls != want {
			t.Errorf("oidc.fetch on %d %q sent %d times, want %d (spa.TokenChallenge says renew=%v)", tt.Status, tt.Header, calls, want, tt.Want)
		}
	}
	if n < 10 {
		t.Fatalf("%d Bearer cases, want the whole table", n)
	}
}
