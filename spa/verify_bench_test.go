//go:build !js

package spa

import (
	"context"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/internal/fakeop/jwks"
)

// BenchmarkVerifyIDToken measures verifyIDToken on a valid ID token with a
// nonce and an at_hash, once the JWK Set is cached: JWS parsing, the claim
// checks, go-oidc's verifier with the signature check, and at_hash. Keys are
// minted at setup: RSA 2048 (RS256, what most providers sign with) and P-256
// (ES256).
func BenchmarkVerifyIDToken(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			op := jwks.NewServer(b, "RS256")
			key := op.SigningKey()
			if alg != key.Alg {
				key = op.AddKey(alg)
			}
			const accessToken = "bench-access-token"
			now := time.Now()
			claims := op.Claims("client-1", now)
			claims["nonce"] = "n-0S6_WzA2Mj"
			claims["at_hash"] = atHash(accessToken)
			token := op.Sign(claims, jwks.WithKey(key))
			ks := newKeySet(NetHTTPFetcher{}, op.JWKSURL(), []string{"RS256", "ES256"})
			o := verifyOptions{Issuer: op.Issuer(), ClientID: "client-1", Algs: []string{"RS256", "ES256"},
				Nonce: "n-0S6_WzA2Mj", AccessToken: accessToken, ClockSkew: time.Minute,
				Clock: frozenClock{now}, ConfigID: "bench"}
			ctx := context.Background()
			// The first call fetches the JWK Set; the loop measures cached keys.
			if _, err := verifyIDToken(ctx, ks, token, o); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := verifyIDToken(ctx, ks, token, o); err != nil {
					b.Fatal(err)
				}
			}
			if n := op.JWKSFetches(); n != 1 {
				b.Fatalf("%d JWKS fetches; want 1", n)
			}
		})
	}
}
