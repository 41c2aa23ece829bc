package spa

import (
	"strconv"
	"time"
)

// SessionInfo is what a session says about itself without its tokens: whom
// it is for and the lifetimes of its tokens. It is how a page learns of a
// session kept where no page script can read it (custody "worker": the
// service worker answers it, and web/goapp shows it through View).
type SessionInfo struct {
	ConfigID string         `json:"config_id"`
	Subject  string         `json:"sub,omitempty"`       // the ID token's sub
	UserData map[string]any `json:"user_data,omitempty"` // ID token claims overlaid by userinfo
	// AccessToken and RefreshToken report whether the session holds one.
	AccessToken  bool `json:"access_token,omitempty"`
	RefreshToken bool `json:"refresh_token,omitempty"`
	// IssuedAt and ExpiresAt are the access token's (ExpiresAt zero when
	// its lifetime is unknown).
	IssuedAt  time.Time      `json:"issued_at,omitzero"`
	ExpiresAt time.Time      `json:"expires_at,omitzero"`
	APITokens []APITokenInfo `json:"api_tokens,omitempty"`
}

// APITokenInfo is a per-API token's lifetime (see APIToken), never the token.
type APITokenInfo struct {
	Resource  string    `json:"resource,omitempty"`
	Scope     string    `json:"scope,omitempty"`
	IssuedAt  time.Time `json:"issued_at,omitzero"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Info is s without its tokens; nil for no session.
func (s *Session) Info() *SessionInfo {
	if s == nil {
		return nil
	}
	i := &SessionInfo{ConfigID: s.ConfigID, UserData: s.UserData, AccessToken: s.AccessToken != "",
		RefreshToken: s.RefreshToken != "", IssuedAt: s.IssuedAt, ExpiresAt: s.ExpiresAt}
	if s.Claims != nil {
		i.Subject = s.Claims.Subject
	}
	for _, t := range s.APITokens {
		if t != nil {
			i.APITokens = append(i.APITokens, APITokenInfo{Resource: t.Resource, Scope: t.Scope, IssuedAt: t.IssuedAt, ExpiresAt: t.ExpiresAt})
		}
	}
	return i
}

// HeldElsewhere stands in View's Session for each token the session
// holds: it is no token, and nothing sends it.
const HeldElsewhere = "(held by the service worker)"

// View is i as a Session for display, so that what shows a session (its
// expiry, renewal point and claims: Session.Expired, RenewAt, UserData)
// reads one kept elsewhere by the same rules: each token it holds is
// HeldElsewhere, the ID token is "", and no grant can be made with it.
// Nil for no session.
func (i *SessionInfo) View() *Session {
	if i == nil {
		return nil
	}
	held := func(has bool) string {
		if has {
			return HeldElsewhere
		}
		return ""
	}
	s := &Session{ConfigID: i.ConfigID, AccessToken: held(i.AccessToken), RefreshToken: held(i.RefreshToken),
		IssuedAt: i.IssuedAt, ExpiresAt: i.ExpiresAt, Claims: &IDTokenClaims{Subject: i.Subject}, UserData: i.UserData}
	for n, t := range i.APITokens {
		if s.APITokens == nil {
			s.APITokens = map[string]*APIToken{}
		}
		s.APITokens[strconv.Itoa(n)] = &APIToken{Resource: t.Resource, Scope: t.Scope, AccessToken: HeldElsewhere, IssuedAt: t.IssuedAt, ExpiresAt: t.ExpiresAt}
	}
	return s
}
