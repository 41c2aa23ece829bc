package spa

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Defaults applied by Config.withDefaults.
const (
	DefaultScope              = "openid profile"
	DefaultSilentRenewTimeout = 20 * time.Second
	DefaultTimeoutFactor      = 0.75
	DefaultClockSkew          = 60 * time.Second
	DefaultSilentRenewPath    = "/silent-refresh.html"
	// DefaultCheckSessionInterval is how often a config with CheckSession
	// asks the provider's check_session_iframe (checkSessionIntervalInSeconds).
	DefaultCheckSessionInterval = 3 * time.Second
)

// NoClockSkew as Config.ClockSkew allows no leeway at all on the ID token's
// time claims: the zero value means DefaultClockSkew, so "none" needs a
// value of its own (the bridge's clockSkewInSeconds: 0).
const NoClockSkew time.Duration = -1

// Config is one OpenID Provider configuration of a single-page application.
// Field names mirror angular-auth-oidc-client's (see docs/DESIGN.md); the zero value
// of every optional field means its documented default.
type Config struct {
	// ConfigID names the configuration; required when there are several.
	ConfigID string
	// Authority is the issuer URL of the OpenID Provider (OpenID Connect Discovery §4).
	Authority string
	// ClientID is the public client's identifier at the provider.
	ClientID string
	// RedirectURL receives the authorization response; it must be registered at the provider.
	RedirectURL string
	// PostLogoutRedirectURI is where the provider sends the browser after logoff (optional).
	PostLogoutRedirectURI string
	// Scope defaults to "openid profile"; it must contain "openid".
	// Add "offline_access" to be given a refresh token.
	Scope string
	// ResponseType must be "" or "code": only the authorization code flow with PKCE is supported.
	ResponseType string
	// SecureRoutes are the entries whose requests carry this config's access
	// token (see RouteTable and Route); spa.Routes makes them from URLs.
	SecureRoutes []Route
	// UseRefreshToken renews with the refresh token when the session has one.
	UseRefreshToken bool
	// DisableSilentRenew turns off automatic renewal (JS: silentRenew: false).
	// Tokens are still renewed on demand.
	DisableSilentRenew bool
	// SilentRenewURL is the redirect URI for iframe renewal; default <origin of RedirectURL>/silent-refresh.html.
	SilentRenewURL string
	// PopupRedirectURL is the redirect URI of popup sign-in
	// (AuthorizePopupURL); default SilentRenewURL, whose silent-refresh.html
	// answers both the iframe and the popup.
	PopupRedirectURL string
	// SilentRenewTimeout bounds an iframe renewal; default 20s.
	SilentRenewTimeout time.Duration
	// TimeoutFactor is the fraction of the access token's lifetime after which it
	// is renewed; default 0.75; must be in (0,1).
	TimeoutFactor float64
	// Storage is StorageSession (default), StorageLocal or StorageMemory.
	Storage string
	// ClockSkew is allowed on the ID token's time claims; 0 means the
	// default, 60 s (zero-value configs work), NoClockSkew none.
	ClockSkew time.Duration
	// DisableAutoUserInfo skips the userinfo request after login (JS: autoUserInfo: false).
	DisableAutoUserInfo bool
	// DPoP binds the tokens to a key of this browser (RFC 9449, JS: dpop):
	// every token request, userinfo and revocation request, and every
	// request to a secure route carries a proof signed by the config's key
	// (Options.DPoPKeys), and the access token goes as "DPoP <token>". The
	// provider must answer with token_type DPoP.
	DPoP bool
	// UsePushedAuthorisationRequests sends the authorization parameters to
	// the provider's pushed_authorization_request_endpoint first (RFC 9126)
	// and navigates with client_id and request_uri only; on by itself when
	// the provider says require_pushed_authorization_requests.
	UsePushedAuthorisationRequests bool
	// FrontchannelLogoutURL is the app's front-channel logout page
	// (OpenID Connect Front-Channel Logout 1.0 §2, JS:
	// frontchannelLogoutUrl), registered at the provider as the client's
	// frontchannel_logout_uri: the provider loads it in an iframe with iss
	// and sid when the user's session there ends, and the session of this
	// config ends in every tab whose session has that sid. It must be on
	// the origin of RedirectURL (the page reaches the tabs through that
	// origin's BroadcastChannel and localStorage); "" turns front-channel
	// logout off for the config.
	FrontchannelLogoutURL string
	// CheckSession watches the provider's session with its
	// check_session_iframe (OpenID Connect Session Management 1.0 §3, JS:
	// checkSession), when its discovery names one: every
	// CheckSessionInterval (default 3 s) the iframe is asked whether the
	// session_state changed; "changed" starts one prompt=none renewal, which
	// ends the session when the provider answers login_required.
	CheckSession         bool
	CheckSessionInterval time.Duration
	// Custody says where the config's tokens live: CustodyPage (the zero
	// value, "") in the page's module, CustodyWorker in a service worker
	// that page scripts cannot read (JS: custody; see custody.go).
	Custody string
	// ExposeAccessToken lets getAccessToken hand a worker-custody config's
	// access token to the page (JS: exposeAccessToken); only with
	// CustodyWorker.
	ExposeAccessToken bool
	// Custom parameters added to the authorization, refresh-token and end-session requests.
	CustomParamsAuthRequest         map[string]string
	CustomParamsRefreshTokenRequest map[string]string
	CustomParamsEndSessionRequest   map[string]string
}

// withDefaults returns c with every zero optional field set to its default.
func (c Config) withDefaults() Config {
	if c.Scope == "" {
		c.Scope = DefaultScope
	}
	if c.ResponseType == "" {
		c.ResponseType = "code"
	}
	if c.SilentRenewTimeout == 0 {
		c.SilentRenewTimeout = DefaultSilentRenewTimeout
	}
	if c.TimeoutFactor == 0 {
		c.TimeoutFactor = DefaultTimeoutFactor
	}
	if c.Storage == "" {
		c.Storage = StorageSession
		if c.WorkerCustody() {
			c.Storage = StorageMemory // the worker's memory, never page storage
		}
	}
	if c.ClockSkew == 0 {
		c.ClockSkew = DefaultClockSkew
	}
	if c.SilentRenewURL == "" {
		if u, err := url.Parse(c.RedirectURL); err == nil && u.Scheme != "" && u.Host != "" {
			c.SilentRenewURL = u.Scheme + "://" + u.Host + DefaultSilentRenewPath
		}
	}
	if c.PopupRedirectURL == "" {
		c.PopupRedirectURL = c.SilentRenewURL
	}
	if c.CheckSessionInterval == 0 {
		c.CheckSessionInterval = DefaultCheckSessionInterval
	}
	c.Authority = strings.TrimSuffix(c.Authority, "/")
	return c
}

// validate checks one config after defaults were applied. The error names the
// config and the field.
func (c *Config) validate() error {
	id := c.ConfigID
	if err := checkURL(id, "authority", c.Authority, true); err != nil {
		return err
	}
	if strings.TrimSpace(c.ClientID) == "" {
		return configError(id, "clientId", "is required")
	}
	if err := checkURL(id, "redirectUrl", c.RedirectURL, true); err != nil {
		return err
	}
	if err := checkURL(id, "postLogoutRedirectUri", c.PostLogoutRedirectURI, false); err != nil {
		return err
	}
	if err := checkURL(id, "silentRenewUrl", c.SilentRenewURL, true); err != nil {
		return err
	}
	if err := checkURL(id, "popupRedirectUrl", c.PopupRedirectURL, true); err != nil {
		return err
	}
	if err := c.validateSignOut(); err != nil {
		return err
	}
	if c.ResponseType != "code" {
		return configError(id, "responseType", "%q is not supported: only the authorization code flow with PKCE (\"code\") is; the implicit and hybrid flows expose tokens in the URL (OAuth 2.0 Security BCP §2.1.2)", c.ResponseType)
	}
	if !hasScope(c.Scope, "openid") {
		return configError(id, "scope", "%q lacks \"openid\" (OpenID Connect Core §3.1.2.1)", c.Scope)
	}
	if c.TimeoutFactor <= 0 || c.TimeoutFactor >= 1 {
		return configError(id, "timeoutFactor", "%v is outside (0, 1)", c.TimeoutFactor)
	}
	if c.SilentRenewTimeout < 0 {
		return configError(id, "silentRenewTimeoutInSeconds", "must not be negative")
	}
	if c.ClockSkew < 0 && c.ClockSkew != NoClockSkew {
		return configError(id, "clockSkewInSeconds", "must not be negative (NoClockSkew allows none)")
	}
	switch c.Storage {
	case StorageSession, StorageLocal, StorageMemory:
	default:
		return configError(id, "storage", "%q is not one of session, local, memory", c.Storage)
	}
	if err := c.validateCustody(); err != nil {
		return err
	}
	for i, r := range c.SecureRoutes {
		if err := r.TokenOptions().validate(c, fmt.Sprintf("secureRoutes[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

// checkURL requires an absolute http(s) URL without userinfo or fragment.
func checkURL(configID, field, raw string, required bool) error {
	if raw == "" {
		if required {
			return configError(configID, field, "is required")
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return configError(configID, field, "%q is not a URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return configError(configID, field, "%q is not an absolute http(s) URL", raw)
	}
	if u.User != nil {
		return configError(configID, field, "%q must not contain userinfo", raw)
	}
	if u.Fragment != "" {
		return configError(configID, field, "%q must not contain a fragment (RFC 6749 §3.1.2)", raw)
	}
	return nil
}

func hasScope(scope, want string) bool {
	for _, s := range strings.Fields(scope) {
		if s == want {
			return true
		}
	}
	return false
}

// validateConfigs applies defaults, checks every config, gives a lone config the
// ID DefaultConfigID when it has none, and rejects duplicate or missing IDs.
func validateConfigs(configs []Config) ([]Config, error) {
	if len(configs) == 0 {
		return nil, configError("", "configs", "at least one config is required")
	}
	out := make([]Config, len(configs))
	seen := make(map[string]bool, len(configs))
	for i, c := range configs {
		c = c.withDefaults()
		if c.ConfigID == "" {
			if len(configs) > 1 {
				return nil, configError("", fmt.Sprintf("configs[%d].configId", i), "is required when there are several configs")
			}
			c.ConfigID = DefaultConfigID
		}
		if seen[c.ConfigID] {
			return nil, configError(c.ConfigID, "configId", "is used by two configs")
		}
		seen[c.ConfigID] = true
		if err := c.validate(); err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// DefaultConfigID is the ID of a config given without one (a single config).
const DefaultConfigID = "default"
