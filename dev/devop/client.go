package devop

import (
	"net/url"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// opClient adapts a Client registration to op.Client.
type opClient struct {
	Client
	idTokenLifetime time.Duration
	loginURL        string          // absolute URL of the login page
	resourceScopes  map[string]bool // the scope values of Config.Resources
}

var _ op.Client = (*opClient)(nil)

func (c *opClient) GetID() string                    { return c.ID }
func (c *opClient) RedirectURIs() []string           { return c.Client.RedirectURIs }
func (c *opClient) PostLogoutRedirectURIs() []string { return c.Client.PostLogoutRedirectURIs }

// public reports whether the client has no secret (RFC 6749 §2.1).
func (c *opClient) public() bool { return c.Secret == "" }

// ApplicationType is user_agent for public clients (SPAs) and web for
// confidential ones.
func (c *opClient) ApplicationType() op.ApplicationType {
	if c.public() {
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}

// AuthMethod is the token_endpoint_auth_method (OpenID Connect Dynamic Client
// Registration 1.0 §2): none for public clients, client_secret_basic otherwise.
func (c *opClient) AuthMethod() oidc.AuthMethod {
	if c.public() {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

// ResponseTypes allows only the authorization code flow (RFC 9700 §2.1.2).
func (c *opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c *opClient) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}

func (c *opClient) LoginURL(authRequestID string) string {
	return c.loginURL + "?" + url.Values{"authRequestID": {authRequestID}}.Encode()
}

// AccessTokenType is JWT so sample APIs can check signature and aud offline.
func (c *opClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }
func (c *opClient) IDTokenLifetime() time.Duration      { return c.idTokenLifetime }

// DevMode lets op accept http:// redirect URIs for user-agent clients. op
// still matches them exactly against the registration first.
func (c *opClient) DevMode() bool { return true }

func (c *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed allows, beyond the standard scopes op already knows, the
// scope values a configured resource takes (Resource.Scopes).
func (c *opClient) IsScopeAllowed(s string) bool { return c.resourceScopes[s] }

// IDTokenUserinfoClaimsAssertion is false: when an access token is issued,
// profile and email claims come from userinfo (OpenID Connect Core §5.4).
func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *opClient) ClockSkew() time.Duration             { return 0 }
