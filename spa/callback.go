package spa

import (
	"context"
	"net/url"
	"slices"
	"strings"
)

// Callback is an authorization response that passed validation: its state
// matched a pending transaction (now used up), the RFC 9207 iss check passed and
// it carries a code. Only Manager.ValidateCallback makes one, so Exchange cannot
// be called on unvalidated input.
type Callback struct {
	_    noCompare // no == (and no equality function in the wasm)
	tx   *transaction
	code string
	// sessionState is the response's session_state (OpenID Connect
	// Session Management 1.0 §2), kept with the session it makes.
	sessionState string
}

// ConfigID is the config the response belongs to.
func (c *Callback) ConfigID() string { return c.tx.ConfigID }

// ReturnURL is the return URL given to Authorize ("" when none).
func (c *Callback) ReturnURL() string { return c.tx.ReturnURL }

// Silent reports whether the response answers an iframe renewal.
func (c *Callback) Silent() bool { return c.tx.Silent }

// callbackParams are the parameters an authorization response may carry
// (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207 §2; OpenID Connect Session §2).
var callbackParams = []string{"code", "state", "iss", "error", "error_description", "error_uri", "session_state"}

// responseParams returns the authorization response parameters of a URL: the
// query, or the fragment when the query has no state (response_mode=fragment).
func responseParams(raw string) (url.Values, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, false
	}
	for _, part := range []string{u.RawQuery, u.EscapedFragment()} {
		q, err := url.ParseQuery(part)
		if err == nil && q.Has("state") && (q.Has("code") || q.Has("error")) {
			return q, true
		}
	}
	return nil, false
}

// CallbackState returns the state of the authorization response raw
// carries, read as ValidateCallback reads it (the query, or the fragment with
// response_mode=fragment), and false when raw carries no response or not
// exactly one state.
func CallbackState(raw string) (string, bool) {
	q, ok := responseParams(raw)
	if !ok || len(q["state"]) != 1 {
		return "", false
	}
	return q.Get("state"), true
}

// IsCallbackURL reports whether raw carries an authorization response (code or
// error, with state). It says nothing of whether the response is valid.
func IsCallbackURL(raw string) bool {
	_, ok := responseParams(raw)
	return ok
}

// CleanCallbackURL returns raw without the authorization response parameters,
// for history.replaceState, so codes do not stay in the address bar or history.
func CleanCallbackURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for _, k := range callbackParams {
		q.Del(k)
	}
	u.RawQuery = q.Encode()
	if f, err := url.ParseQuery(u.EscapedFragment()); err == nil && f.Has("state") {
		u.Fragment, u.RawFragment = "", ""
	}
	return u.String()
}

// CleanAddress reports whether raw, the page's address, is an authorization
// response or the return from a logoff started here (see TakeLogoutReturn,
// whose state it uses up), and gives the address the page should show
// instead (history.replaceState): the configured redirectUrl or
// postLogoutRedirectUri it arrived at, exactly as configured, so every
// parameter the provider appended (code, state, iss, session_state, scope,
// authuser, …) is gone and the app's own are kept. When raw matches no
// configured URL, only the known response parameters are removed
// (CleanCallbackURL).
func (m *Manager) CleanAddress(raw string) (clean string, ok bool) {
	if !IsCallbackURL(raw) && !m.TakeLogoutReturn(raw) {
		return raw, false
	}
	if set := m.set.Load(); set != nil {
		for _, id := range set.order {
			c := &set.byID[id].cfg
			for _, configured := range []string{c.RedirectURL, c.PostLogoutRedirectURI} {
				if arrivedAt(raw, configured) {
					return configured, true
				}
			}
		}
	}
	return CleanCallbackURL(raw), true
}

// arrivedAt reports whether raw is configured with parameters appended: the
// same scheme, host and path, and every query parameter of configured there
// with the same values.
func arrivedAt(raw, configured string) bool {
	if configured == "" {
		return false
	}
	u, err1 := url.Parse(raw)
	c, err2 := url.Parse(configured)
	if err1 != nil || err2 != nil || c.Fragment != "" || !strings.EqualFold(u.Scheme, c.Scheme) ||
		!strings.EqualFold(u.Host, c.Host) || u.EscapedPath() != c.EscapedPath() {
		return false
	}
	got := u.Query()
	for k, vs := range c.Query() {
		if !slices.Equal(got[k], vs) {
			return false
		}
	}
	return true
}

// ValidateCallback checks an authorization response URL: its state must belong to
// a pending, unexpired, unused transaction of this tab (RFC 6749 §10.12), it must
// have arrived at that transaction's redirect URI, its iss must equal the issuer
// when sent or when the provider advertises
// authorization_response_iss_parameter_supported (RFC 9207 §2.4), and an error
// response becomes an *Error with the provider's code (RFC 6749 §4.1.2.1).
// Nothing is sent to the provider and no session changes.
func (m *Manager) ValidateCallback(ctx context.Context, raw string) (*Callback, error) {
	q, ok := responseParams(raw)
	if !ok {
		return nil, &Error{Code: CodeStateMismatch, Message: "the URL carries no authorization response (code or error, with state)"}
	}
	if len(q["state"]) != 1 || len(q["code"]) > 1 || len(q["iss"]) > 1 {
		return nil, &Error{Code: CodeStateMismatch, Message: "the authorization response repeats a parameter"}
	}
	m.txMu.Lock()
	t, err := m.takeTx(q.Get("state"))
	m.txMu.Unlock()
	if err != nil {
		return nil, err
	}
	p, err := m.provider(t.ConfigID)
	if err != nil {
		return nil, err
	}
	c := &p.cfg
	if c.Authority != t.Authority || c.ClientID != t.ClientID {
		return nil, newError(CodeStateMismatch, c.ConfigID, "the authorization request was made for another authority or client")
	}
	if !sameEndpoint(raw, t.RedirectURL) {
		return nil, newError(CodeStateMismatch, c.ConfigID, "the response arrived at %s, not at the redirect URI of its request", RedactURL(raw))
	}
	if iss, sent := q["iss"]; sent || p.disc.IssParameterSupported {
		if !sent {
			return nil, newError(CodeIssMismatch, c.ConfigID, "the provider advertises authorization_response_iss_parameter_supported but sent no iss (RFC 9207 §2.4)")
		}
		if iss[0] != p.disc.Issuer {
			return nil, newError(CodeIssMismatch, c.ConfigID, "the response's iss %q is not the issuer %q: a mix-up attack or a misconfigured provider (RFC 9207 §2.4)", iss[0], p.disc.Issuer)
		}
	}
	if code := q.Get("error"); code != "" {
		if !validErrorCode(code) {
			code = CodeInvalidResponse
		}
		return nil, &Error{Code: code, ConfigID: c.ConfigID, Message: "the provider refused the authorization request: " + code,
			Description: q.Get("error_description"), URI: q.Get("error_uri")}
	}
	if q.Get("code") == "" {
		return nil, newError(CodeInvalidResponse, c.ConfigID, "the authorization response has an empty code")
	}
	return &Callback{tx: t, code: q.Get("code"), sessionState: q.Get("session_state")}, nil
}

// sameEndpoint compares scheme, host and path of two URLs.
func sameEndpoint(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host) &&
		strings.TrimSuffix(ua.EscapedPath(), "/") == strings.TrimSuffix(ub.EscapedPath(), "/")
}
