//go:build !js

package spa

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/internal/fakeop/jwks"
)

// frozenClock is a Clock that always tells t.
type frozenClock struct{ t time.Time }

func (c frozenClock) Now() time.Time { return c.t }

const testClientID = "client-1"

// testNow is the verifier's "now" in these tests: tokens are minted relative to it.
var testNow = time.Unix(1_750_000_000, 0)

// verifyFixture is one provider with its key set and the options a client of it uses.
type verifyFixture struct {
	op *jwks.Server
	ks *keySet
	o  verifyOptions
}

func newVerifyFixture(t *testing.T) *verifyFixture {
	t.Helper()
	op := jwks.NewServer(t, "RS256")
	return &verifyFixture{
		op: op,
		// The key set accepts what discovery would list; the cases vary o.Algs.
		ks: newKeySet(NetHTTPFetcher{}, op.JWKSURL(), []string{"RS256", "ES256"}),
		o: verifyOptions{
			Issuer: op.Issuer(), ClientID: testClientID, Algs: []string{"RS256"},
			Nonce: "n-0S6_WzA2Mj", ClockSkew: time.Minute, Clock: frozenClock{testNow}, ConfigID: "cfg",
		},
	}
}

// claims are those of a valid ID token for the fixture's transaction.
func (f *verifyFixture) claims() map[string]any {
	c := f.op.Claims(testClientID, testNow)
	c["nonce"] = f.o.Nonce
	return c
}

// flipSignatureBit returns tok with one bit of its signature changed.
func flipSignatureBit(tok string) string {
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		panic(err)
	}
	sig[len(sig)/2] ^= 1
	return tok[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
}

// atHash computes at_hash for an RS256/ES256/PS256 token (OpenID Connect Core §3.1.3.6).
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func TestVerifyIDToken(t *testing.T) {
	f := newVerifyFixture(t)
	esKey := f.op.AddKey("ES256")
	unpublished := f.op.NewKey("RS256")

	tests := []struct {
		name     string
		claims   func(c map[string]any)        // edits the valid claims
		sign     func(c map[string]any) string // default: f.op.Sign
		opts     func(o *verifyOptions)        // edits the valid options
		tamper   func(token string) string     // edits the signed token
		wantCode string                        // "" means the token is accepted
		wantMsg  string                        // a substring of the error
	}{
		{name: "ValidToken"},
		{name: "NonceMismatch", claims: func(c map[string]any) { c["nonce"] = "other" }, wantCode: CodeNonceMismatch},
		{name: "NonceMissingWhenSent", claims: func(c map[string]any) { delete(c, "nonce") }, wantCode: CodeNonceMismatch},
		{name: "NonceNotRequiredWhenNotSent", opts: func(o *verifyOptions) { o.Nonce = "" }},
		{name: "IssuerMismatch", claims: func(c map[string]any) { c["iss"] = "https://evil.example" }, wantCode: CodeIssMismatch, wantMsg: `got "https://evil.example"`},
		{name: "IssuerWithTrailingSlash", claims: func(c map[string]any) { c["iss"] = f.op.Issuer() + "/" }, wantCode: CodeIssMismatch},
		{name: "WrongAudience", claims: func(c map[string]any) { c["aud"] = "other-client" }, wantCode: CodeInvalidIDToken, wantMsg: `"other-client"`},
		{name: "AudienceArrayContainingClient", claims: func(c map[string]any) { c["aud"] = []string{testClientID} }},
		{name: "AzpMismatch", claims: func(c map[string]any) { c["azp"] = "other-client" }, wantCode: CodeInvalidIDToken, wantMsg: "azp"},
		{name: "MultipleAudiencesWithoutAzp", claims: func(c map[string]any) { c["aud"] = []string{testClientID, "api"} }, wantCode: CodeInvalidIDToken, wantMsg: "no azp"},
		{name: "MultipleAudiencesWithAzp", claims: func(c map[string]any) {
			c["aud"] = []string{testClientID, "api"}
			c["azp"] = testClientID
		}},
		{name: "ExpiredWithinSkew", claims: func(c map[string]any) { c["exp"] = testNow.Add(-30 * time.Second).Unix() }},
		{name: "ExpiredBeyondSkew", claims: func(c map[string]any) { c["exp"] = testNow.Add(-61 * time.Second).Unix() }, wantCode: CodeInvalidIDToken, wantMsg: "expired at"},
		{name: "ExpiredWithoutSkew", claims: func(c map[string]any) { c["exp"] = testNow.Add(-time.Second).Unix() }, opts: func(o *verifyOptions) { o.ClockSkew = 0 }, wantCode: CodeInvalidIDToken},
		{name: "MissingExp", claims: func(c map[string]any) { delete(c, "exp") }, wantCode: CodeInvalidIDToken, wantMsg: "no exp"},
		{name: "FractionalTimes", claims: func(c map[string]any) { c["iat"] = float64(testNow.Unix()) + 0.5 }},
		{name: "IssuedInFutureWithinSkew", claims: func(c map[string]any) { c["iat"] = testNow.Add(30 * time.Second).Unix() }},
		{name: "IssuedInFutureBeyondSkew", claims: func(c map[string]any) { c["iat"] = testNow.Add(2 * time.Minute).Unix() }, wantCode: CodeInvalidIDToken, wantMsg: "in the future"},
		{name: "MissingIat", claims: func(c map[string]any) { delete(c, "iat") }, wantCode: CodeInvalidIDToken, wantMsg: "no iat"},
		{name: "IatNotANumber", claims: func(c map[string]any) { c["iat"] = "yesterday" }, wantCode: CodeInvalidIDToken, wantMsg: "malformed"},
		{name: "NotYetValidBeyondSkew", claims: func(c map[string]any) { c["nbf"] = testNow.Add(5 * time.Minute).Unix() }, wantCode: CodeInvalidIDToken, wantMsg: "nbf"},
		{name: "NotBeforeWithinSkew", claims: func(c map[string]any) { c["nbf"] = testNow.Add(30 * time.Second).Unix() }},
		{name: "MissingSub", claims: func(c map[string]any) { delete(c, "sub") }, wantCode: CodeInvalidIDToken, wantMsg: "no sub"},
		{name: "AlgNone", sign: f.op.SignNone, wantCode: CodeInvalidIDToken, wantMsg: `"none"`},
		{name: "AlgNoneEvenIfDiscoveryListsIt", sign: f.op.SignNone, opts: func(o *verifyOptions) { o.Algs = []string{"none", "RS256"} }, wantCode: CodeInvalidIDToken},
		{name: "HS256SignedWithPublicKeyBytes", sign: f.op.SignHS256WithPublicKeyBytes, wantCode: CodeInvalidIDToken, wantMsg: "shared secret"},
		{name: "HS256EvenIfDiscoveryListsIt", sign: f.op.SignHS256WithPublicKeyBytes, opts: func(o *verifyOptions) { o.Algs = []string{"HS256", "RS256"} }, wantCode: CodeInvalidIDToken},
		{name: "DiscoveryListsOnlyHMAC", opts: func(o *verifyOptions) { o.Algs = []string{"HS256"} }, wantCode: CodeInvalidIDToken, wantMsg: "no asymmetric"},
		{name: "TamperedPayload", tamper: func(tok string) string {
			parts := strings.Split(tok, ".")
			c := f.claims()
			c["sub"] = "mallory"
			parts[1] = strings.Split(f.op.SignNone(c), ".")[1]
			return strings.Join(parts, ".")
		}, wantCode: CodeInvalidIDToken, wantMsg: "does not verify"},
		{name: "TamperedSignature", tamper: flipSignatureBit, wantCode: CodeInvalidIDToken, wantMsg: "does not verify"},
		{name: "AlgNotInDiscoveryList", sign: func(c map[string]any) string { return f.op.Sign(c, jwks.WithKey(esKey)) }, wantCode: CodeInvalidIDToken, wantMsg: `"ES256" is not accepted`},
		{name: "AlgInDiscoveryList", sign: func(c map[string]any) string { return f.op.Sign(c, jwks.WithKey(esKey)) }, opts: func(o *verifyOptions) { o.Algs = []string{"RS256", "ES256"} }},
		{name: "EmptyDiscoveryListMeansRS256", opts: func(o *verifyOptions) { o.Algs = nil }},
		{name: "KnownKidWrongKey", sign: func(c map[string]any) string {
			return f.op.Sign(c, jwks.WithKey(unpublished), jwks.WithKID(f.op.SigningKey().ID))
		}, wantCode: CodeInvalidIDToken, wantMsg: "does not verify"},
		{name: "NoKidVerifiesWithCachedKeys", sign: func(c map[string]any) string { return f.op.Sign(c, jwks.WithoutKID()) }},
		{name: "AtHashMatches", claims: func(c map[string]any) { c["at_hash"] = atHash("access-1") }, opts: func(o *verifyOptions) { o.AccessToken = "access-1" }},
		{name: "AtHashMismatch", claims: func(c map[string]any) { c["at_hash"] = atHash("access-1") }, opts: func(o *verifyOptions) { o.AccessToken = "access-2" }, wantCode: CodeInvalidIDToken, wantMsg: "at_hash"},
		{name: "AtHashWithoutAccessTokenIsNotChecked", claims: func(c map[string]any) { c["at_hash"] = "garbage" }},
		{name: "NotAJWS", tamper: func(string) string { return "not-a-token" }, wantCode: CodeInvalidIDToken},
		{name: "JSONSerializationRefused", tamper: func(string) string { return `{"payload":"e30","signatures":[]}` }, wantCode: CodeInvalidIDToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.claims()
			if tt.claims != nil {
				tt.claims(c)
			}
			sign := func(c map[string]any) string { return f.op.Sign(c) }
			if tt.sign != nil {
				sign = tt.sign
			}
			token := sign(c)
			if tt.tamper != nil {
				token = tt.tamper(token)
			}
			o := f.o
			if tt.opts != nil {
				tt.opts(&o)
			}
			got, err := verifyIDToken(context.Background(), f.ks, token, o)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("verifyIDToken: %v", err)
				}
				if got.Subject != "alice" || got.Issuer != f.op.Issuer() {
					t.Errorf("claims = %+v", got)
				}
				return
			}
			if err == nil {
				t.Fatalf("verifyIDToken accepted the token; want code %s", tt.wantCode)
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != tt.wantCode || e.ConfigID != "cfg" {
				t.Fatalf("error = %v (code %q); want *Error with code %q and config cfg", err, ErrorCode(err), tt.wantCode)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			for _, part := range strings.Split(token, ".") {
				if len(part) > 8 && strings.Contains(err.Error(), part) {
					t.Errorf("error %q contains part of the token", err)
				}
			}
		})
	}
	// None of the rejected tokens may have cost more than the first fetch and
	// the ones for kids never seen (the ES256 key is in the first fetch).
	if n := f.op.JWKSFetches(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1", n)
	}
}

func TestVerifyIDTokenReturnsClaims(t *testing.T) {
	f := newVerifyFixture(t)
	c := f.claims()
	c["aud"] = []string{testClientID, "api"}
	c["azp"] = testClientID
	c["auth_time"] = testNow.Add(-time.Hour).Unix()
	c["sid"] = "session-9"
	c["at_hash"] = atHash("access-1")
	c["email"] = "alice@example.com"
	f.o.AccessToken = "access-1"

	got, err := verifyIDToken(context.Background(), f.ks, f.op.Sign(c), f.o)
	if err != nil {
		t.Fatal(err)
	}
	want := IDTokenClaims{
		Issuer: f.op.Issuer(), Subject: "alice", Audience: []string{testClientID, "api"}, AuthorizedParty: testClientID,
		Nonce: f.o.Nonce, Expiry: testNow.Add(time.Hour), IssuedAt: testNow, AuthTime: testNow.Add(-time.Hour),
		AccessTokenHash: atHash("access-1"), SessionID: "session-9",
	}
	if got.Issuer != want.Issuer || got.Subject != want.Subject || strings.Join(got.Audience, " ") != strings.Join(want.Audience, " ") ||
		got.AuthorizedParty != want.AuthorizedParty || got.Nonce != want.Nonce || !got.Expiry.Equal(want.Expiry) ||
		!got.IssuedAt.Equal(want.IssuedAt) || !got.AuthTime.Equal(want.AuthTime) || got.AccessTokenHash != want.AccessTokenHash ||
		got.SessionID != want.SessionID {
		t.Errorf("claims =\n%+v\nwant\n%+v", *got, want)
	}
	if got.Raw["email"] != "alice@example.com" || got.Raw["sub"] != "alice" {
		t.Errorf("Raw = %v; want every claim", got.Raw)
	}
}

// A claim check that fails on the unverified payload must not cost a JWKS
// fetch: an expired or foreign token is refused before any key is looked at.
func TestVerifyChecksClaimsBeforeKeys(t *testing.T) {
	f := newVerifyFixture(t)
	c := f.claims()
	c["exp"] = testNow.Add(-time.Hour).Unix()
	if _, err := verifyIDToken(context.Background(), f.ks, f.op.Sign(c, jwks.WithKID("never-seen")), f.o); ErrorCode(err) != CodeInvalidIDToken {
		t.Fatalf("err = %v; want invalid_id_token", err)
	}
	if n := f.op.JWKSFetches(); n != 0 {
		t.Errorf("JWKS fetched %d times for an expired token, want 0", n)
	}
}

// The key set's own error code (network, timeout, invalid_response) survives
// go-oidc, which formats key set errors into strings.
func TestVerifyKeepsKeySetErrorCode(t *testing.T) {
	f := newVerifyFixture(t)
	down := FetcherFunc(func(ctx context.Context, req *Request) (*Response, error) {
		return nil, &Error{Code: CodeNetwork, Message: "offline"}
	})
	ks := newKeySet(down, f.op.JWKSURL(), nil)
	_, err := verifyIDToken(context.Background(), ks, f.op.Sign(f.claims()), f.o)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeNetwork || e.ConfigID != "cfg" {
		t.Fatalf("err = %#v; want CodeNetwork for config cfg", err)
	}
}

func TestVerifyRefreshedIDToken(t *testing.T) {
	t0 := testNow.Add(-time.Hour)
	prev := &IDTokenClaims{Issuer: "https://op", Subject: "alice", Audience: []string{"c", "api"}, AuthorizedParty: "c", AuthTime: t0}
	tests := []struct {
		name     string
		edit     func(n *IDTokenClaims)
		wantCode string
	}{
		{name: "SameUserAccepted", edit: func(n *IDTokenClaims) {}},
		{name: "NewIatAccepted", edit: func(n *IDTokenClaims) { n.IssuedAt = testNow }},
		{name: "AudienceInOtherOrderAccepted", edit: func(n *IDTokenClaims) { n.Audience = []string{"api", "c"} }},
		{name: "AuthTimeLeftOutAccepted", edit: func(n *IDTokenClaims) { n.AuthTime = time.Time{} }},
		{name: "SubChangedRejected", edit: func(n *IDTokenClaims) { n.Subject = "mallory" }, wantCode: CodeInvalidIDToken},
		{name: "IssChangedRejected", edit: func(n *IDTokenClaims) { n.Issuer = "https://evil" }, wantCode: CodeIssMismatch},
		{name: "AudChangedRejected", edit: func(n *IDTokenClaims) { n.Audience = []string{"c"} }, wantCode: CodeInvalidIDToken},
		{name: "AzpChangedRejected", edit: func(n *IDTokenClaims) { n.AuthorizedParty = "api" }, wantCode: CodeInvalidIDToken},
		{name: "AuthTimeChangedRejected", edit: func(n *IDTokenClaims) { n.AuthTime = testNow }, wantCode: CodeInvalidIDToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := *prev
			next.Audience = append([]string(nil), prev.Audience...)
			tt.edit(&next)
			err := verifyRefreshedIDToken(prev, &next, "cfg")
			if ErrorCode(err) != tt.wantCode {
				t.Fatalf("err = %v; want code %q", err, tt.wantCode)
			}
		})
	}
	t.Run("NoPreviousTokenRejected", func(t *testing.T) {
		if err := verifyRefreshedIDToken(nil, prev, "cfg"); ErrorCode(err) != CodeInvalidIDToken {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("AzpAppearingRejected", func(t *testing.T) {
		p := &IDTokenClaims{Issuer: "https://op", Subject: "alice", Audience: []string{"c"}}
		n := *p
		n.AuthorizedParty = "c"
		if err := verifyRefreshedIDToken(p, &n, "cfg"); ErrorCode(err) != CodeInvalidIDToken {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestVerifySameSubjectAllowsNewAuthTime(t *testing.T) {
	prev := &IDTokenClaims{Issuer: "https://op", Subject: "alice", Audience: []string{"c"}, AuthTime: testNow.Add(-time.Hour)}
	next := *prev
	next.AuthTime = testNow
	if err := verifySameSubject(prev, &next, "cfg"); err != nil {
		t.Fatalf("a re-authentication of the same user was refused: %v", err)
	}
}
