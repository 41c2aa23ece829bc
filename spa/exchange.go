package spa

import (
	"context"
	"maps"
	"slices"
	"strings"
)

// Exchange redeems a validated callback: it exchanges the code with the PKCE
// verifier, verifies the ID token (signature, iss, aud, azp, exp, iat, nonce,
// at_hash), fetches userinfo when enabled and checks its sub, and only then
// stores the session. A silent callback must keep the signed-in user (iss, sub,
// aud, OpenID Connect Core §12.2 applied to re-authentication); when it does
// not, the local session ends.
func (m *Manager) Exchange(ctx context.Context, cb *Callback) (*Session, error) {
	p, err := m.provider(cb.tx.ConfigID)
	if err != nil {
		return nil, err
	}
	// The JWKS (when not cached) is fetched during the code exchange: it
	// sends nothing of the answer. Nothing of the answer leaves the page
	// before every check on it has passed (docs/DESIGN.md "Verification": verify,
	// then use), so userinfo waits for the ID token's verification.
	p.keys.prefetch(ctx)
	tr, err := m.exchangeCode(ctx, p, cb)
	if err != nil {
		return nil, err
	}
	if tr.IDToken == "" {
		return nil, newError(CodeInvalidResponse, p.cfg.ConfigID, "the token response has no id_token (OpenID Connect Core §3.1.3.3)")
	}
	claims, err := m.verify(ctx, p, tr.IDToken, cb.tx.Nonce, tr.AccessToken)
	if err != nil {
		return nil, err
	}
	prev := p.session.Load()
	if cb.tx.Silent && prev != nil {
		// auth_time may change: the user may have signed in again at the provider.
		if err := verifySameSubject(prev.Claims, claims, p.cfg.ConfigID); err != nil {
			m.endSessionWith(p, ErrorCode(err), ReasonProvider) // another user at the provider
			return nil, err
		}
	}
	if t := cb.tx.Token; t != nil {
		return m.storeSilentAPIToken(p, *t, tr)
	}
	s := m.newSession(p, tr, claims)
	s.SessionState = cb.sessionState
	if cb.tx.Silent && prev != nil {
		s.APITokens = prev.APITokens // the same user's per-API tokens stay valid
	}
	if err := m.addUserInfo(ctx, p, s); err != nil {
		return nil, err
	}
	if err := m.commit(p, s); err != nil {
		return nil, err
	}
	if cb.tx.Silent && prev != nil {
		m.emit(Event{Type: EventTokenRefreshed, ConfigID: p.cfg.ConfigID, ExpiresAt: s.ExpiresAt})
	} else {
		m.emit(Event{Type: EventAuthenticated, ConfigID: p.cfg.ConfigID, ExpiresAt: s.ExpiresAt, Warning: refreshWarning(p, s)})
	}
	return s, nil
}

// refresh renews p's session with its refresh token (RFC 6749 §6). The
// rotated refresh token replaces the old one in the store before refresh
// returns; a new ID token must keep iss, sub and aud (OpenID Connect Core
// §12.2). The caller holds the renewal lock (Renewal.Refresh).
func (m *Manager) refresh(ctx context.Context, p *provider) (*Session, error) {
	prev := p.session.Load()
	if prev == nil || prev.RefreshToken == "" {
		return nil, newError(CodeLoginRequired, p.cfg.ConfigID, "the session has no refresh token")
	}
	tr, err := m.refreshGrant(ctx, p, prev.RefreshToken, TokenOptions{})
	if err != nil {
		return nil, err
	}
	claims, err := m.verifyRefreshed(ctx, p, prev, tr)
	if err != nil {
		return nil, err
	}
	s := m.newSession(p, tr, claims)
	if tr.IDToken == "" {
		s.IDToken = prev.IDToken
	}
	if s.RefreshToken == "" {
		s.RefreshToken = prev.RefreshToken // no rotation: the old one stays valid (RFC 6749 §6)
	}
	s.UserData = prev.UserData
	s.APITokens = prev.APITokens
	s.SessionState = prev.SessionState // the provider's browser session did not change
	if tr.IDToken != "" {
		s.UserData = mergeClaims(claims.Raw, prev.UserData)
	}
	if err := m.commit(p, s); err != nil {
		return nil, err
	}
	m.emit(Event{Type: EventTokenRefreshed, ConfigID: p.cfg.ConfigID, ExpiresAt: s.ExpiresAt})
	return s, nil
}

// verifyRefreshed checks the ID token of a refresh-token answer, when it
// has one, and returns its claims (prev's when it has none): verifyIDToken,
// at_hash against the answer's access token, and the same user as the
// session's (OpenID Connect Core §12.2). The provider has already used up the
// old refresh token (rotation): an answer that fails a check leaves no usable
// session, so its error ends the session (spentGrant) rather than keep a dead
// token signed in, and nothing of the answer is stored or sent anywhere.
func (m *Manager) verifyRefreshed(ctx context.Context, p *provider, prev *Session, tr *tokenResponse) (*IDTokenClaims, error) {
	if tr.IDToken == "" {
		return prev.Claims, nil
	}
	next, err := m.verify(ctx, p, tr.IDToken, "", tr.AccessToken)
	if err != nil {
		return nil, spentGrant(err)
	}
	if err := verifyRefreshedIDToken(prev.Claims, next, p.cfg.ConfigID); err != nil {
		return nil, spentGrant(err)
	}
	return next, nil
}

// storeSilentAPIToken stores the per-API token a silent callback brought
// (its ID token verified, same user) into the current session.
func (m *Manager) storeSilentAPIToken(p *provider, o TokenOptions, tr *tokenResponse) (*Session, error) {
	t := newAPIToken(o, tr)
	// The renewal lock is held (APITokenRenewer), so no other writer of
	// the session runs: the one renewAPILocked read is current.
	cur := p.session.Load()
	if cur == nil {
		return nil, newError(CodeLoginRequired, p.cfg.ConfigID, "signed out while the token of resource %q was obtained", o.Resource)
	}
	out := cur.withAPIToken(o.Key(), t)
	if err := m.commit(p, out); err != nil {
		return nil, err
	}
	m.emit(Event{Type: EventTokenRefreshed, ConfigID: p.cfg.ConfigID, ExpiresAt: t.ExpiresAt, Resource: o.Resource})
	return out, nil
}

// refreshWarning says so when the config asks for refresh-token renewal but
// the provider issued none: renewal then quietly falls back to the hidden
// iframe, which third-party-cookie blocking breaks. Some providers issue one
// without offline_access, so this is a warning, not a configure error.
func refreshWarning(p *provider, s *Session) string {
	if !p.cfg.UseRefreshToken || s.RefreshToken != "" {
		return ""
	}
	hint := ""
	if !slices.Contains(strings.Fields(p.cfg.Scope), "offline_access") {
		hint = ` Add "offline_access" to scope to ask for one.`
	}
	return "useRefreshToken is set, but the provider issued no refresh token: renewal uses the hidden iframe instead." + hint
}

// verify checks an ID token for p's provider.
func (m *Manager) verify(ctx context.Context, p *provider, raw, nonce, accessToken string) (*IDTokenClaims, error) {
	return verifyIDToken(ctx, p.keys, raw, verifyOptions{
		Issuer: p.disc.Issuer, ClientID: p.cfg.ClientID, Algs: p.disc.IDTokenSigningAlgs,
		Nonce: nonce, AccessToken: accessToken, ClockSkew: p.cfg.ClockSkew, Clock: m.clock, ConfigID: p.cfg.ConfigID,
	})
}

func (m *Manager) newSession(p *provider, tr *tokenResponse, claims *IDTokenClaims) *Session {
	now := tr.SentAt
	if now.IsZero() {
		now = m.clock.Now()
	}
	s := &Session{ConfigID: p.cfg.ConfigID, AccessToken: tr.AccessToken, RefreshToken: tr.RefreshToken,
		IDToken: tr.IDToken, Scope: tr.Scope, IssuedAt: now, Claims: claims, UserData: maps.Clone(claims.Raw)}
	if tr.ExpiresIn > 0 {
		s.ExpiresAt = now.Add(tr.ExpiresIn)
	}
	return s
}

// mergeClaims returns base overlaid by over.
func mergeClaims(base, over map[string]any) map[string]any {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, over)
	return out
}

// update changes p's current session, read from the store (the truth across
// tabs) under p.mu: change returns the new session, or nil to leave it. A
// session ended meanwhile stays ended.
func (m *Manager) update(p *provider, change func(cur *Session) *Session) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	cur := readSession(p.store, &p.cfg)
	if cur == nil {
		return nil
	}
	next := change(cur)
	if next == nil {
		p.session.Store(cur)
		return nil
	}
	if err := writeSession(p.store, &p.cfg, next); err != nil {
		return wrapError(CodeStorage, p.cfg.ConfigID, err, "cannot store the session (storage %q)", p.cfg.Storage)
	}
	p.session.Store(next)
	return nil
}

// commit stores s as p's session: the store first, so a failure changes nothing.
func (m *Manager) commit(p *provider, s *Session) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := writeSession(p.store, &p.cfg, s); err != nil {
		return wrapError(CodeStorage, p.cfg.ConfigID, err, "cannot store the session (storage %q)", p.cfg.Storage)
	}
	p.session.Store(s)
	return nil
}

// endSession drops p's session and emits EventLoggedOut with why; a why
// that means the provider's session is gone (EndsSession) is ReasonProvider's.
func (m *Manager) endSession(p *provider, why string) { m.endSessionWith(p, why, reasonOf(why)) }

// endSessionWith is endSession with the event's Reason given.
func (m *Manager) endSessionWith(p *provider, why, reason string) {
	p.mu.Lock()
	had := p.session.Swap(nil) != nil
	p.store.Remove(sessionKey(p.cfg.ConfigID))
	p.mu.Unlock()
	if p.cfg.DPoP && m.dpop != nil {
		// The key dies with the session (RFC 9449 §2: tokens bound to it
		// are over); the next sign-in makes a new one.
		m.dpop.forget(p.cfg.ConfigID)
	}
	if had {
		m.emit(Event{Type: EventLoggedOut, ConfigID: p.cfg.ConfigID, Code: why, Reason: reason})
	}
}

// LogoffLocal ends the config's local session without telling the provider.
func (m *Manager) LogoffLocal(configID string) error {
	p, err := m.provider(configID)
	if err != nil {
		return err
	}
	m.endSession(p, "")
	return nil
}

// Reload re-reads the config's session from its store, after another tab
// changed it (BroadcastChannel). It reports whether the session changed.
func (m *Manager) Reload(configID string) (bool, error) {
	p, err := m.provider(configID)
	if err != nil {
		return false, err
	}
	p.mu.Lock()
	next := readSession(p.store, &p.cfg)
	prev := p.session.Swap(next)
	p.mu.Unlock()
	switch {
	case prev != nil && next == nil:
		if p.cfg.DPoP && m.dpop != nil {
			// Another tab ended the session and deleted the key: this tab
			// must not sign the next session's proofs with the old one.
			m.dpop.forget(p.cfg.ConfigID)
		}
		m.emit(Event{Type: EventLoggedOut, ConfigID: p.cfg.ConfigID})
	case next != nil && prev == nil:
		// Signed in by another tab: for this tab it is a restore.
		m.emit(Event{Type: EventAuthenticated, ConfigID: p.cfg.ConfigID, Restored: true, ExpiresAt: next.ExpiresAt})
	case next != nil && prev.AccessToken != next.AccessToken:
		m.emit(Event{Type: EventTokenRefreshed, ConfigID: p.cfg.ConfigID, ExpiresAt: next.ExpiresAt})
	case next != nil && changedAPIToken(prev, next) != nil:
		t := changedAPIToken(prev, next)
		m.emit(Event{Type: EventTokenRefreshed, ConfigID: p.cfg.ConfigID, ExpiresAt: t.ExpiresAt, Resource: t.Resource})
	case next != nil && prev.RefreshToken != next.RefreshToken:
		return true, nil // rotated by another tab: nothing to tell
	default:
		return false, nil
	}
	return true, nil
}

// changedAPIToken returns a per-API token of next that prev lacks or holds
// another value of, or nil.
func changedAPIToken(prev, next *Session) *APIToken {
	for k, t := range next.APITokens {
		if old := prev.APITokens[k]; old == nil || old.AccessToken != t.AccessToken {
			return t
		}
	}
	return nil
}
