package spa

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

// IDTokenClaims is a verified ID token's claims (OpenID Connect Core §2).
// Times are zero when the claim is absent (only AuthTime may be).
type IDTokenClaims struct {
	Issuer          string         `json:"issuer"`
	Subject         string         `json:"subject"`
	Audience        []string       `json:"audience"`
	AuthorizedParty string         `json:"azp,omitempty"`
	Nonce           string         `json:"nonce,omitempty"`
	Expiry          time.Time      `json:"expiry"`
	IssuedAt        time.Time      `json:"issued_at"`
	AuthTime        time.Time      `json:"auth_time,omitzero"`
	AccessTokenHash string         `json:"at_hash,omitempty"`
	SessionID       string         `json:"sid,omitempty"`
	Raw             map[string]any `json:"raw,omitempty"` // every claim, for userData
}

// verifyOptions says what an ID token must satisfy.
type verifyOptions struct {
	Issuer   string // the discovery document's issuer
	ClientID string
	// Algs is the discovery document's id_token_signing_alg_values_supported;
	// only its asymmetric algorithms are accepted, and empty means RS256.
	Algs []string
	// Nonce is the transaction's nonce; when set, the token's must equal it.
	Nonce string
	// AccessToken, when set, is checked against at_hash when the token has one.
	AccessToken string
	ClockSkew   time.Duration // allowed on exp, iat and nbf
	Clock       Clock         // nil: SystemClock()
	ConfigID    string        // for errors
}

// verifyIDToken verifies raw, an ID token from the token endpoint, as OpenID
// Connect Core §3.1.3.7 says: the JWS alg is one of o.Algs and asymmetric
// (never "none", never HMAC: a public client has no secret); the claims iss,
// sub, aud, azp, exp, iat, nbf and nonce are checked on the still unverified
// payload first, so a token that fails them costs no key lookup or JWKS
// fetch; then go-oidc's verifier checks the signature against ks (and iss and
// aud once more); then at_hash (§3.1.3.8) when the token has one and
// o.AccessToken is set.
//
// Errors are *Error: CodeNonceMismatch for the nonce, CodeIssMismatch for the
// issuer, the key set's own code when fetching keys failed (CodeNetwork,
// CodeTimeout, CodeInvalidResponse), CodeInvalidIDToken for everything else.
// Messages name the failed check with expected and actual values where these
// are not secret; they never contain the token.
func verifyIDToken(ctx context.Context, ks oidc.KeySet, raw string, o verifyOptions) (*IDTokenClaims, error) {
	if o.Issuer == "" || o.ClientID == "" {
		return nil, newError(CodeInvalidConfig, o.ConfigID, "verifying an ID token needs the issuer and the client ID")
	}
	clock := o.Clock
	if clock == nil {
		clock = systemClock{}
	}
	now := clock.Now()

	algs := allowedAlgs(o.Algs)
	if len(algs) == 0 {
		return nil, newError(CodeInvalidIDToken, o.ConfigID, "the provider's id_token_signing_alg_values_supported %q has no asymmetric algorithm; a public client cannot verify symmetric (HS*) signatures", o.Algs)
	}
	jws, err := jose.ParseSignedCompact(raw, algs)
	if err != nil {
		var ua *jose.ErrUnexpectedSignatureAlgorithm
		if errors.As(err, &ua) {
			return nil, algError(o.ConfigID, string(ua.Got), algs)
		}
		return nil, wrapError(CodeInvalidIDToken, o.ConfigID, err, "the ID token is not a JWS in compact serialization (OpenID Connect Core §2)")
	}
	if len(jws.Signatures) != 1 {
		return nil, newError(CodeInvalidIDToken, o.ConfigID, "the ID token has %d signatures, want 1", len(jws.Signatures))
	}
	payload := jws.UnsafePayloadWithoutVerification()
	c, err := parseIDTokenClaims(payload)
	if err != nil {
		return nil, wrapError(CodeInvalidIDToken, o.ConfigID, err, "the ID token's claims are malformed")
	}
	if err := c.check(&o, now); err != nil {
		return nil, err
	}

	rec := &recordingKeySet{ks: ks}
	names := make([]string, len(algs))
	for i, a := range algs {
		names[i] = string(a)
	}
	v := oidc.NewVerifier(o.Issuer, rec, &oidc.Config{
		ClientID:             o.ClientID,
		SupportedSigningAlgs: names,
		SkipExpiryCheck:      true, // checked above, with o.ClockSkew
		Now:                  func() time.Time { return now },
	})
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		// go-oidc flattens the key set's error with %v; the recorded one keeps its Code.
		var e *Error
		if errors.As(rec.err, &e) {
			cp := *e
			if cp.ConfigID == "" {
				cp.ConfigID = o.ConfigID
			}
			return nil, &cp
		}
		return nil, wrapError(CodeInvalidIDToken, o.ConfigID, err, "the ID token failed verification")
	}
	if !bytes.Equal(rec.payload, payload) {
		// Cannot happen with the compact serialization; refuse rather than trust
		// claims that were checked on other bytes than the signed ones.
		return nil, newError(CodeInvalidIDToken, o.ConfigID, "the ID token's signed payload differs from the one checked")
	}
	if c.AtHash != "" && o.AccessToken != "" {
		if err := tok.VerifyAccessToken(o.AccessToken); err != nil {
			return nil, newError(CodeInvalidIDToken, o.ConfigID, "the ID token's at_hash does not match the access token (OpenID Connect Core §3.1.3.8)")
		}
	}

	out := &IDTokenClaims{
		Issuer: c.Iss, Subject: c.Sub, Audience: c.Aud, AuthorizedParty: c.Azp, Nonce: c.Nonce,
		Expiry: c.Exp.time(), IssuedAt: c.Iat.time(), AuthTime: c.AuthTime.time(),
		AccessTokenHash: c.AtHash, SessionID: c.Sid,
	}
	if err := json.Unmarshal(payload, &out.Raw); err != nil {
		return nil, wrapError(CodeInvalidIDToken, o.ConfigID, err, "the ID token's claims are malformed")
	}
	return out, nil
}

// algError explains why a token's alg is refused.
func algError(configID, alg string, allowed []jose.SignatureAlgorithm) *Error {
	switch {
	case alg == "none":
		return newError(CodeInvalidIDToken, configID, `the ID token is unsigned (alg "none"); ID tokens must be signed (OpenID Connect Core §2)`)
	case strings.HasPrefix(alg, "HS"):
		return newError(CodeInvalidIDToken, configID, "the ID token's alg %q needs a shared secret, which a public client does not have; accepted: %q", alg, allowed)
	default:
		return newError(CodeInvalidIDToken, configID, "the ID token's alg %q is not accepted: the provider's discovery document allows %q (OpenID Connect Core §3.1.3.7)", alg, allowed)
	}
}

// recordingKeySet remembers what the wrapped key set returned, because
// go-oidc formats the key set's error into a string and the Code is lost.
// One per verification; not for concurrent use.
type recordingKeySet struct {
	ks      oidc.KeySet
	payload []byte
	err     error
}

func (r *recordingKeySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	r.payload, r.err = r.ks.VerifySignature(ctx, jwt)
	return r.payload, r.err
}

// idTokenWire is an ID token payload as sent (RFC 7519 §4.1, OpenID Connect Core §2).
type idTokenWire struct {
	Iss      string       `json:"iss"`
	Sub      string       `json:"sub"`
	Aud      audience     `json:"aud"`
	Azp      string       `json:"azp"`
	Nonce    string       `json:"nonce"`
	Exp      *numericDate `json:"exp"`
	Iat      *numericDate `json:"iat"`
	Nbf      *numericDate `json:"nbf"`
	AuthTime *numericDate `json:"auth_time"`
	AtHash   string       `json:"at_hash"`
	Sid      string       `json:"sid"`
}

func parseIDTokenClaims(payload []byte) (*idTokenWire, error) {
	var c idTokenWire
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// check applies the claim rules of OpenID Connect Core §3.1.3.7 that need no key.
func (c *idTokenWire) check(o *verifyOptions, now time.Time) error {
	id := o.ConfigID
	fail := func(format string, args ...any) error {
		return newError(CodeInvalidIDToken, id, "ID token "+format, args...)
	}
	skew := max(o.ClockSkew, 0)

	// Step 2: iss must be the discovered issuer, exactly.
	if c.Iss != o.Issuer {
		return newError(CodeIssMismatch, id, "ID token issuer: expected %q, got %q (OpenID Connect Core §3.1.3.7)", o.Issuer, c.Iss)
	}
	// §2: sub is required, at most 255 ASCII characters.
	if c.Sub == "" {
		return fail("has no sub claim (OpenID Connect Core §2)")
	}
	if len(c.Sub) > 255 {
		return fail("sub is %d characters long, more than 255 (OpenID Connect Core §2)", len(c.Sub))
	}
	// Step 3: aud must contain the client ID.
	if !slices.Contains(c.Aud, o.ClientID) {
		return fail("audience: expected it to contain %q, got %q (OpenID Connect Core §3.1.3.7)", o.ClientID, []string(c.Aud))
	}
	// Steps 4 and 5: azp is required with several audiences and must be the client.
	if len(c.Aud) > 1 && c.Azp == "" {
		return fail("has several audiences %q but no azp claim (OpenID Connect Core §3.1.3.7)", []string(c.Aud))
	}
	if c.Azp != "" && c.Azp != o.ClientID {
		return fail("authorized party (azp): expected %q, got %q (OpenID Connect Core §3.1.3.7)", o.ClientID, c.Azp)
	}
	// Step 9: now must be before exp, with leeway for clock skew.
	if c.Exp == nil {
		return fail("has no exp claim (OpenID Connect Core §2)")
	}
	if exp := c.Exp.time(); !now.Before(exp.Add(skew)) {
		return fail("expired at %s; now is %s, allowed clock skew %v", stamp(exp), stamp(now), skew)
	}
	// Step 10 and §2: iat is required and must not be in the future.
	if c.Iat == nil {
		return fail("has no iat claim (OpenID Connect Core §2)")
	}
	if iat := c.Iat.time(); iat.After(now.Add(skew)) {
		return fail("was issued in the future at %s; now is %s, allowed clock skew %v", stamp(iat), stamp(now), skew)
	}
	// RFC 7519 §4.1.5: not before nbf.
	if c.Nbf != nil {
		if nbf := c.Nbf.time(); nbf.After(now.Add(skew)) {
			return fail("is not valid before %s (nbf); now is %s, allowed clock skew %v", stamp(nbf), stamp(now), skew)
		}
	}
	// Step 11: the nonce of the authentication request must come back.
	if o.Nonce != "" && subtle.ConstantTimeCompare([]byte(c.Nonce), []byte(o.Nonce)) != 1 {
		if c.Nonce == "" {
			return newError(CodeNonceMismatch, id, "ID token has no nonce claim, but the request sent one (OpenID Connect Core §3.1.3.7)")
		}
		return newError(CodeNonceMismatch, id, "ID token nonce differs from the one sent in the request (OpenID Connect Core §3.1.3.7)")
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// verifyRefreshedIDToken checks an ID token from a refresh-token response
// against the session's one, as OpenID Connect Core §12.2 requires: iss, sub
// and aud (see verifySameSubject) and azp "MUST be the same as in the ID Token
// issued when the original authentication occurred" (an azp may not appear
// when there was none), and auth_time, when the new token has it, "MUST
// represent the time of the original authentication - not the time that the
// new ID token is issued", so it must equal the old token's when that has one.
// Both tokens must already have passed verifyIDToken.
func verifyRefreshedIDToken(prev, next *IDTokenClaims, configID string) error {
	if err := verifySameSubject(prev, next, configID); err != nil {
		return err
	}
	if next.AuthorizedParty != prev.AuthorizedParty {
		return newError(CodeInvalidIDToken, configID, "refreshed ID token azp: expected %q, got %q (OpenID Connect Core §12.2)", prev.AuthorizedParty, next.AuthorizedParty)
	}
	if !prev.AuthTime.IsZero() && !next.AuthTime.IsZero() && !next.AuthTime.Equal(prev.AuthTime) {
		return newError(CodeInvalidIDToken, configID, "refreshed ID token auth_time: expected %s (the original authentication), got %s (OpenID Connect Core §12.2)", stamp(prev.AuthTime), stamp(next.AuthTime))
	}
	return nil
}

// verifySameSubject checks that next speaks of the same user at the same
// provider for the same client as prev: equal iss, sub and aud (OpenID Connect
// Core §12.2). A re-authentication (a silent prompt=none renewal) must pass it
// too; unlike a refresh it may carry a new auth_time (the user may have signed
// in again at the provider), so it need not pass verifyRefreshedIDToken.
func verifySameSubject(prev, next *IDTokenClaims, configID string) error {
	if prev == nil || next == nil {
		return newError(CodeInvalidIDToken, configID, "no previous ID token to compare the new one with (OpenID Connect Core §12.2)")
	}
	if next.Issuer != prev.Issuer {
		return newError(CodeIssMismatch, configID, "new ID token issuer: expected %q, got %q (OpenID Connect Core §12.2)", prev.Issuer, next.Issuer)
	}
	if next.Subject != prev.Subject {
		return newError(CodeInvalidIDToken, configID, "new ID token names another user: sub changed (OpenID Connect Core §12.2)")
	}
	if !sameSet(prev.Audience, next.Audience) {
		return newError(CodeInvalidIDToken, configID, "new ID token audience: expected %q, got %q (OpenID Connect Core §12.2)", prev.Audience, next.Audience)
	}
	return nil
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// audience is the aud claim: one string or an array of strings (RFC 7519 §4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*a = audience{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = ss
	return nil
}

// numericDate is a JSON NumericDate: seconds since the epoch, possibly with a
// fraction (RFC 7519 §2).
type numericDate struct{ t time.Time }

// maxNumericDate keeps times far from time.Time's limits, so that adding a
// clock skew cannot overflow (1e11 s is in the year 5138).
const maxNumericDate = 1e11

func (d *numericDate) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("a time claim is not a number (RFC 7519 §2 NumericDate): %s", truncate(string(b), 40))
	}
	if i, err := n.Int64(); err == nil {
		if i > maxNumericDate || i < -maxNumericDate {
			return fmt.Errorf("time claim %d is out of range", i)
		}
		d.t = time.Unix(i, 0).UTC()
		return nil
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || f > maxNumericDate || f < -maxNumericDate {
		return fmt.Errorf("time claim %s is out of range", n)
	}
	sec, frac := math.Modf(f)
	d.t = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	return nil
}

// time returns the time, or the zero time for an absent claim.
func (d *numericDate) time() time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.t
}
