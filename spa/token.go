package spa

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// tokenResponse is a successful token endpoint answer (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3).
type tokenResponse struct {
	_            noCompare // no == (and no equality function in the wasm)
	AccessToken  string
	TokenType    string
	ExpiresIn    time.Duration // 0: not given
	RefreshToken string
	IDToken      string
	Scope        string
	// SentAt is when the request was sent: expires_in counts from there, so a
	// slow answer never stretches the token's life past the provider's.
	SentAt time.Time
}

// parseTokenResponse reads a token endpoint response. An RFC 6749 §5.2 error
// becomes an *Error with the provider's code; anything that is not a 200 JSON
// object with an access_token and the token_type asked for (Bearer, or DPoP
// when dpop: RFC 9449 §5, a provider that answers a proof with a Bearer
// token did not bind it) is invalid_response.
func parseTokenResponse(resp *Response, configID string, dpop bool) (*tokenResponse, error) {
	if e := oauthError(resp, configID, "the token endpoint"); e != nil {
		return nil, e
	}
	var raw struct {
		AccessToken  string          `json:"access_token"`
		TokenType    string          `json:"token_type"`
		ExpiresIn    json.RawMessage `json:"expires_in"`
		RefreshToken string          `json:"refresh_token"`
		IDToken      string          `json:"id_token"`
		Scope        string          `json:"scope"`
	}
	if err := decodeJSON(resp, configID, "the token endpoint", &raw); err != nil {
		return nil, err
	}
	if raw.AccessToken == "" {
		return nil, newError(CodeInvalidResponse, configID, "the token response has no access_token (RFC 6749 §5.1)")
	}
	want, rfc := "Bearer", "RFC 6750"
	if dpop {
		want, rfc = "DPoP", "dpop is on: RFC 9449 §5"
	}
	if !strings.EqualFold(raw.TokenType, want) {
		return nil, newError(CodeInvalidResponse, configID, "the token response's token_type %q is not %s (%s)", truncate(raw.TokenType, 32), want, rfc)
	}
	t := &tokenResponse{AccessToken: raw.AccessToken, TokenType: want, RefreshToken: raw.RefreshToken,
		IDToken: raw.IDToken, Scope: raw.Scope}
	if len(raw.ExpiresIn) > 0 && !bytes.Equal(raw.ExpiresIn, []byte("null")) {
		// Some providers send expires_in as a string; RFC 6749 §5.1 says a number of seconds.
		s := strings.Trim(string(raw.ExpiresIn), `"`)
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || n < 0 || n > 10*365*24*3600 {
			return nil, newError(CodeInvalidResponse, configID, "the token response's expires_in %q is not a number of seconds", truncate(s, 32))
		}
		t.ExpiresIn = time.Duration(n * float64(time.Second))
	}
	return t, nil
}

// truncate shortens s, a value from a response, to at most n bytes (and an
// ellipsis) for an error message.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// exchangeCode redeems an authorization code at the token endpoint
// (RFC 6749 §4.1.3, RFC 7636 §4.5); the code of a per-API token's silent
// request is redeemed for that token's resource (RFC 8707 §2.2).
func (m *Manager) exchangeCode(ctx context.Context, p *provider, cb *Callback) (*tokenResponse, error) {
	form := url.Values{}
	if t := cb.tx.Token; t != nil {
		for k, v := range t.TokenParams {
			form.Set(k, v)
		}
		if t.Resource != "" {
			form.Set("resource", t.Resource)
		}
	}
	form.Set("grant_type", "authorization_code")
	form.Set("code", cb.code)
	form.Set("redirect_uri", cb.tx.RedirectURL)
	form.Set("client_id", p.cfg.ClientID)
	form.Set("code_verifier", cb.tx.Verifier)
	return m.tokenRequest(ctx, p, form)
}

// refreshGrant uses a refresh token (RFC 6749 §6), for the login's token
// (o zero) or a per-API one: o's token parameters, resource (RFC 8707 §2.2)
// and scope, which may narrow the granted one.
func (m *Manager) refreshGrant(ctx context.Context, p *provider, refreshToken string, o TokenOptions) (*tokenResponse, error) {
	form := url.Values{}
	for k, v := range p.cfg.CustomParamsRefreshTokenRequest {
		form.Set(k, v)
	}
	for k, v := range o.TokenParams {
		form.Set(k, v)
	}
	form.Set("grant_type", "refresh_token")
	form.Set("refresh_token", refreshToken)
	form.Set("client_id", p.cfg.ClientID)
	if o.Resource != "" {
		form.Set("resource", o.Resource)
	}
	if s := scopeSet(o.Scope); s != "" {
		form.Set("scope", s)
	}
	return m.tokenRequest(ctx, p, form)
}

// tokenRequest posts form to the token endpoint and reads the answer, noting
// when the request was sent (expires_in counts from then, RFC 6749 §5.1).
func (m *Manager) tokenRequest(ctx context.Context, p *provider, form url.Values) (*tokenResponse, error) {
	sent := m.clock.Now()
	resp, err := m.send(ctx, p, formPost(p.disc.TokenEndpoint, form), "")
	if err != nil {
		return nil, err
	}
	tr, err := parseTokenResponse(resp, p.cfg.ConfigID, p.cfg.DPoP)
	if err != nil {
		return nil, err
	}
	tr.SentAt = sent
	return tr, nil
}
