package e2e

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// TestFetchRulesMatchGoAppsTable runs the one table of the 401
// renew-and-retry rule, which go-app's Auth.Fetch is tested with, through
// oidc.js's own implementation in Chromium, on real Response objects.
func TestFetchRulesMatchGoAppsTable(t *testing.T) {
	raw, err := os.ReadFile("../../web/goapp/testdata/fetch_rules.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		BearerChallenge []struct {
			Status int      `json:"status"`
			Header []string `json:"header"`
			Want   bool     `json:"want"`
		} `json:"bearerChallenge"`
	}
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	if len(table.BearerChallenge) < 10 {
		t.Fatalf("%d cases, want the whole table", len(table.BearerChallenge))
	}
	tab := env.NewTab(t)
	tab.OpenTestPage()
	tab.WaitReady()
	for _, tt := range table.BearerChallenge {
		h, _ := json.Marshal(tt.Header)
		got := e2etest.Eval[bool](tab, `(() => {
  const h = new Headers();
  for (const v of `+string(h)+`) h.append("WWW-Authenticate", v);
  return __oidcwasm_boot.rules.bearerChallenge(new Response(null, {status: `+e2etest.MustJSON(tt.Status)+`, headers: h}));
})()`)
		if got != tt.Want {
			t.Errorf("oidc.js bearerChallenge(%d %q) = %v, want %v (as Auth.Fetch)", tt.Status, tt.Header, got, tt.Want)
		}
	}
}
