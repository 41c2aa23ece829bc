package spa

import (
	"context"
	"net/http"
)

// addUserInfo fetches the UserInfo endpoint (OpenID Connect Core §5.3) with
// s's access token, when the config and the provider have automatic userinfo,
// and merges its claims into s.UserData. The caller has verified every part of
// the token answer s came from: the access token is sent nowhere before that.
// The answer's sub MUST equal the ID token's (§5.3.2); otherwise it is
// discarded with an error.
func (m *Manager) addUserInfo(ctx context.Context, p *provider, s *Session) error {
	if p.cfg.DisableAutoUserInfo || p.disc.UserinfoEndpoint == "" {
		return nil
	}
	claims, err := m.fetchUserInfo(ctx, p, s.AccessToken)
	if err != nil {
		return err
	}
	if sub, _ := claims["sub"].(string); sub != s.Claims.Subject {
		return newError(CodeInvalidResponse, p.cfg.ConfigID, "userinfo sub %q is not the ID token's sub %q (OpenID Connect Core §5.3.2)", truncate(sub, 64), s.Claims.Subject)
	}
	s.UserData = mergeClaims(s.UserData, claims)
	return nil
}

// UserInfo fetches the config's userinfo claims with the current access
// token. A 401 means the provider no longer takes the session's token: the
// session ends (login_required, ReasonProvider) in every tab, once, unless
// a renewal replaced the token meanwhile (see endOnRefusal).
func (m *Manager) UserInfo(ctx context.Context, configID string) (map[string]any, error) {
	tok, err := m.AccessToken(ctx, configID)
	if err != nil {
		return nil, err
	}
	p, err := m.provider(configID)
	if err != nil {
		return nil, err
	}
	if p.disc.UserinfoEndpoint == "" {
		return nil, newError(CodeUnsupported, p.cfg.ConfigID, "the provider has no userinfo_endpoint (OpenID Connect Discovery §3)")
	}
	claims, err := m.fetchUserInfo(ctx, p, tok)
	return claims, m.endOnRefusal(p, tok, err)
}

func (m *Manager) fetchUserInfo(ctx context.Context, p *provider, token string) (map[string]any, error) {
	h := http.Header{}
	h.Set("Accept", "application/json")
	// The token as "Bearer" (RFC 6750 §2.1) or, with DPoP, as "DPoP" with a
	// proof (RFC 9449 §7.1).
	resp, err := m.send(ctx, p, &Request{Method: http.MethodGet, URL: p.disc.UserinfoEndpoint, Header: h}, token)
	if err != nil {
		return nil, err
	}
	if resp.Status == http.StatusUnauthorized {
		return nil, newError(CodeLoginRequired, p.cfg.ConfigID, "userinfo refused the access token (HTTP 401)")
	}
	if e := oauthError(resp, p.cfg.ConfigID, "userinfo"); e != nil {
		return nil, e
	}
	var claims map[string]any
	if err := decodeJSON(resp, p.cfg.ConfigID, "userinfo", &claims); err != nil {
		return nil, err
	}
	return claims, nil
}
