package demo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/zitadel/oidc/v3/pkg/client"
	"github.com/zitadel/oidc/v3/pkg/client/rs"
)

// verifier checks the bearer tokens of one sample API the way a resource
// server should. go-oidc checks the JWT: its signature against the
// provider's JWKS (cached, and refetched when no cached key verifies: the
// provider may have rotated its key), the algorithm, iss, aud (RFC 9068 §4:
// the API's audience: the SPA's client ID for APIs A and B, the resource
// indicator for API C) and exp. The verifier adds the scope the API needs
// and, since a revoked JWT still verifies, asks the provider's
// introspection endpoint (RFC 7662, with zitadel/oidc's resource-server
// client) when the API has credentials there.
type verifier struct {
	issuer   string
	audience string
	scope    string // a scope value the token must carry; "" for none
	// clientID and secret authenticate the API at the introspection
	// endpoint; empty with an external provider.
	clientID, secret string
	http             *http.Client
	now              func() time.Time

	mu            sync.Mutex
	keys          *oidc.RemoteKeySet // nil until discovery succeeds
	introspection rs.ResourceServer  // nil without a secret
}

// claims are the access-token claims the APIs read (RFC 9068 §2.2): iss,
// sub, aud, exp and iat as go-oidc checked them, and the ones it does not
// know.
type claims struct {
	*oidc.IDToken `json:"-"`
	ClientID      string `json:"client_id"`
	Scope         string `json:"scope"`
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

// errRejected is a token the API refuses; its text is the reason shown to
// people. It never contains the token.
type errRejected struct{ reason string }

func (e *errRejected) Error() string { return e.reason }

func reject(format string, args ...any) error {
	return &errRejected{fmt.Sprintf(format, args...)}
}

// signatureAlgs are the JWS algorithms accepted: asymmetric only, never
// "none" or HMAC (RFC 8725 §3.1).
var signatureAlgs = []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.PS256, oidc.PS384, oidc.PS512,
	oidc.ES256, oidc.ES384, oidc.ES512, oidc.EdDSA}

// keyCheck is the key set of one verification: the provider's cached JWKS,
// noting how the signature check went. go-oidc's errors are text, and the
// API must tell apart a token that is no signed JWT (the check never ran),
// a signature no published key verifies, and a JWKS it could not fetch.
type keyCheck struct {
	*oidc.RemoteKeySet
	ran bool
	err error
}

func (k *keyCheck) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	k.ran = true
	payload, err := k.RemoteKeySet.VerifySignature(ctx, jwt)
	k.err = err
	return payload, err
}

// verify checks token. A *errRejected error means the token is bad; any
// other error means the provider could not be asked.
func (v *verifier) verify(ctx context.Context, token string) (*claims, error) {
	keys, introspection, err := v.provider(ctx)
	if err != nil {
		return nil, err
	}
	check := &keyCheck{RemoteKeySet: keys}
	t, err := oidc.NewVerifier(v.issuer, check, &oidc.Config{ClientID: v.audience,
		SupportedSigningAlgs: signatureAlgs, Now: v.now}).Verify(ctx, token)
	var expired *oidc.TokenExpiredError
	switch {
	case !check.ran:
		return nil, reject("not a signed JWT with an accepted algorithm")
	case errors.Unwrap(check.err) != nil: // go-oidc wraps the cause when the JWKS could not be fetched
		return nil, fmt.Errorf("JWKS: %w", check.err)
	case check.err != nil:
		return nil, reject("no key %s publishes verifies the signature (signed with a key it does not publish, or altered)", v.issuer)
	case errors.As(err, &expired) && expired.Expiry.IsZero():
		return nil, reject("no exp claim")
	case errors.As(err, &expired):
		return nil, reject("expired at %s", expired.Expiry.UTC().Format(time.RFC3339))
	case err != nil: // iss, aud, nbf
		return nil, reject("%v", err)
	}
	c := claims{IDToken: t}
	if err := t.Claims(&c); err != nil {
		return nil, reject("claims: %v", err)
	}
	if v.scope != "" && !slices.Contains(strings.Fields(c.Scope), v.scope) { // RFC 9068 §2.2.3
		return nil, reject("scope %q lacks %q", c.Scope, v.scope)
	}
	if introspection != nil {
		r, err := rs.Introspect[struct {
			Active bool `json:"active"`
		}](ctx, introspection, token)
		if err != nil {
			return nil, fmt.Errorf("introspection: %w", err)
		}
		if !r.Active {
			return nil, reject("revoked (the provider's introspection says it is not active)")
		}
	}
	return &c, nil
}

// provider reads the issuer's discovery document the first time a token
// comes (an external provider need not be up when the demo starts), for
// its JWKS and, when the API has a secret, its introspection endpoint.
func (v *verifier) provider(ctx context.Context) (*oidc.RemoteKeySet, rs.ResourceServer, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keys != nil {
		return v.keys, v.introspection, nil
	}
	d, err := client.Discover(ctx, v.issuer, v.http)
	if err != nil {
		return nil, nil, fmt.Errorf("discovery: %w", err)
	}
	if v.secret != "" {
		// HTTP Basic authentication (RFC 6749 §2.3.1).
		v.introspection, err = rs.NewResourceServerClientCredentials(ctx, v.issuer, v.clientID, v.secret,
			rs.WithClient(v.http), rs.WithStaticEndpoints(d.TokenEndpoint, d.IntrospectionEndpoint))
		if err != nil {
			return nil, nil, fmt.Errorf("introspection: %w", err)
		}
	}
	v.keys = oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), v.http), d.JwksURI)
	return v.keys, v.introspection, nil
}
