package spa

import (
	"encoding/json"
	"time"
)

// Session is the signed-in state of one config. Treat it as read-only: the
// Manager replaces sessions, it never edits one in place.
type Session struct {
	ConfigID     string         `json:"config_id"`
	AccessToken  string         `json:"access_token"`
	RefreshToken string         `json:"refresh_token,omitempty"`
	IDToken      string         `json:"id_token"`
	Scope        string         `json:"scope,omitempty"`
	IssuedAt     time.Time      `json:"issued_at"`           // when the access token arrived
	ExpiresAt    time.Time      `json:"expires_at,omitzero"` // from expires_in; zero when the provider gave none
	Claims       *IDTokenClaims `json:"claims"`              // the verified ID token's claims
	UserData     map[string]any `json:"user_data,omitempty"` // ID token claims overlaid by userinfo
	// APITokens are the per-API access tokens, by TokenOptions.Key
	// (AccessTokenFor); they live and end with the session.
	APITokens map[string]*APIToken `json:"api_tokens,omitempty"`
	// SessionState is the session_state of the authorization response the
	// session came from (OpenID Connect Session Management 1.0 §2): what
	// the provider's check_session_iframe compares; "" when it sent none.
	SessionState string `json:"session_state,omitempty"`
}

// Expired reports whether the access token has expired at now.
func (s *Session) Expired(now time.Time) bool { return expired(s.AccessToken, s.ExpiresAt, now) }

// RenewAt is when the access token should be renewed: factor of its lifetime
// after it was issued. Zero when the lifetime is unknown.
func (s *Session) RenewAt(factor float64) time.Time { return renewAt(s.IssuedAt, s.ExpiresAt, factor) }

// stale reports whether the access token is missing, expired, or past the
// renewal point.
func (s *Session) stale(now time.Time, factor float64) bool {
	return needsRenewal(s.AccessToken, s.IssuedAt, s.ExpiresAt, now, factor)
}

// freshToken is s's access token for o (the login's when o is zero, else
// the per-API token under o.Key) when it needs no renewal at now.
func (s *Session) freshToken(o TokenOptions, now time.Time, factor float64) (string, bool) {
	if o.IsZero() {
		return s.AccessToken, !s.stale(now, factor)
	}
	t := s.APITokens[o.Key()]
	return t.token(), !t.stale(now, factor)
}

// The lifetime rules of every access token, the login's and each per-API one
// (README, "Renewal"): expired at expires_in after the request was sent,
// renewed from factor (timeoutFactor) of that lifetime on; a token of unknown
// lifetime is renewed only once it is gone.

func expired(token string, expires, now time.Time) bool {
	return token == "" || !expires.IsZero() && !now.Before(expires)
}

func renewAt(issued, expires time.Time, factor float64) time.Time {
	if expires.IsZero() {
		return time.Time{}
	}
	return issued.Add(time.Duration(float64(expires.Sub(issued)) * factor))
}

func needsRenewal(token string, issued, expires, now time.Time, factor float64) bool {
	if expired(token, expires, now) {
		return true
	}
	at := renewAt(issued, expires, factor)
	return !at.IsZero() && !now.Before(at)
}

// storedSession is the versioned envelope of a session in the store; it names
// the authority and client so that a changed config never picks up another
// provider's tokens.
type storedSession struct {
	_         noCompare // no == (and no equality function in the wasm)
	V         int       `json:"v"`
	Authority string    `json:"authority"`
	ClientID  string    `json:"client_id"`
	Session   *Session  `json:"session"`
}

func sessionKey(configID string) string { return "oidcwasm." + configID + ".session" }

// readSession loads a config's session from its store. A value of another
// version, or for another authority or client, is dropped.
func readSession(st Store, c *Config) *Session {
	raw, ok := st.Get(sessionKey(c.ConfigID))
	if !ok {
		return nil
	}
	var ss storedSession
	if json.Unmarshal([]byte(raw), &ss) != nil || ss.V != storeVersion || ss.Session == nil ||
		ss.Authority != c.Authority || ss.ClientID != c.ClientID || ss.Session.Claims == nil {
		st.Remove(sessionKey(c.ConfigID))
		return nil
	}
	ss.Session.ConfigID = c.ConfigID
	return ss.Session
}

// writeSession stores a config's session.
func writeSession(st Store, c *Config, s *Session) error {
	b, err := json.Marshal(storedSession{V: storeVersion, Authority: c.Authority, ClientID: c.ClientID, Session: s})
	if err != nil {
		return err
	}
	return st.Set(sessionKey(c.ConfigID), string(b))
}
