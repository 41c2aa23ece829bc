package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// verifier checks the bearer tokens of one sample API the way a resource
// server should: the JWT's signature against the provider's JWKS, iss, aud
// (RFC 9068 §4: the API's audience: the SPA's client ID for APIs A and B, the
// resource indicator for API C), the scope the API needs, exp; and,
// since a revoked JWT still verifies, the provider's introspection endpoint
// (RFC 7662) when the API has credentials there.
type verifier struct {
	issuer   string
	audience string
	scope    string // a scope value the token must carry; "" for none
	// clientID and secret authenticate the API at the introspection
	// endpoint; empty with an external provider.
	clientID, secret string
	http             *http.Client
	now              func() time.Time

	mu        sync.Mutex
	disc      *discovery
	keys      jose.JSONWebKeySet
	refetched time.Time // last JWKS fetch, so an unknown kid refetches at most once a second
}

type discovery struct {
	JWKSURI               string `json:"jwks_uri"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
}

// claims are the access-token claims the APIs read (RFC 9068 §2.2).
type claims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience audience `json:"aud"`
	Expiry   int64    `json:"exp"`
	IssuedAt int64    `json:"iat"`
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope"`
	// Cnf is the confirmation claim of a DPoP-bound token (RFC 9449 §6.1).
	Cnf *struct {
		JKT string `json:"jkt"`
	} `json:"cnf"`
}

// boundJKT is the thumbprint the token is bound to, "" for a Bearer token.
func (c *claims) boundJKT() string {
	if c.Cnf == nil {
		return ""
	}
	return c.Cnf.JKT
}

// audience is aud: a string or an array of strings (RFC 7519 §4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = many
	return nil
}

// errRejected is a token the API refuses; its text is the reason shown to
// people. It never contains the token.
type errRejected struct{ reason string }

func (e *errRejected) Error() string { return e.reason }

func reject(format string, args ...any) error {
	return &errRejected{fmt.Sprintf(format, args...)}
}

// signatureAlgs are the JWS algorithms accepted: asymmetric only, never
// "none" or HMAC (RFC 8725 §3.1).
var signatureAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512, jose.ES256, jose.ES384, jose.ES512, jose.EdDSA}

// verify checks token. A *errRejected error means the token is bad; any
// other error means the provider could not be asked.
func (v *verifier) verify(ctx context.Context, token string) (*claims, error) {
	jws, err := jose.ParseSigned(token, signatureAlgs)
	if err != nil {
		return nil, reject("not a signed JWT with an accepted algorithm")
	}
	if len(jws.Signatures) != 1 {
		return nil, reject("want exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	key, err := v.key(ctx, kid)
	if err != nil {
		return nil, err
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, reject("signature does not verify against %s's keys", v.issuer)
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, reject("claims are not a JSON object: %v", err)
	}
	switch {
	case c.Issuer != v.issuer:
		return nil, reject("issued by %q, not by %q", c.Issuer, v.issuer)
	case !slices.Contains(c.Audience, v.audience):
		return nil, reject("audience %q does not include %q", []string(c.Audience), v.audience)
	case v.scope != "" && !slices.Contains(strings.Fields(c.Scope), v.scope):
		return nil, reject("scope %q lacks %q", c.Scope, v.scope)
	case c.Expiry == 0:
		return nil, reject("no exp claim")
	case !v.now().Before(time.Unix(c.Expiry, 0)):
		return nil, reject("expired at %s", time.Unix(c.Expiry, 0).UTC().Format(time.RFC3339))
	}
	if v.secret != "" {
		active, err := v.introspect(ctx, token)
		if err != nil {
			return nil, err
		}
		if !active {
			return nil, reject("revoked (the provider's introspection says it is not active)")
		}
	}
	return &c, nil
}

// key returns the public key with the given kid, refetching the JWKS once
// when the kid is unknown (the provider may have rotated its key).
func (v *verifier) key(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	find := func() *jose.JSONWebKey {
		for i, k := range v.keys.Keys {
			if k.Use != "enc" && (kid == "" || k.KeyID == kid) {
				return &v.keys.Keys[i]
			}
		}
		return nil
	}
	if k := find(); k != nil {
		return k, nil
	}
	if v.now().Sub(v.refetched) < time.Second {
		return nil, reject("signed with key %q, which %s does not publish", kid, v.issuer)
	}
	d, err := v.discoveryLocked(ctx)
	if err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if err := v.getJSON(ctx, d.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	v.keys, v.refetched = set, v.now()
	if k := find(); k != nil {
		return k, nil
	}
	return nil, reject("signed with key %q, which %s does not publish", kid, v.issuer)
}

func (v *verifier) discoveryLocked(ctx context.Context) (*discovery, error) {
	if v.disc != nil {
		return v.disc, nil
	}
	var d discovery
	if err := v.getJSON(ctx, v.issuer+"/.well-known/openid-configuration", &d); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	if d.JWKSURI == "" {
		return nil, errors.New("discovery: no jwks_uri")
	}
	v.disc = &d
	return v.disc, nil
}

// introspect asks the provider whether token is active (RFC 7662 §2).
func (v *verifier) introspect(ctx context.Context, token string) (bool, error) {
	v.mu.Lock()
	d, err := v.discoveryLocked(ctx)
	v.mu.Unlock()
	if err != nil {
		return false, err
	}
	if d.IntrospectionEndpoint == "" {
		return false, errors.New("discovery: no introspection_endpoint")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.IntrospectionEndpoint,
		strings.NewReader(url.Values{"token": {token}, "token_type_hint": {"access_token"}}.Encode()))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(v.clientID), url.QueryEscape(v.secret)) // RFC 6749 §2.3.1
	resp, err := v.http.Do(req)
	if err != nil {
		return false, fmt.Errorf("introspection: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("introspection: HTTP %d", resp.StatusCode)
	}
	var r struct {
		Active bool `json:"active"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&r); err != nil {
		return false, fmt.Errorf("introspection: %w", err)
	}
	return r.Active, nil
}

func (v *verifier) getJSON(ctx context.Context, u string, dst any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(dst)
}
