package spa

import (
	"context"
	"errors"
	"time"
)

// Check-session (OpenID Connect Session Management 1.0): the provider's
// check_session_iframe, loaded in a hidden iframe of the page, is asked
// every CheckSessionInterval whether "client_id session_state" still
// describes the user's session there (§3.2). The asking and its timing are
// silentrefresh.SessionMonitor's; what an answer means is decided here.

// Answers of a check_session_iframe (Session Management 1.0 §3.2).
const (
	CheckSessionChanged   = "changed"
	CheckSessionUnchanged = "unchanged"
	CheckSessionError     = "error"
)

// CheckSessionTarget is what a config's check-session poll sends, and
// where. Compare Message to tell one session state from another.
type CheckSessionTarget struct {
	_ noCompare // no == (and no equality function in the wasm)
	// IframeURL is the provider's check_session_iframe.
	IframeURL string
	// Origin is IframeURL's origin: postMessage's targetOrigin, and the
	// only origin an answer is taken from.
	Origin string
	// Message is client_id + " " + session_state (§3.2).
	Message string
	// Interval is the config's CheckSessionInterval; Timeout bounds the
	// wait for an answer (the config's SilentRenewTimeout), the iframe's
	// first load included.
	Interval, Timeout time.Duration
}

// CheckSessionTarget returns what to ask the provider's check_session_iframe
// about configID's session, and false when there is nothing to ask: the
// config has no CheckSession, its provider's discovery names no
// check_session_iframe, there is no session, or the authorization response
// it came from had no session_state.
func (m *Manager) CheckSessionTarget(configID string) (CheckSessionTarget, bool) {
	p, err := m.provider(configID)
	if err != nil || !p.cfg.CheckSession || p.disc.CheckSessionIframe == "" {
		return CheckSessionTarget{}, false
	}
	s := p.session.Load()
	if s == nil || s.SessionState == "" {
		return CheckSessionTarget{}, false
	}
	return CheckSessionTarget{IframeURL: p.disc.CheckSessionIframe, Origin: origin(p.disc.CheckSessionIframe),
		Message:  p.cfg.ClientID + " " + s.SessionState,
		Interval: p.cfg.CheckSessionInterval, Timeout: p.cfg.SilentRenewTimeout}, true
}

// CheckSessionAnswer acts on the check_session_iframe's answer to t (as
// returned by CheckSessionTarget for configID), or on err when it gave none
// in time, and reports whether to go on asking:
//
//   - "unchanged": nothing to do;
//   - "changed": one renewal with prompt=none in the hidden iframe, even for
//     a session with a refresh token (§5: only the authorization endpoint
//     can tell), which decides: login_required & co. end the session
//     (EventLoggedOut, ReasonProvider), another user ends it too, and the
//     same user's new session has a new session_state to ask about. A
//     renewal that fails otherwise, or brings the same session_state back,
//     is EventCheckSessionFailed and stops the asking: never a loop of
//     renewals;
//   - "error", or no answer: EventCheckSessionFailed, and the asking stops
//     until the session has another session_state.
//
// An answer about a session state that is no longer the session's (another
// tab renewed meanwhile) changes nothing.
func (m *Manager) CheckSessionAnswer(ctx context.Context, configID string, t CheckSessionTarget, answer string, err error) bool {
	p, perr := m.provider(configID)
	if perr != nil {
		return false
	}
	id := p.cfg.ConfigID
	cur, ok := m.CheckSessionTarget(id)
	if !ok {
		return false
	}
	if cur.Message != t.Message {
		return true // renewed meanwhile: the next question is about the new state
	}
	failed := func(code, msg string, cause error) bool {
		e := &Error{Code: code, ConfigID: id, Message: msg, Err: cause}
		m.emit(Event{Type: EventCheckSessionFailed, ConfigID: id, Code: code, Message: e.Error()})
		return false
	}
	switch {
	case err != nil:
		code := ErrorCode(err)
		if code == "" {
			code = CodeTimeout
			if !errors.Is(err, context.DeadlineExceeded) {
				code = CodeNetwork
			}
		}
		return failed(code, "the provider's check_session_iframe "+t.IframeURL+" gave no answer: check that it may be framed by this page and reaches its own cookies here (OpenID Connect Session Management 1.0 §3.2)", err)
	case answer == CheckSessionUnchanged:
		return true
	case answer == CheckSessionError:
		return failed(codeInvalidRequest, "the provider's check_session_iframe answered error: it could not check \"client_id session_state\" (OpenID Connect Session Management 1.0 §3.2)", nil)
	case answer != CheckSessionChanged:
		return true // not an answer
	}
	// A renewal of the config already under way (a refresh at its renewal
	// point) is joined rather than doubled: its answer decides the same way,
	// and one that brings the same session_state back stops the asking below.
	if _, err := m.Renew(WithPromptNone(ctx), id); err != nil {
		if p.session.Load() == nil {
			return false // the renewal ended the session: the provider's was over
		}
		return failed(ErrorCode(err), "the provider's session changed, and the prompt=none renewal that would tell how failed", err)
	}
	next, ok := m.CheckSessionTarget(id)
	switch {
	case !ok:
		return failed(CodeInvalidResponse, "the provider's session changed, and the renewal's answer had no session_state to watch (OpenID Connect Session Management 1.0 §2)", nil)
	case next.Message == t.Message:
		return failed(CodeInvalidResponse, "the provider's check_session_iframe says changed, yet a renewal brought the same session_state back", nil)
	}
	return true
}

type promptNoneKey struct{}

// WithPromptNone marks ctx as that of a renewal that must ask the
// provider's authorization endpoint with prompt=none (OpenID Connect
// Session Management 1.0 §5: after "changed"), not spend a refresh token:
// the Renewer (silentrefresh) then takes the hidden iframe.
func WithPromptNone(ctx context.Context) context.Context {
	return context.WithValue(ctx, promptNoneKey{}, true)
}

// WantsPromptNone reports whether ctx asks for a prompt=none renewal (WithPromptNone).
func WantsPromptNone(ctx context.Context) bool {
	v, _ := ctx.Value(promptNoneKey{}).(bool)
	return v
}
