package demo

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/internal/dpop/dpoptest"
)

// TestSampleAPIsCheckDPoPProofs checks RFC 9449 §7 at the sample APIs: a
// DPoP-bound token from provider A with a good proof is accepted at API A,
// and the log says which proof came; wrong schemes, keys, jti, ath, htm
// and hosts are refused.
func TestSampleAPIsCheckDPoPProofs(t *testing.T) {
	d := startDemo(t, Config{})
	a := d.Settings().Bridge.Configs[0]
	key, other := dpoptest.NewKey(), dpoptest.NewKey()
	tok := signInWith(t, a.Authority, a.ClientID, a.RedirectURL, a.Scope, key.Proof("POST", a.Authority+"/oauth/token", "", ""))
	apiA, _ := d.Settings().Target(TargetAPIA)

	d.ResetRequests()
	proof := key.Proof("GET", apiA.URL, tok, "")
	status, _, r := call(t, "GET", apiA.URL+"?page=2", "Authorization", "DPoP "+tok, "DPoP", proof)
	if status != http.StatusOK || r.Authorization != AuthValid || r.Subject != "user-alice" {
		t.Fatalf("bound token with a good proof (query not in htu): %d %+v", status, r)
	}
	log := d.Requests()
	if len(log) != 1 || !log[0].DPoP || log[0].Scheme != "DPoP" || log[0].DPoPJKT != key.JKT()[:12] || log[0].DPoPJTI == "" || log[0].Fingerprint != Fingerprint(tok) {
		t.Errorf("request log %+v: want the DPoP scheme, the proof's short jkt %s and its jti", log, key.JKT()[:12])
	}
	for _, l := range log {
		if strings.Contains(l.Reason+l.URL+l.DPoPJTI+l.DPoPJKT, tok) {
			t.Error("the log holds the token")
		}
	}

	cases := []struct {
		name    string
		headers []string
		code    string
	}{
		{"as Bearer", []string{"Authorization", "Bearer " + tok}, "invalid_token"},
		{"as Bearer with a proof", []string{"Authorization", "Bearer " + tok, "DPoP", key.Proof("GET", apiA.URL, tok, "")}, "invalid_token"},
		{"no proof", []string{"Authorization", "DPoP " + tok}, "invalid_dpop_proof"},
		{"another key", []string{"Authorization", "DPoP " + tok, "DPoP", other.Proof("GET", apiA.URL, tok, "")}, "invalid_dpop_proof"},
		{"replayed jti", []string{"Authorization", "DPoP " + tok, "DPoP", proof}, "invalid_dpop_proof"},
		{"wrong ath", []string{"Authorization", "DPoP " + tok, "DPoP", key.Proof("GET", apiA.URL, tok+"x", "")}, "invalid_dpop_proof"},
		{"no ath", []string{"Authorization", "DPoP " + tok, "DPoP", key.Proof("GET", apiA.URL, "", "")}, "invalid_dpop_proof"},
		{"wrong htm", []string{"Authorization", "DPoP " + tok, "DPoP", key.Proof("POST", apiA.URL, tok, "")}, "invalid_dpop_proof"},
		{"other host", []string{"Authorization", "DPoP " + tok, "DPoP", key.Proof("GET", strings.Replace(apiA.URL, "localhost", "127.0.0.1", 1), tok, "")}, "invalid_dpop_proof"},
	}
	for _, c := range cases {
		status, h, r := call(t, "GET", apiA.URL, c.headers...)
		wa := h.Get("WWW-Authenticate")
		if status != http.StatusUnauthorized || r.Authorization != AuthInvalid || r.Reason == "" ||
			!strings.HasPrefix(wa, "DPoP ") || !strings.Contains(wa, `error="`+c.code+`"`) {
			t.Errorf("%s: %d %q WWW-Authenticate %q, want 401 DPoP error=%q with a reason", c.name, status, r.Reason, wa, c.code)
		}
	}

	// An unbound token with the DPoP scheme.
	plain := signIn(t, a.Authority, a.ClientID, a.RedirectURL, a.Scope)
	status, h, _ := call(t, "GET", apiA.URL, "Authorization", "DPoP "+plain, "DPoP", key.Proof("GET", apiA.URL, plain, ""))
	if status != http.StatusUnauthorized || !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("unbound token as DPoP: %d %q", status, h.Get("WWW-Authenticate"))
	}
	if status, _, _ := call(t, "GET", apiA.URL, "Authorization", "Bearer "+plain); status != http.StatusOK {
		t.Errorf("unbound token as Bearer: %d", status)
	}
}

// TestSampleAPINonce checks RFC 9449 §9: with the API's nonce on, a proof
// without it gets use_dpop_nonce and the nonce; the retry succeeds.
func TestSampleAPINonce(t *testing.T) {
	d := startDemo(t, Config{})
	a := d.Settings().Bridge.Configs[0]
	key := dpoptest.NewKey()
	tok := signInWith(t, a.Authority, a.ClientID, a.RedirectURL, a.Scope, key.Proof("POST", a.Authority+"/oauth/token", "", ""))
	apiA, _ := d.Settings().Target(TargetAPIA)
	if err := d.RequireDPoPNonce("A", true); err != nil {
		t.Fatal(err)
	}
	status, h, _ := call(t, "GET", apiA.URL, "Authorization", "DPoP "+tok, "DPoP", key.Proof("GET", apiA.URL, tok, ""))
	nonce := h.Get("DPoP-Nonce")
	if status != http.StatusUnauthorized || nonce == "" || !strings.Contains(h.Get("WWW-Authenticate"), `error="use_dpop_nonce"`) {
		t.Fatalf("proof without the API's nonce: %d DPoP-Nonce %q WWW-Authenticate %q", status, nonce, h.Get("WWW-Authenticate"))
	}
	if status, h, _ := call(t, "GET", apiA.URL, "Authorization", "DPoP "+tok, "DPoP", key.Proof("GET", apiA.URL, tok, nonce)); status != http.StatusOK || h.Get("DPoP-Nonce") != nonce {
		t.Errorf("retry with the nonce: %d, DPoP-Nonce %q", status, h.Get("DPoP-Nonce"))
	}
	fresh, _ := d.RotateDPoPNonce("A")
	if status, h, _ := call(t, "GET", apiA.URL, "Authorization", "DPoP "+tok, "DPoP", key.Proof("GET", apiA.URL, tok, nonce)); status != http.StatusUnauthorized || h.Get("DPoP-Nonce") != fresh {
		t.Errorf("old nonce after rotation: %d, DPoP-Nonce %q, want 401 with %q", status, h.Get("DPoP-Nonce"), fresh)
	}
	if err := d.RequireDPoPNonce("A", false); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := call(t, "GET", apiA.URL, "Authorization", "DPoP "+tok, "DPoP", key.Proof("GET", apiA.URL, tok, "")); status != http.StatusOK {
		t.Errorf("nonce off: %d", status)
	}
	if err := d.RequireDPoPNonce("D", true); err == nil {
		t.Error("RequireDPoPNonce(D) accepted")
	}
}
