package goapp

import (
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
)

// State keys. Every value is published with app.Context.SetState and never
// persisted or broadcast: it holds claims (personal data), and the sessions
// behind it already follow the configs' storage and cross-tab rules.
const (
	// StatusStateKey holds a Status: whether start-up has finished, and the config IDs.
	StatusStateKey = "oidcwasm.status"
	// EventsStateKey holds a []LoggedEvent: the latest events, oldest first.
	EventsStateKey = "oidcwasm.events"
	// stateKeyPrefix starts the key of each config's AuthState.
	stateKeyPrefix = "oidcwasm.auth."
)

// StateKey is the go-app state key of a config's AuthState:
// "oidcwasm.auth.<configID>". A component observes it with
//
//	ctx.ObserveState(goapp.StateKey("api"), &c.auth)
//
// once any component has called Auth.Bind or one of the Observe helpers.
func StateKey(configID string) string { return stateKeyPrefix + configID }

// AuthState is what components need to know about one config's session. It
// never holds a token. Treat it as read-only: Claims is shared with the
// session and with every other receiver.
type AuthState struct {
	ConfigID string
	// Ready is false until start-up (Configure, then CheckAuth on the page's
	// URL) has finished, and always false when prerendered on the server:
	// render a neutral placeholder, not "signed out", while it is false.
	Ready bool
	// SignedIn: there is a session whose access token has not expired.
	SignedIn bool
	// Subject is the ID token's sub.
	Subject string
	// Claims are the ID token's claims overlaid by userinfo's (userData).
	Claims map[string]any
	// IssuedAt, RenewAt and ExpiresAt are the access token's: when it
	// arrived, when automatic renewal is due (TimeoutFactor of its lifetime)
	// and when it expires. Zero when unknown.
	IssuedAt, RenewAt, ExpiresAt time.Time
	// RefreshToken reports whether the session holds a refresh token.
	RefreshToken bool
	// APITokens are the lifetimes of the session's per-API tokens
	// (Manager.AccessTokenFor, route entries with a Resource), by resource
	// and scope.
	APITokens []APITokenState
	// Renewing is true between silentRenewStarted and its outcome;
	// RenewMethod is that renewal's method (spa.MethodRefreshToken or
	// spa.MethodIframe), kept after it ends.
	Renewing    bool
	RenewMethod string
	// Event is the type of the latest event of this config, at EventAt.
	Event   spa.EventType
	EventAt time.Time
	// ErrorCode and Error are the latest failure (a spa.Error code such as
	// login_required, and a message for a person); a successful login or
	// renewal clears them.
	ErrorCode string
	Error     string
	// LogoutReason is the latest loggedOut's reason: spa.ReasonProvider when
	// the provider ended the session (front-channel logout, check-session, a
	// renewal or userinfo it refused), "" when the app did; a sign-in
	// clears it.
	LogoutReason string
}

// APITokenState is one per-API token's lifetime; never the token.
type APITokenState struct {
	_                            [0]func() // no ==: no equality function in the wasm (size budget)
	Resource, Scope              string
	IssuedAt, RenewAt, ExpiresAt time.Time
}

// Status is the state of start-up as a whole.
type Status struct {
	// Ready is true once start-up has finished, whether it succeeded or not.
	Ready bool
	// ConfigIDs are the configured IDs, in the order given to Configure.
	ConfigIDs []string
	// ErrorCode and Error tell why start-up failed: the configs could not be
	// loaded or configured, or the page's authorization response was
	// rejected (for example state_mismatch). Sessions were left as they were.
	ErrorCode string
	Error     string
}

// LoggedEvent is one event of the Manager, as it happened, with the
// lifetime of the session's access token right after it.
type LoggedEvent struct {
	spa.Event
	At time.Time
	// IssuedAt, RenewAt and ExpiresAt are the session's access token's after
	// the event; zero when there is no session.
	IssuedAt, RenewAt, ExpiresAt time.Time
}

// DefaultEventLogSize is how many events EventsStateKey keeps.
const DefaultEventLogSize = 100

// nextState returns prev updated by an event (nil when only the session
// changed) and by the config's current session (nil when signed out).
func nextState(prev AuthState, sess *spa.Session, factor float64, now time.Time, ev *spa.Event) AuthState {
	s := prev
	s.SignedIn = sess != nil && !sess.Expired(now)
	s.Subject, s.Claims, s.RefreshToken, s.APITokens = "", nil, false, nil
	s.IssuedAt, s.RenewAt, s.ExpiresAt = time.Time{}, time.Time{}, time.Time{}
	if sess != nil {
		if sess.Claims != nil {
			s.Subject = sess.Claims.Subject
		}
		s.Claims = sess.UserData
		s.RefreshToken = sess.RefreshToken != ""
		if sess.AccessToken != "" {
			s.IssuedAt, s.ExpiresAt = sess.IssuedAt, sess.ExpiresAt
			s.RenewAt = sess.RenewAt(factor)
		}
		for _, t := range sess.APITokens {
			s.APITokens = append(s.APITokens, APITokenState{Resource: t.Resource, Scope: t.Scope,
				IssuedAt: t.IssuedAt, RenewAt: t.RenewAt(factor), ExpiresAt: t.ExpiresAt})
		}
		// In order of resource and scope (a few entries: no sort package in
		// the go-app build, whose size has a budget).
		a := s.APITokens
		for i := 1; i < len(a); i++ {
			for j := i; j > 0 && a[j].Resource+" "+a[j].Scope < a[j-1].Resource+" "+a[j-1].Scope; j-- {
				a[j], a[j-1] = a[j-1], a[j]
			}
		}
	}
	if ev == nil {
		return s
	}
	s.Event, s.EventAt = ev.Type, now
	switch ev.Type {
	case spa.EventSilentRenewStarted:
		s.Renewing, s.RenewMethod = true, ev.Method
	case spa.EventAuthenticated, spa.EventTokenRefreshed:
		s.Renewing = false
		s.ErrorCode, s.Error, s.LogoutReason = "", "", ""
	case spa.EventSilentRenewFailed, spa.EventError, spa.EventCheckSessionFailed:
		s.Renewing = false
		s.ErrorCode, s.Error = ev.Code, ev.Message
	case spa.EventLoggedOut:
		s.Renewing, s.LogoutReason = false, ev.Reason
		switch {
		case ev.Code == "":
			s.ErrorCode, s.Error = "", "" // asked for
		case s.ErrorCode == "":
			// Ended by the provider (login_required, invalid_grant, ...).
			s.ErrorCode, s.Error = ev.Code, "the provider ended the session ("+ev.Code+")"
		}
	}
	return s
}

// failure is an event that records a failure of a helper (Login, Logout, ...).
func failure(configID string, err error) spa.Event {
	code := spa.ErrorCode(err)
	if code == "" {
		code = "error"
	}
	return spa.Event{Type: spa.EventError, ConfigID: configID, Code: code, Message: err.Error()}
}
