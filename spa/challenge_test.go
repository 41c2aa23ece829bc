package spa

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"testing"
)

// fetchRules is embedded: spa's tests also build for the browser, which
// has no files.
//
//go:embed testdata/fetch_rules.json
var fetchRules []byte

type tokenChallengeCase struct {
	Scheme string   `json:"scheme"`
	Status int      `json:"status"`
	Header []string `json:"header"`
	Want   bool     `json:"want"`
}

// The renew-and-retry rule of Auth.Fetch and oidc.fetch (both ask
// Manager.RouteAnswer, which asks TokenChallenge). dev/e2e runs the same
// table through oidc.js in Chromium, to see each 401 reach Go intact.
func TestTokenChallenge(t *testing.T) {
	var table struct {
		TokenChallenge []tokenChallengeCase `json:"tokenChallenge"`
	}
	if err := json.Unmarshal(fetchRules, &table); err != nil {
		t.Fatal(err)
	}
	if len(table.TokenChallenge) < 15 {
		t.Fatalf("%d cases, want the whole table", len(table.TokenChallenge))
	}
	for _, tt := range table.TokenChallenge {
		resp := &Response{Status: tt.Status, Header: http.Header{"Www-Authenticate": tt.Header}}
		if got := TokenChallenge(resp, tt.Scheme); got != tt.Want {
			t.Errorf("%s %d %q: TokenChallenge = %v, want %v", tt.Scheme, tt.Status, tt.Header, got, tt.Want)
		}
	}
}
