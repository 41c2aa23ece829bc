package devop

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/oidcwasm/oidcwasm/internal/dpop"
)

// Config configures a development OpenID Provider. Every field except Clients
// has a useful zero value.
type Config struct {
	// Addr is the host:port to listen on. The host must be a loopback address
	// or "localhost"; an empty host (all interfaces) is refused. Port 0 picks
	// a free port. Default "127.0.0.1:0".
	Addr string
	// Issuer is the issuer identifier (OpenID Connect Discovery 1.0 §3, §4.3):
	// an absolute http or https URL without path, query or fragment. Default
	// "http://localhost:PORT" with the port actually bound. Browsers and
	// relying parties must reach the provider under exactly this URL.
	Issuer string
	// Clients are the registered relying parties. At least one is required.
	Clients []Client
	// Users are the accounts that can sign in. Default DefaultUsers().
	Users []User
	// AccessTokenLifetime is the lifetime of access tokens. Default 60s, short
	// on purpose so renewals are visible in the demo.
	AccessTokenLifetime time.Duration
	// IDTokenLifetime is the lifetime of ID tokens. Default 5m.
	IDTokenLifetime time.Duration
	// RefreshTokenLifetime is the lifetime of each refresh token; every
	// rotation issues a token with the full lifetime. Default 8h.
	RefreshTokenLifetime time.Duration
	// KeyGracePeriod is how long a rotated-out signing key stays published in
	// the JWKS so tokens it signed can still be verified. Default 1h.
	KeyGracePeriod time.Duration
	// AutoLogin, when set to a username, signs that user in at once on an
	// interactive authorization request without a session: no login page is
	// shown. For tests only. prompt=none still follows the session rules.
	AutoLogin string
	// Resources are the protected resources (APIs) clients may name with
	// the resource parameter of RFC 8707: several at /authorize (§2.1), one
	// per token request (§2.2), which then gets an access token with aud =
	// [URI] and the scopes that resource takes; see Resource. URIs must be
	// absolute, without fragment (§2), and distinct. Default none: every
	// resource parameter is refused with invalid_target.
	Resources []Resource
	// RequirePushedAuthorizationRequests makes discovery say
	// require_pushed_authorization_requests: true (RFC 9126 §5) and makes
	// /authorize refuse a request without request_uri: error=invalid_request
	// at the redirect URI when client_id and redirect_uri are registered
	// (RFC 6749 §4.1.2.1), else a 400 error page.
	RequirePushedAuthorizationRequests bool
	// PushedRequestLifetime is how long a request_uri from the PAR endpoint
	// stays usable (RFC 9126 §2.2 expires_in). Default 60s.
	PushedRequestLifetime time.Duration
	// DPoPProofWindow is how far a DPoP proof's iat may be from the
	// provider's clock, either way (RFC 9449 §4.3 check 11, §11.1); jti
	// values are remembered that long. Default 60s.
	DPoPProofWindow time.Duration
}

// Client is a registered relying party.
type Client struct {
	// ID is the client_id (RFC 6749 §2.2).
	ID string `json:"id"`
	// RedirectURIs are matched exactly, character for character (RFC 6749
	// §3.1.2.3, OpenID Connect Core §3.1.2.1). A page and its silent-refresh
	// page are two entries.
	RedirectURIs []string `json:"redirect_uris"`
	// PostLogoutRedirectURIs are the URIs end_session may redirect to, matched
	// exactly (OpenID Connect RP-Initiated Logout 1.0 §3).
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	// Origins are the browser origins (scheme://host[:port]) allowed to call
	// the discovery, JWKS, token, userinfo and revocation endpoints with CORS.
	// Default: the origins of RedirectURIs. "*" is refused.
	Origins []string `json:"origins,omitempty"`
	// Secret, when set, makes the client confidential (client_secret_basic,
	// RFC 6749 §2.3.1), e.g. a sample API that introspects tokens (RFC 7662).
	// Without it the client is public (token_endpoint_auth_method none) and
	// PKCE with S256 is required (RFC 7636, RFC 9700 §2.1.1).
	Secret string `json:"secret,omitempty"`
	// FrontchannelLogoutURI is the client's frontchannel_logout_uri (OpenID
	// Connect Front-Channel Logout 1.0 §2): on the scheme, host and port of
	// a redirect URI, it is loaded in an iframe when a browser session the
	// client got a code in ends in the browser (end_session, /signout).
	FrontchannelLogoutURI string `json:"frontchannel_logout_uri,omitempty"`
	// FrontchannelLogoutSessionRequired adds iss and sid to that URI (§2).
	FrontchannelLogoutSessionRequired bool `json:"frontchannel_logout_session_required,omitempty"`
}

// User is an account that can sign in on the login page. Its claims are
// released per scope (OpenID Connect Core §5.4).
type User struct {
	Username      string `json:"username"`
	Password      string `json:"password"`
	Subject       string `json:"sub,omitempty"` // default: Username
	Name          string `json:"name,omitempty"`
	GivenName     string `json:"given_name,omitempty"`
	FamilyName    string `json:"family_name,omitempty"`
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified,omitempty"`
}

// DefaultUsers returns the demo accounts alice/alice and bob/bob.
func DefaultUsers() []User {
	return []User{
		{Username: "alice", Password: "alice", Subject: "user-alice", Name: "Alice Liddell",
			GivenName: "Alice", FamilyName: "Liddell", Email: "alice@example.com", EmailVerified: true},
		{Username: "bob", Password: "bob", Subject: "user-bob", Name: "Bob Builder",
			GivenName: "Bob", FamilyName: "Builder", Email: "bob@example.com", EmailVerified: false},
	}
}

// Defaults of Config.
const (
	DefaultAddr                  = "127.0.0.1:0"
	DefaultAccessTokenLifetime   = 60 * time.Second
	DefaultIDTokenLifetime       = 5 * time.Minute
	DefaultRefreshTokenLifetime  = 8 * time.Hour
	DefaultKeyGracePeriod        = time.Hour
	DefaultPushedRequestLifetime = 60 * time.Second
	DefaultDPoPProofWindow       = dpop.DefaultWindow
)

// withDefaults returns a copy of c with zero values replaced by defaults and
// client origins derived from redirect URIs.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Users == nil {
		c.Users = DefaultUsers()
	}
	c.Users = append([]User(nil), c.Users...)
	for i := range c.Users {
		if c.Users[i].Subject == "" {
			c.Users[i].Subject = c.Users[i].Username
		}
	}
	if c.AccessTokenLifetime == 0 {
		c.AccessTokenLifetime = DefaultAccessTokenLifetime
	}
	if c.IDTokenLifetime == 0 {
		c.IDTokenLifetime = DefaultIDTokenLifetime
	}
	if c.RefreshTokenLifetime == 0 {
		c.RefreshTokenLifetime = DefaultRefreshTokenLifetime
	}
	if c.KeyGracePeriod == 0 {
		c.KeyGracePeriod = DefaultKeyGracePeriod
	}
	if c.PushedRequestLifetime == 0 {
		c.PushedRequestLifetime = DefaultPushedRequestLifetime
	}
	if c.DPoPProofWindow == 0 {
		c.DPoPProofWindow = DefaultDPoPProofWindow
	}
	c.Resources = append([]Resource(nil), c.Resources...)
	c.Clients = append([]Client(nil), c.Clients...)
	for i, cl := range c.Clients {
		if len(cl.Origins) == 0 {
			c.Clients[i].Origins = originsOf(cl.RedirectURIs)
		}
	}
	return c
}

// validate checks a defaulted Config. Errors name the field.
func (c Config) validate() error {
	if err := CheckLoopbackAddr(c.Addr); err != nil {
		return fmt.Errorf("Addr: %w", err)
	}
	if c.Issuer != "" {
		if err := CheckIssuer(c.Issuer); err != nil {
			return fmt.Errorf("Issuer: %w", err)
		}
	}
	if len(c.Clients) == 0 {
		return errors.New("Clients: at least one client is required")
	}
	ids := map[string]bool{}
	for _, cl := range c.Clients {
		if err := cl.Validate(); err != nil {
			if cl.ID == "" {
				return fmt.Errorf("Clients: %w", err)
			}
			return fmt.Errorf("client %q: %w", cl.ID, err)
		}
		if ids[cl.ID] {
			return fmt.Errorf("client %q: registered twice", cl.ID)
		}
		ids[cl.ID] = true
	}
	names, subs := map[string]bool{}, map[string]bool{}
	for _, u := range c.Users {
		switch {
		case u.Username == "" || u.Password == "":
			return fmt.Errorf("user %q: username and password are required", u.Username)
		case names[u.Username]:
			return fmt.Errorf("user %q: defined twice", u.Username)
		case subs[u.Subject]:
			return fmt.Errorf("user %q: subject %q already taken", u.Username, u.Subject)
		}
		names[u.Username], subs[u.Subject] = true, true
	}
	seen := map[string]bool{}
	for _, r := range c.Resources {
		if err := r.validate(); err != nil {
			return fmt.Errorf("Resources: resource %q: %w", r.URI, err)
		}
		if seen[r.URI] {
			return fmt.Errorf("Resources: resource %q: listed twice", r.URI)
		}
		seen[r.URI] = true
	}
	if c.AutoLogin != "" && !names[c.AutoLogin] {
		return fmt.Errorf("AutoLogin %q: no such user", c.AutoLogin)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"AccessTokenLifetime", c.AccessTokenLifetime},
		{"IDTokenLifetime", c.IDTokenLifetime},
		{"RefreshTokenLifetime", c.RefreshTokenLifetime},
		{"KeyGracePeriod", c.KeyGracePeriod},
		{"PushedRequestLifetime", c.PushedRequestLifetime},
		{"DPoPProofWindow", c.DPoPProofWindow},
	} {
		if d.v < 0 {
			return fmt.Errorf("%s %v: must not be negative", d.name, d.v)
		}
	}
	return nil
}

// Validate reports the first problem with a client registration. The error
// names the field, e.g. `redirect URI "::bad": not an absolute URL`.
func (cl Client) Validate() error {
	if cl.ID == "" {
		return errors.New("client id is required")
	}
	if strings.ContainsAny(cl.ID, " ,:") {
		return fmt.Errorf("client id %q: must not contain spaces, commas or colons", cl.ID)
	}
	if len(cl.RedirectURIs) == 0 {
		return errors.New("at least one redirect URI is required")
	}
	for _, u := range cl.RedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return fmt.Errorf("redirect URI %q: %w", u, err)
		}
	}
	for _, u := range cl.PostLogoutRedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return fmt.Errorf("post-logout redirect URI %q: %w", u, err)
		}
	}
	for _, o := range cl.Origins {
		if err := CheckOrigin(o); err != nil {
			return fmt.Errorf("origin %q: %w", o, err)
		}
	}
	if err := checkFrontchannelURI(cl); err != nil {
		return fmt.Errorf("front-channel logout URI %q: %w", cl.FrontchannelLogoutURI, err)
	}
	return nil
}

// checkRedirectURI applies RFC 6749 §3.1.2: an absolute URI without fragment.
func checkRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return errors.New("not an absolute URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q: only http and https are supported", u.Scheme)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("must not contain a fragment (RFC 6749 §3.1.2)")
	}
	return nil
}

// CheckOrigin accepts a serialized web origin as browsers send it in the
// Origin header (RFC 6454 §6.1): lower-case scheme://host[:port], nothing else.
func CheckOrigin(o string) error {
	if o == "*" || o == "null" {
		return errors.New("list each SPA origin; wildcards and null are not allowed")
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("not an http(s) origin")
	}
	if serialized := u.Scheme + "://" + u.Host; serialized != o || strings.ToLower(o) != o {
		return errors.New("must be scheme://host[:port] in lower case, without path or trailing slash")
	}
	return nil
}

// CheckIssuer accepts an absolute http(s) URL without path, query or fragment
// (OpenID Connect Discovery 1.0 §3 allows a path; this provider serves at the
// root so it does not).
func CheckIssuer(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("not an absolute http(s) URL")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("must not have a path, query, fragment or userinfo")
	}
	return nil
}

// CheckLoopbackAddr accepts host:port where host is "localhost" or a loopback
// IP address, so the provider is never reachable from another machine.
func CheckLoopbackAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%q: not a loopback address (use 127.0.0.1, ::1 or localhost)", addr)
}

// originsOf returns the distinct origins of the given URLs.
func originsOf(uris []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, raw := range uris {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			continue
		}
		o := strings.ToLower(u.Scheme + "://" + u.Host)
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out
}
