package dpop_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/internal/dpop"
	"github.com/oidcwasm/oidcwasm/internal/dpop/dpoptest"
)

const (
	endpoint = "http://localhost:9001/oauth/token"
	api      = "http://localhost:8081/api/b/orders"
)

func header(proofs ...string) http.Header {
	h := http.Header{}
	for _, p := range proofs {
		h.Add(dpop.Header, p)
	}
	return h
}

// TestCheckerRefusesBadProofs runs each RFC 9449 §4.3 check with one proof
// that breaks it; every one must be refused with the expected code.
func TestCheckerRefusesBadProofs(t *testing.T) {
	key, other := dpoptest.NewKey(), dpoptest.NewKey()
	const token = "access-token-value"
	good := func() map[string]any { return dpoptest.Claims("POST", endpoint) }
	with := func(name string, v any) map[string]any {
		c := good()
		if v == nil {
			delete(c, name)
		} else {
			c[name] = v
		}
		return c
	}
	// A private JWK in the header: the public key plus d.
	priv := map[string]any{"kty": "EC", "crv": "P-256",
		"x": b64(key.Private.X), "y": b64(key.Private.Y), "d": b64(key.Private.D)}
	hsHeader := map[string]any{"typ": dpop.JWTType, "alg": "HS256", "jwk": map[string]any{"kty": "oct", "k": "c2VjcmV0"}}
	hsSigningInput := dpoptest.Unsigned(hsHeader, good(), nil)
	mac := hmac.New(sha256.New, []byte("secret"))
	mac.Write([]byte(strings.TrimSuffix(hsSigningInput, ".")))
	hs256 := strings.TrimSuffix(hsSigningInput, ".") + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	tampered := key.Sign(nil, good())
	tampered = tampered[:len(tampered)-4] + flip(tampered[len(tampered)-4:])

	cases := []struct {
		name   string
		h      http.Header
		expect dpop.Expect
		code   string
	}{
		{"no header", header(), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"two headers", header(key.Sign(nil, good()), key.Sign(nil, good())), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"not a JWS", header("not.a.jws"), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"typ JWT", header(key.Sign(map[string]any{"typ": "JWT"}, good())), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"no typ", header(key.Sign(map[string]any{"typ": nil}, good())), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"alg none", header(dpoptest.Unsigned(map[string]any{"typ": dpop.JWTType, "alg": "none", "jwk": key.JWK}, good(), nil)), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"alg HS256", header(hs256), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"no jwk", header(key.Sign(map[string]any{"jwk": nil}, good())), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"private jwk", header(key.Sign(map[string]any{"jwk": priv}, good())), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"jwk of another key", header(key.Sign(map[string]any{"jwk": other.JWK}, good())), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"bad signature", header(tampered), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"no jti", header(key.Sign(nil, with("jti", nil))), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"no iat", header(key.Sign(nil, with("iat", nil))), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"wrong htm", header(key.Sign(nil, with("htm", "GET"))), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"htm lower case", header(key.Sign(nil, with("htm", "post"))), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"htu other path", header(key.Sign(nil, with("htu", "http://localhost:9001/userinfo"))), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"htu other port", header(key.Sign(nil, with("htu", "http://localhost:9002/oauth/token"))), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"htu other scheme", header(key.Sign(nil, with("htu", "https://localhost:9001/oauth/token"))), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"htu relative", header(key.Sign(nil, with("htu", "/oauth/token"))), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"iat stale", header(key.Sign(nil, with("iat", time.Now().Add(-2*time.Minute).Unix()))), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"iat future", header(key.Sign(nil, with("iat", time.Now().Add(2*time.Minute).Unix()))), dpop.Expect{Method: "POST", URL: endpoint}, dpop.ErrInvalidProof},
		{"nonce missing", header(key.Sign(nil, good())), dpop.Expect{Method: "POST", URL: endpoint, Nonce: "n-1"}, dpop.ErrUseNonce},
		{"nonce old", header(key.Sign(nil, with("nonce", "n-0"))), dpop.Expect{Method: "POST", URL: endpoint, Nonce: "n-1"}, dpop.ErrUseNonce},
		{"ath missing", header(key.Proof("GET", api, "", "")), dpop.Expect{Method: "GET", URL: api, AccessToken: token}, dpop.ErrInvalidProof},
		{"ath wrong", header(key.Proof("GET", api, "another-token", "")), dpop.Expect{Method: "GET", URL: api, AccessToken: token}, dpop.ErrInvalidProof},
		{"key not the bound one", header(other.Proof("GET", api, token, "")), dpop.Expect{Method: "GET", URL: api, AccessToken: token, JKT: key.JKT()}, dpop.ErrInvalidProof},
	}
	c := dpop.NewChecker(time.Minute, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := c.Check(tc.h, tc.expect)
			var e *dpop.Error
			if !errors.As(err, &e) || e.Code != tc.code {
				t.Fatalf("Check = %+v, %v; want a %s error", p, err, tc.code)
			}
		})
	}
}

// TestCheckerAcceptsGoodProofs checks the accepted variants, and that a
// jti is accepted once only.
func TestCheckerAcceptsGoodProofs(t *testing.T) {
	key := dpoptest.NewKey()
	c := dpop.NewChecker(time.Minute, nil)
	const token = "access-token-value"
	cases := []struct {
		name   string
		proof  string
		expect dpop.Expect
	}{
		{"token endpoint", key.Proof("POST", endpoint, "", ""), dpop.Expect{Method: "POST", URL: endpoint}},
		{"htu with query and fragment", key.Proof("POST", endpoint+"?a=1#f", "", ""), dpop.Expect{Method: "POST", URL: endpoint}},
		{"request URL with query", key.Proof("GET", api, token, ""), dpop.Expect{Method: "GET", URL: api + "?page=2", AccessToken: token, JKT: key.JKT()}},
		{"htu normalised", key.Proof("POST", "HTTP://LocalHost:9001/oauth/./x/../%74oken", "", ""), dpop.Expect{Method: "POST", URL: endpoint}},
		{"default port", key.Proof("GET", "https://api.example:443/r", "", ""), dpop.Expect{Method: "GET", URL: "https://api.example/r"}},
		{"with nonce", key.Proof("POST", endpoint, "", "n-1"), dpop.Expect{Method: "POST", URL: endpoint, Nonce: "n-1"}},
		{"typ as media type", key.Sign(map[string]any{"typ": "application/DPoP+JWT"}, dpoptest.Claims("POST", endpoint)), dpop.Expect{Method: "POST", URL: endpoint}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := c.Check(header(tc.proof), tc.expect)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if p.JKT != key.JKT() || p.JTI == "" {
				t.Errorf("proof %+v: want jkt %s and a jti", p, key.JKT())
			}
			if _, err := c.Check(header(tc.proof), tc.expect); err == nil || !strings.Contains(err.Error(), "already used") {
				t.Errorf("replayed proof: %v, want refused as a replay", err)
			}
		})
	}
}

// TestCheckerForgetsJTIsAfterTheWindow checks the replay cache is bounded
// in time: once a proof's iat is out of the window, its jti is dropped
// (the proof itself is refused for its iat then).
func TestCheckerForgetsJTIsAfterTheWindow(t *testing.T) {
	now := time.Now()
	c := dpop.NewChecker(time.Minute, func() time.Time { return now })
	key := dpoptest.NewKey()
	claims := dpoptest.Claims("POST", endpoint)
	claims["iat"] = now.Unix()
	proof := key.Sign(nil, claims)
	if _, err := c.Check(header(proof), dpop.Expect{Method: "POST", URL: endpoint}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	claims["iat"] = now.Unix() // same jti, fresh iat: accepted after the first left the window
	if _, err := c.Check(header(key.Sign(nil, claims)), dpop.Expect{Method: "POST", URL: endpoint}); err != nil {
		t.Errorf("same jti after the window: %v, want accepted (cache bounded in time)", err)
	}
}

func TestNonceSource(t *testing.T) {
	var n dpop.NonceSource
	if n.Current() != "" {
		t.Fatal("zero NonceSource requires a nonce")
	}
	n.Require(true)
	first := n.Current()
	if first == "" {
		t.Fatal("Require(true): no nonce")
	}
	if second := n.Rotate(); second == first || n.Current() != second {
		t.Errorf("Rotate: %q then %q, current %q", first, second, n.Current())
	}
	n.Require(false)
	if n.Current() != "" {
		t.Error("Require(false): still a nonce")
	}
}

func b64(i *big.Int) string {
	b := make([]byte, 32)
	return base64.RawURLEncoding.EncodeToString(i.FillBytes(b))
}

// flip changes the base64url characters s so the signature no longer
// verifies, keeping it well-formed.
func flip(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c == 'A' {
			out[i] = 'B'
		} else {
			out[i] = 'A'
		}
	}
	return string(out)
}
