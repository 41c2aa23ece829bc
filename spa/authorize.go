package spa

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/oauth2"
)

// AuthorizeOptions are the per-call settings of Manager.Authorize.
type AuthorizeOptions struct {
	// CustomParams are added to the authorization request after the config's
	// CustomParamsAuthRequest (and override them). Protocol parameters cannot be set.
	CustomParams map[string]string
	// ReturnURL is where the app should go after the callback; it must be on the
	// app's own origin (relative, or the origin of RedirectURL), so a callback can
	// never become an open redirect.
	ReturnURL string
	// Prompt, MaxAge and LoginHint are OpenID Connect Core §3.1.2.1 parameters
	// (MaxAge ≤ 0: unset; for max_age=0 ask for Prompt "login").
	Prompt    string
	MaxAge    int
	LoginHint string

	token *TokenOptions // silentRequest of a per-API token
}

// reservedAuthParams are set by the library alone, space separated (a
// string, not a map: no table built at init in every wasm).
const reservedAuthParams = " response_type client_id redirect_uri state nonce code_challenge code_challenge_method request_uri "

// AuthRequest is an authorization request in flight (RFC 6749 §4.1.1): the
// URL a window visits and the state its answer must carry. With pushed
// authorization requests the URL holds only client_id and request_uri
// (RFC 9126 §4), so the state is known from here alone; the answer is matched
// against it as the answer to any request is.
type AuthRequest struct {
	ConfigID string
	URL      string
	State    string
}

// Authorize starts the authorization code flow with PKCE for a config: it saves
// a transaction (state, nonce, S256 verifier) and returns the URL to navigate to
// (RFC 6749 §4.1.1, RFC 7636 §4.3, OpenID Connect Core §3.1.2.1).
func (m *Manager) Authorize(ctx context.Context, configID string, o AuthorizeOptions) (string, error) {
	p, err := m.provider(configID)
	if err != nil {
		return "", err
	}
	ret, err := checkReturnURL(&p.cfg, o.ReturnURL)
	if err != nil {
		return "", err
	}
	req, err := m.authorizeRequest(ctx, p, p.cfg.RedirectURL, ret, false, o)
	return req.URL, err
}

// AuthorizePopup is Authorize for a sign-in in a popup window: the same
// transaction and parameters, with redirect_uri=PopupRedirectURL, whose page
// hands the response to the opener; Complete validates and exchanges it, and
// Discard drops a request whose popup failed or was closed. No ReturnURL: the
// page that opened the popup never navigates.
func (m *Manager) AuthorizePopup(ctx context.Context, configID string, o AuthorizeOptions) (AuthRequest, error) {
	p, err := m.provider(configID)
	if err != nil {
		return AuthRequest{}, err
	}
	if o.ReturnURL != "" {
		return AuthRequest{}, configError(p.cfg.ConfigID, "returnUrl", "has no meaning for a popup sign-in: the page that opened it stays where it is")
	}
	return m.authorizeRequest(ctx, p, p.cfg.PopupRedirectURL, "", false, o)
}

// AuthorizeSilent is a sign-in without the user: a prompt=none request
// answered at the config's SilentRenewURL in a hidden iframe (OpenID Connect
// Core §3.1.2.1), for a config that has no session here although the
// provider may still have one. Worker custody uses it when the browser
// stopped the service worker and its memory, the tokens with it, went.
// Complete validates and exchanges the answer; Discard drops a request that
// got none. Unlike a Renewal's it takes no renewal lock: the caller runs one
// at a time per config (the worker is the only holder of such sessions, for
// every tab).
func (m *Manager) AuthorizeSilent(ctx context.Context, configID string) (AuthRequest, error) {
	p, err := m.provider(configID)
	if err != nil {
		return AuthRequest{}, err
	}
	return m.silentRequest(ctx, p, TokenOptions{})
}

// silentRequest is the authorization request of an iframe renewal:
// prompt=none and redirect_uri=SilentRenewURL (OpenID Connect Core §3.1.2.1).
// For a per-API token (o not zero) it names only o's resource, asks for
// "openid" plus o's scope (the config's scope when o has none) and carries o's
// TokenParams; Exchange of its callback redeems the code with that resource
// (RFC 8707 §2.2) and stores the token in the session, leaving the login token
// as it is. Only a Renewal makes one (Renewal.SilentRequest): a silent sign-in
// outside the renewal lock could race a renewal of another tab.
func (m *Manager) silentRequest(ctx context.Context, p *provider, o TokenOptions) (AuthRequest, error) {
	ao := AuthorizeOptions{Prompt: "none", MaxAge: -1}
	if !o.IsZero() {
		if err := o.validate(&p.cfg, "options"); err != nil {
			return AuthRequest{}, err
		}
		ao.token = &o
	}
	return m.authorizeRequest(ctx, p, p.cfg.SilentRenewURL, "", true, ao)
}

// Complete validates answer, the URL a popup or an iframe handed back for req,
// and exchanges it (ValidateCallback, then Exchange). The answer must carry
// req's state: an answer to another request (a stale iframe's, another flow's)
// is CodeStateMismatch and uses up nothing of that other request. On a failure
// before the exchange req's transaction is dropped at once.
func (m *Manager) Complete(ctx context.Context, req AuthRequest, answer string) (*Session, error) {
	if st, ok := CallbackState(answer); !ok || st != req.State {
		m.Discard(req)
		return nil, newError(CodeStateMismatch, req.ConfigID, "the answer does not carry the state of its authorization request")
	}
	cb, err := m.ValidateCallback(ctx, answer)
	if err != nil {
		return nil, withConfig(err, req.ConfigID) // the transaction is used up: ValidateCallback took it
	}
	return m.Exchange(ctx, cb)
}

func (m *Manager) authorizeRequest(ctx context.Context, p *provider, redirect, returnURL string, silent bool, o AuthorizeOptions) (AuthRequest, error) {
	c := &p.cfg
	u, err := url.Parse(p.disc.AuthorizationEndpoint)
	if err != nil {
		return AuthRequest{}, wrapError(CodeInvalidResponse, c.ConfigID, err, "discovery authorization_endpoint is not a URL")
	}
	q := u.Query() // RFC 6749 §3.1: keep the endpoint's own query
	for _, params := range []map[string]string{c.CustomParamsAuthRequest, o.CustomParams} {
		for k, v := range params {
			if strings.Contains(reservedAuthParams, " "+k+" ") {
				return AuthRequest{}, configError(c.ConfigID, "customParamsAuthRequest", "%q is set by the library and cannot be a custom parameter", k)
			}
			q.Set(k, v)
		}
	}
	t := &transaction{V: storeVersion, ConfigID: c.ConfigID, Authority: c.Authority, ClientID: c.ClientID,
		RedirectURL: redirect, ReturnURL: returnURL, Silent: silent, Token: o.token, CreatedAt: m.clock.Now()}
	if t.State, err = randomString(m.rand, 32); err != nil {
		return AuthRequest{}, err
	}
	if t.Nonce, err = randomString(m.rand, 32); err != nil {
		return AuthRequest{}, err
	}
	if t.Verifier, err = randomString(m.rand, 32); err != nil { // 43 characters, RFC 7636 §4.1
		return AuthRequest{}, err
	}
	q.Set("response_type", "code")
	q.Set("client_id", c.ClientID)
	q.Set("redirect_uri", redirect)
	if q.Get("scope") == "" {
		q.Set("scope", c.Scope)
	}
	if t := o.token; t != nil {
		// One resource, the narrowed scope (with openid: the answer must
		// still verify as this user's) and the token parameters.
		for k, v := range t.TokenParams {
			q.Set(k, v)
		}
		q["resource"] = nil
		if t.Resource != "" {
			q.Set("resource", t.Resource)
		}
		if s := scopeSet(t.Scope); s != "" {
			q.Set("scope", scopeSet("openid "+s))
		}
	} else if rs := configResources(c); len(rs) > 0 {
		// Every resource of the config's entries, so that the grant covers
		// them: many providers refuse a resource at the refresh grant that
		// the authorization did not name (RFC 8707 §2.1).
		q["resource"] = rs
	}
	q.Set("state", t.State)
	q.Set("nonce", t.Nonce)
	q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(t.Verifier)) // RFC 7636 §4.2
	q.Set("code_challenge_method", "S256")
	if o.Prompt != "" {
		q.Set("prompt", o.Prompt)
	}
	if o.MaxAge > 0 {
		q.Set("max_age", strconv.Itoa(o.MaxAge))
	}
	if o.LoginHint != "" {
		q.Set("login_hint", o.LoginHint)
	}
	if c.UsePushedAuthorisationRequests || p.disc.RequirePAR {
		uri, err := m.pushAuthorization(ctx, p, q)
		if err != nil {
			return AuthRequest{}, err
		}
		q = u.Query() // RFC 9126 §4: the endpoint's own query, client_id and request_uri
		q.Set("client_id", c.ClientID)
		q.Set("request_uri", uri)
	}
	m.txMu.Lock()
	err = m.saveTx(t)
	m.txMu.Unlock()
	if err != nil {
		return AuthRequest{}, wrapError(CodeStorage, c.ConfigID, err, "cannot store the authorization request")
	}
	u.RawQuery = q.Encode()
	return AuthRequest{ConfigID: c.ConfigID, URL: u.String(), State: t.State}, nil
}

// pushAuthorization posts the authorization parameters to the provider's
// pushed_authorization_request_endpoint (RFC 9126 §2.1), with a DPoP proof
// when DPoP is on (RFC 9449 §10.1), and returns the request_uri of its
// answer (§2.2). A refusal is an *Error with the provider's code.
func (m *Manager) pushAuthorization(ctx context.Context, p *provider, params url.Values) (string, error) {
	resp, err := m.send(ctx, p, formPost(p.disc.PAREndpoint, params), "")
	if err != nil {
		return "", err
	}
	if e := oauthError(resp, p.cfg.ConfigID, "the pushed authorization request endpoint"); e != nil {
		return "", e
	}
	if resp.Status == http.StatusCreated {
		resp.Status = http.StatusOK // §2.2 answers 201; decodeJSON takes 200
	}
	var out map[string]any // a type the wasm has anyway
	if err := decodeJSON(resp, p.cfg.ConfigID, "the pushed authorization request endpoint", &out); err != nil {
		return "", err
	}
	uri, _ := out["request_uri"].(string)
	if uri == "" {
		return "", newError(CodeInvalidResponse, p.cfg.ConfigID, "the pushed authorization request endpoint answered without request_uri (RFC 9126 §2.2)")
	}
	return uri, nil
}

// checkReturnURL accepts "", a path on the app's origin, or an absolute URL on
// the origin of RedirectURL, and returns it as an absolute URL ("" stays "").
func checkReturnURL(c *Config, raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	if strings.ContainsAny(raw, "\\\x00\t\r\n") {
		// Browsers read "/\\evil.example" as "//evil.example"; Go does not.
		return "", configError(c.ConfigID, "returnUrl", "%q contains a backslash or control character", raw)
	}
	base, err := url.Parse(c.RedirectURL)
	if err != nil {
		return "", configError(c.ConfigID, "redirectUrl", "is not a URL")
	}
	ref, err := url.Parse(raw)
	if err != nil {
		return "", configError(c.ConfigID, "returnUrl", "%q is not a URL", raw)
	}
	abs := base.ResolveReference(ref)
	if abs.Scheme != base.Scheme || abs.Host != base.Host || abs.User != nil || ref.Opaque != "" {
		return "", configError(c.ConfigID, "returnUrl", "%q is not on the app's origin %s://%s; a return URL elsewhere would make the callback an open redirect", raw, base.Scheme, base.Host)
	}
	return abs.String(), nil
}
