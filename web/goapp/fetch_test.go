package goapp

import (
	"net/http"
	"testing"

	"github.com/oidcwasm/oidcwasm/spa"
)

// The rule of oidc.fetch in wasm/oidc.js: retry only after a 401 with a
// Bearer challenge whose error is invalid_token or absent.
func TestBearerChallenge(t *testing.T) {
	tests := []struct {
		status int
		header []string
		want   bool
	}{
		{401, []string{`Bearer`}, true},
		{401, []string{`Bearer realm="api"`}, true},
		{401, []string{`bearer error="invalid_token", error_description="expired"`}, true},
		{401, []string{`Bearer error=invalid_token`}, true},
		{401, []string{`Bearer error_description="x", error="invalid_token"`}, true},
		{401, []string{`Bearer error="insufficient_scope"`}, false},
		{401, []string{`Bearer error="invalid_request"`}, false},
		{401, []string{`Basic realm="x"`}, false},
		{401, []string{`Basic realm="x"`, `Bearer realm="y"`}, true},
		{401, []string{`Basic realm="Bearer"`}, false},
		{401, []string{`Bearerish`}, false},
		{401, nil, false},
		{403, []string{`Bearer error="invalid_token"`}, false},
		{200, []string{`Bearer`}, false},
	}
	for _, tt := range tests {
		resp := &spa.Response{Status: tt.status, Header: http.Header{"Www-Authenticate": tt.header}}
		if got := bearerChallenge(resp); got != tt.want {
			t.Errorf("%d %q: bearerChallenge = %v, want %v", tt.status, tt.header, got, tt.want)
		}
	}
}
