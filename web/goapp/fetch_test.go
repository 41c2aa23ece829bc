package goapp

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/oidcwasm/oidcwasm/spa"
)

// fetchRules is embedded: the test also runs in the browser, which has no files.
//
//go:embed testdata/fetch_rules.json
var fetchRules []byte

// The rule of oidc.fetch in wasm/oidc.js too: retry only after a 401 with a
// Bearer challenge whose error is invalid_token or absent. The cases are one
// table, testdata/fetch_rules.json, which dev/e2e runs through oidc.js.
func TestBearerChallenge(t *testing.T) {
	var table struct {
		BearerChallenge []struct {
			Status int      `json:"status"`
			Header []string `json:"header"`
			Want   bool     `json:"want"`
		} `json:"bearerChallenge"`
	}
	if err := json.Unmarshal(fetchRules, &table); err != nil {
		t.Fatal(err)
	}
	tests := table.BearerChallenge
	for _, tt := range tests {
		resp := &spa.Response{Status: tt.Status, Header: http.Header{"Www-Authenticate": tt.Header}}
		if got := bearerChallenge(resp); got != tt.Want {
			t.Errorf("%d %q: bearerChallenge = %v, want %v", tt.Status, tt.Header, got, tt.Want)
		}
	}
}
