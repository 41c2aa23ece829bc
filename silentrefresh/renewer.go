package silentrefresh

import (
	"context"
	"errors"
	"fmt"

	"github.com/oidcwasm/oidcwasm/spa"
)

// Renewer renews sessions for a spa.Manager (set it as spa.Options.Renewer).
// The Manager calls it inside its single flight and cross-tab lock, after
// re-reading the store, and turns its error into silentRenewFailed (and ends
// the session when spa.EndsSession says so).
//
// The policy, per session:
//
//  1. With a refresh token (and Config.UseRefreshToken, or no Frame to choose
//     instead): the refresh grant of RFC 6749 §6, with rotation handled by
//     spa.Renewal.Refresh (RFC 9700 §4.14.2: the new refresh token replaces the
//     old one before anything else can use it). Its outcome is final: an
//     invalid_grant does not fall back to the iframe. The provider has revoked
//     that grant (logout elsewhere, an administrator, or refresh-token reuse
//     detection revoking the whole family, RFC 9700 §4.14.2), so DESIGN.md ends
//     the session; an iframe would quietly sign the user back in behind the
//     revocation. A transient failure is not retried here either: the iframe
//     asks the same provider, and the Scheduler retries with backoff.
//  2. Else, with a Frame: silent authorization in a hidden iframe with
//     prompt=none and redirect_uri=silentRenewUrl (OpenID Connect Core
//     §3.1.2.1). A provider that needs the user answers login_required,
//     consent_required or interaction_required (§3.1.2.6); that code is
//     returned, and the Manager ends the session.
//  3. Else login_required: nothing can renew without the user.
//
// A renewal whose ctx says spa.WantsPromptNone (check-session's "changed")
// takes the iframe even with a refresh token: only the authorization
// endpoint can tell whether the provider's session goes on.
//
// The whole renewal is bounded by the config's SilentRenewTimeout (default
// 20 s): the Manager runs it detached from its callers' contexts, so this is
// the only bound. Running out of time is CodeTimeout. For the refresh grant
// the bound has a cost worth knowing: a response lost to it may have rotated
// the refresh token already; the next attempt then gets invalid_grant unless
// the provider keeps a grace period for the previous token, as most do.
type Renewer struct {
	frame Frame
}

// New returns a Renewer that uses frame for iframe renewals; with a nil frame
// it renews with refresh tokens only (like spa.RefreshOnly, plus the timeout).
func New(frame Frame) *Renewer { return &Renewer{frame: frame} }

var (
	_ spa.Renewer         = (*Renewer)(nil)
	_ spa.APITokenRenewer = (*Renewer)(nil)
)

// Renew implements spa.Renewer. It emits silentRenewStarted with the method it
// chose, and returns nil once the Manager has stored the new session, or an
// *spa.Error whose Code says why not.
func (r *Renewer) Renew(ctx context.Context, rn *spa.Renewal) error {
	m, s := rn.Manager(), rn.Session()
	cfg, err := m.Config(s.ConfigID)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, cfg.SilentRenewTimeout)
	defer cancel()
	switch {
	case s.RefreshToken != "" && (cfg.UseRefreshToken || r.frame == nil) && !(spa.WantsPromptNone(ctx) && r.frame != nil):
		rn.Started(spa.MethodRefreshToken)
		return r.fail(ctx, rctx, &cfg, rn.Refresh(rctx), "the token endpoint did not answer the refresh-token request (RFC 6749 §6)")
	case r.frame != nil:
		rn.Started(spa.MethodIframe)
		authURL, err := m.SilentAuthorizeURL(rctx, cfg.ConfigID)
		return r.iframe(ctx, rctx, m, &cfg, authURL, err)
	}
	return &spa.Error{Code: spa.CodeLoginRequired, ConfigID: cfg.ConfigID,
		Message: "the session has no refresh token and no iframe is available for silent renewal"}
}

// RenewAPIToken implements spa.APITokenRenewer: the per-API token of a
// session without a refresh token, by silent authorization in the hidden
// iframe (prompt=none with o's resource, scope and parameters), bounded like
// Renew. The Manager calls it under the config's renewal lock.
func (r *Renewer) RenewAPIToken(ctx context.Context, rn *spa.Renewal, o spa.TokenOptions) error {
	m := rn.Manager()
	cfg, err := m.Config(rn.Session().ConfigID)
	if err != nil {
		return err
	}
	if r.frame == nil {
		return &spa.Error{Code: spa.CodeLoginRequired, ConfigID: cfg.ConfigID,
			Message: "the session has no refresh token and no iframe is available for the token of resource " + o.Resource}
	}
	rctx, cancel := context.WithTimeout(ctx, cfg.SilentRenewTimeout)
	defer cancel()
	authURL, err := m.SilentAuthorizeURLFor(rctx, cfg.ConfigID, o)
	return r.iframe(ctx, rctx, m, &cfg, authURL, err)
}

// iframe renews by silent authorization: prompt=none in a hidden iframe
// (authURL, or the error making it), then the usual validation and code
// exchange. (The login's renewal makes authURL with SilentAuthorizeURL, so a
// build that never asks for a per-API token links no per-API code here.)
func (r *Renewer) iframe(ctx, rctx context.Context, m *spa.Manager, cfg *spa.Config, authURL string, err error) error {
	if err != nil {
		return withConfig(err, cfg.ConfigID)
	}
	resp, err := r.frame.Navigate(rctx, authURL)
	if err != nil {
		m.DiscardTransaction(StateOf(authURL)) // no answer will ever use it

		return r.fail(ctx, rctx, cfg, err, fmt.Sprintf(
			"silent-refresh.html did not answer from silentRenewUrl %s: check that it is served there on the page's origin and registered as a redirect URI at the provider, and that the provider answers prompt=none inside an iframe (it may need third-party cookies)",
			cfg.SilentRenewURL))
	}
	// Only the answer to this request may be validated: ValidateCallback
	// consumes whatever pending transaction the state names, and a wrong frame
	// must not use up another flow's (say, an interactive login in progress).
	if got, ok := spa.CallbackState(resp); !ok || got != StateOf(authURL) {
		m.DiscardTransaction(StateOf(authURL))
		return &spa.Error{Code: spa.CodeStateMismatch, ConfigID: cfg.ConfigID,
			Message: "the silent renewal's answer does not carry the state of its request"}
	}
	cb, err := m.ValidateCallback(rctx, resp)
	if err != nil {
		return withConfig(err, cfg.ConfigID) // login_required & co. arrive here (OpenID Connect Core §3.1.2.6)
	}
	_, err = m.Exchange(rctx, cb)
	return r.fail(ctx, rctx, cfg, err, "the token endpoint did not answer the code exchange (RFC 6749 §4.1.3)")
}

// fail returns err with the config ID set, and as CodeTimeout with a message
// that says what did not answer when the renewal ran out of time; nil stays nil.
func (r *Renewer) fail(ctx, rctx context.Context, cfg *spa.Config, err error, what string) error {
	if err == nil {
		return nil
	}
	switch spa.ErrorCode(err) {
	case "", spa.CodeNetwork, spa.CodeTimeout: // no answer: was it the deadline?
	default:
		return withConfig(err, cfg.ConfigID) // the provider answered
	}
	if ctx.Err() != nil {
		return &spa.Error{Code: spa.CodeTimeout, ConfigID: cfg.ConfigID, Message: "the silent renewal was cancelled", Err: ctx.Err()}
	}
	if errors.Is(rctx.Err(), context.DeadlineExceeded) {
		return &spa.Error{Code: spa.CodeTimeout, ConfigID: cfg.ConfigID, Err: err, Message: fmt.Sprintf(
			"silent renewal gave up after %g seconds (silentRenewTimeoutInSeconds): %s", cfg.SilentRenewTimeout.Seconds(), what)}
	}
	return withConfig(err, cfg.ConfigID)
}

// withConfig returns err as an *spa.Error naming the config: a copy when it
// lacks the ID, or a CodeNetwork wrapper for an error that is not an *spa.Error
// (a Frame that failed without an answer).
func withConfig(err error, configID string) error {
	var e *spa.Error
	if !errors.As(err, &e) {
		return &spa.Error{Code: spa.CodeNetwork, ConfigID: configID, Message: "silent renewal failed", Err: err}
	}
	if e.ConfigID != "" {
		return err
	}
	c := *e
	c.ConfigID = configID
	return &c
}
