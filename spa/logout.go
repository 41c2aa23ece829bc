package spa

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Token type hints of RFC 7009 §2.1.
const (
	HintAccessToken  = "access_token"
	HintRefreshToken = "refresh_token"
)

// Revoke revokes a token at the provider (RFC 7009 §2.1). With token "" it
// revokes the session's token of that kind and then drops it locally: a revoked
// access token is replaced at the next AccessToken call by a renewal; a
// revoked refresh token ends the session (EventLoggedOut, and so in every tab:
// docs/DESIGN.md, "Sessions across windows"), because the session it renewed is
// over at the provider's side too.
func (m *Manager) Revoke(ctx context.Context, configID, hint, token string) error {
	p, err := m.provider(configID)
	if err != nil {
		return err
	}
	if hint != HintAccessToken && hint != HintRefreshToken {
		return configError(p.cfg.ConfigID, "token_type_hint", "%q is not access_token or refresh_token", hint)
	}
	if p.disc.RevocationEndpoint == "" {
		return newError(CodeUnsupported, p.cfg.ConfigID, "the provider has no revocation_endpoint (RFC 8414 §2): nothing was revoked")
	}
	own := token == ""
	s := p.session.Load()
	if own {
		if s == nil {
			return newError(CodeLoginRequired, p.cfg.ConfigID, "not signed in: there is no token to revoke")
		}
		token = s.AccessToken
		if hint == HintRefreshToken {
			token = s.RefreshToken
		}
		if token == "" {
			return newError(CodeLoginRequired, p.cfg.ConfigID, "the session has no %s to revoke", hint)
		}
	}
	resp, err := m.send(ctx, p, formPost(p.disc.RevocationEndpoint, url.Values{
		"token": {token}, "token_type_hint": {hint}, "client_id": {p.cfg.ClientID},
	}), "")
	if err != nil {
		return err
	}
	if resp.Status != http.StatusOK {
		if e := oauthError(resp, p.cfg.ConfigID, "the revocation endpoint"); e != nil {
			return e
		}
		return newError(CodeInvalidResponse, p.cfg.ConfigID, "the revocation endpoint answered HTTP %d", resp.Status)
	}
	if own {
		// Drop the revoked token from the session as it is now, not as it was
		// before the request: a renewal may have stored a new session
		// meanwhile (in this tab or another), and writing the old one back
		// would resurrect a used-up refresh token.
		ended := false
		err := m.update(p, func(cur *Session) *Session {
			next := *cur
			switch {
			case hint == HintAccessToken && cur.AccessToken == token:
				next.AccessToken = ""
				next.ExpiresAt = m.clock.Now().Add(-time.Second)
			case hint == HintRefreshToken && cur.RefreshToken == token:
				ended = true
				return nil
			default:
				return nil // already replaced: the revoked token is not in use
			}
			return &next
		})
		if ended {
			m.endSession(p, "")
		}
		return err
	}
	return nil
}

// EndSessionOptions are the per-call settings of Logoff.
type EndSessionOptions struct {
	CustomParams map[string]string
}

// Logoff ends the config's local session and returns the provider's
// end-session URL (OpenID Connect RP-Initiated Logout 1.0 §2) with
// id_token_hint, client_id, post_logout_redirect_uri and state; "" when the
// provider has no end_session_endpoint. Other configs are untouched.
func (m *Manager) Logoff(ctx context.Context, configID string, o EndSessionOptions) (string, error) {
	p, err := m.provider(configID)
	if err != nil {
		return "", err
	}
	var endURL string
	if p.disc.EndSessionEndpoint != "" {
		u, err := url.Parse(p.disc.EndSessionEndpoint)
		if err != nil {
			return "", wrapError(CodeInvalidResponse, p.cfg.ConfigID, err, "discovery end_session_endpoint is not a URL")
		}
		q := u.Query()
		for _, params := range []map[string]string{p.cfg.CustomParamsEndSessionRequest, o.CustomParams} {
			for k, v := range params {
				q.Set(k, v)
			}
		}
		if s := p.session.Load(); s != nil && s.IDToken != "" {
			q.Set("id_token_hint", s.IDToken)
		}
		q.Set("client_id", p.cfg.ClientID)
		if p.cfg.PostLogoutRedirectURI != "" {
			q.Set("post_logout_redirect_uri", p.cfg.PostLogoutRedirectURI)
		}
		state, err := randomString(m.rand, 16)
		if err != nil {
			return "", err
		}
		q.Set("state", state)
		u.RawQuery = q.Encode()
		endURL = u.String()
		// Remembered so that the page the provider sends back to can drop the
		// state from its address (TakeLogoutReturn); a cache, so a failed write
		// only leaves ?state= in the address bar.
		m.txMu.Lock()
		_ = m.txStore.Set(logoutPrefix+state, m.clock.Now().Format(time.RFC3339))
		m.txMu.Unlock()
	}
	m.endSession(p, "")
	return endURL, nil
}

// LogoffAndRevokeTokens revokes the refresh token (when any) and then the
// access token (RFC 7009 §2.1), and then logs off as Logoff does, returning
// the end-session URL: the id_token_hint it carries was taken before the
// session ended, so the hint outlives the revocation. The local session ends
// whatever the provider answered.
//
// A revocation that fails, or a provider without a revocation_endpoint
// (CodeUnsupported), does not stop the logoff: it is emitted as EventError
// and returned as revokeErr along with the URL, so that a caller that
// navigates away still has it said, in the event.
func (m *Manager) LogoffAndRevokeTokens(ctx context.Context, configID string, o EndSessionOptions) (endURL string, revokeErr error) {
	p, err := m.provider(configID)
	if err != nil {
		return "", err
	}
	if s := p.session.Load(); s != nil {
		// Revoke itself says when the provider has no revocation_endpoint.
		if s.RefreshToken != "" {
			revokeErr = m.Revoke(ctx, configID, HintRefreshToken, s.RefreshToken)
		}
		if err := m.Revoke(ctx, configID, HintAccessToken, s.AccessToken); revokeErr == nil {
			revokeErr = err
		}
		for _, t := range s.APITokens { // per-API tokens go too
			if err := m.Revoke(ctx, configID, HintAccessToken, t.AccessToken); revokeErr == nil {
				revokeErr = err
			}
		}
	}
	endURL, err = m.Logoff(ctx, configID, o)
	if err != nil {
		m.endSession(p, "")
		return "", err
	}
	if revokeErr != nil {
		m.emit(Event{Type: EventError, ConfigID: p.cfg.ConfigID, Code: ErrorCode(revokeErr), Message: revokeErr.Error()})
	}
	return endURL, revokeErr
}

const logoutPrefix = "oidcwasm.logout."

// TakeLogoutReturn reports whether raw is the post_logout_redirect_uri the
// provider sent this tab back to after Logoff: its only response parameter is
// the state of a logoff started here in the last 15 minutes
// (RP-Initiated Logout 1.0 §3). The state is used up; CleanCallbackURL then
// removes it from the address.
func (m *Manager) TakeLogoutReturn(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	q := u.Query()
	state := q.Get("state")
	if state == "" || len(q["state"]) != 1 || q.Has("code") || q.Has("error") {
		return false
	}
	m.txMu.Lock()
	defer m.txMu.Unlock()
	at, ok := m.txStore.Get(logoutPrefix + state)
	if !ok {
		return false
	}
	m.txStore.Remove(logoutPrefix + state)
	t, err := time.Parse(time.RFC3339, at)
	return err == nil && m.clock.Now().Sub(t) <= TransactionLifetime
}
