package goapp

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/oidcwasm/oidcwasm/spa"
)

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
	raw, err := os.ReadFile("testdata/fetch_rules.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &table); err != nil {
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
