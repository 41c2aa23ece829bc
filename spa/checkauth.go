package spa

import (
	"context"
	"errors"
)

// AuthResult is one config's state after CheckAuth (angular-auth-oidc-client's LoginResponse).
type AuthResult struct {
	ConfigID        string
	IsAuthenticated bool
	UserData        map[string]any
	// ErrorMessage is Err's message (angular-auth-oidc-client's errorMessage).
	ErrorMessage string
	// Err is why a restored session's renewal failed, as the *Error the
	// renewal returned: errors.As and ErrorCode work on it. Nil otherwise.
	Err error
	// ReturnURL is the return URL of the completed authorization request, if any.
	ReturnURL string
}

// CheckAuth completes an authorization response when rawURL carries one (see
// ValidateCallback and Exchange), and otherwise restores stored sessions. A
// callback that fails validation or exchange is returned as the error and
// emitted as EventError; then no session has changed. Restored sessions whose access token is stale are
// renewed once; when that fails the config is reported signed out with the
// reason, and the session is kept unless the provider ended it.
func (m *Manager) CheckAuth(ctx context.Context, rawURL string) ([]AuthResult, error) {
	set := m.set.Load()
	if set == nil {
		return nil, configError("", "", "not configured: call configure first")
	}
	var done *Callback
	if IsCallbackURL(rawURL) {
		cb, err := m.ValidateCallback(ctx, rawURL)
		if err == nil {
			_, err = m.Exchange(ctx, cb)
		}
		if err != nil {
			// Tell listeners too: a failed sign-in often happens on page load,
			// before any code awaits checkAuth's result.
			var e *Error
			errors.As(err, &e)
			ev := Event{Type: EventError, Code: ErrorCode(err), Message: err.Error()}
			if e != nil {
				ev.ConfigID = e.ConfigID
			}
			m.emit(ev)
			return nil, err
		}
		done = cb
	}
	out := make([]AuthResult, 0, len(set.order))
	for _, id := range set.order {
		p := set.byID[id]
		r := AuthResult{ConfigID: id}
		if done != nil && done.ConfigID() == id {
			r.ReturnURL = done.ReturnURL()
		} else if s := readSession(p.store, &p.cfg); s != nil {
			p.session.Store(s)
			if s.stale(m.clock.Now(), p.cfg.TimeoutFactor) {
				if _, err := m.renew(ctx, p, s, false); err != nil {
					r.Err, r.ErrorMessage = err, err.Error()
				}
			}
			if cur := p.session.Load(); cur != nil && !cur.Expired(m.clock.Now()) {
				m.emit(Event{Type: EventAuthenticated, ConfigID: id, Restored: true, ExpiresAt: cur.ExpiresAt})
			}
		}
		if s := p.session.Load(); s != nil && !s.Expired(m.clock.Now()) {
			r.IsAuthenticated = true
			r.UserData = s.UserData
		}
		out = append(out, r)
	}
	return out, nil
}
