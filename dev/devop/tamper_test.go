package devop_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcwasm/oidcwasm/dev/devop"
)

// TestTamperModesChangeOneCheckOfTheIDToken: each tamper mode answers the
// next token request as usual, with an ID token that fails exactly its check
// (the signature, or one claim under a valid signature of the provider's
// key), names the answer's tokens in Tampered, and the request after it is
// answered as usual.
func TestTamperModesChangeOneCheckOfTheIDToken(t *testing.T) {
	srv := start(t, devop.Config{AutoLogin: "alice"})
	b := newBrowser(t, srv)
	set := jwks(t, srv)
	for _, tc := range []struct {
		mode  devop.FailMode
		check func(claims map[string]any, tr tokenResponse, nonce string) bool // true: the claim was changed
	}{
		{devop.TamperAtHash, func(c map[string]any, tr tokenResponse, _ string) bool {
			sum := sha256.Sum256([]byte(tr.AccessToken))
			return c["at_hash"] != base64.RawURLEncoding.EncodeToString(sum[:16])
		}},
		{devop.TamperNonce, func(c map[string]any, _ tokenResponse, nonce string) bool { return c["nonce"] != nonce }},
		{devop.TamperIssuer, func(c map[string]any, _ tokenResponse, _ string) bool { return c["iss"] != srv.Issuer() }},
		{devop.TamperAudience, func(c map[string]any, _ tokenResponse, _ string) bool { return !slices.Contains(audience(c), clientID) }},
	} {
		p := newPKCE("x")
		code := b.signIn(p, "openid", "")
		if err := srv.FailNextToken(1, tc.mode); err != nil {
			t.Fatal(err)
		}
		before := len(srv.Tampered())
		tr := exchange(t, srv, code, p.verifier)
		if tr.status != http.StatusOK || tr.AccessToken == "" {
			t.Fatalf("%s: %d %q, want an answer with tokens", tc.mode, tr.status, tr.Error)
		}
		_, claims := verify(t, set, tr.IDToken) // still signed by the provider's key
		if !tc.check(claims, tr, authParams(p, "openid").Get("nonce")) {
			t.Errorf("%s: the ID token's claims %v are not changed", tc.mode, claims)
		}
		if got := srv.Tampered()[before:]; len(got) != 1 || got[0] != devop.Fingerprint(tr.AccessToken) {
			t.Errorf("%s: Tampered %v, want the answer's access token", tc.mode, got)
		}
	}

	p := newPKCE("s")
	code := b.signIn(p, "openid offline_access", "")
	if err := srv.FailNextToken(1, devop.TamperSignature); err != nil {
		t.Fatal(err)
	}
	tr := exchange(t, srv, code, p.verifier)
	jws, err := jose.ParseSigned(tr.IDToken, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jws.Verify(set.Key(jws.Signatures[0].Header.KeyID)[0]); err == nil {
		t.Error("id_token_signature: the signature still verifies")
	}
	if got := srv.Tampered(); !slices.Contains(got, devop.Fingerprint(tr.RefreshToken)) {
		t.Errorf("id_token_signature: Tampered %v lacks the answer's refresh token", got)
	}
	// The next answer is the provider's own.
	if next := refresh(t, srv, tr.RefreshToken); next.status != http.StatusOK {
		t.Fatalf("refresh after the tampered answer: %d %q", next.status, next.Error)
	} else {
		verify(t, set, next.IDToken)
	}
}
