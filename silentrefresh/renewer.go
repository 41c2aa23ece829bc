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
//     detection revoking the whole family, RFC 9700 §4.14.2), so docs/DESIGN.md ends
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
	_ renewal             = (*spa.Renewal)(nil)
)

// renewal is what the Renewer needs of one renewal in progress: what it
// renews, and the steps a renewal may take while the Manager holds the
// config's renewal lock. *spa.Renewal is one, and only the Manager makes
// those; the Renewer reaches nothing else of the Manager.
type renewal interface {
	Session() *spa.Session
	Config() spa.Config
	Token() spa.TokenOptions
	Started(method string)
	Refresh(ctx context.Context) error
	silentStep
}

// silentStep is what the iframe takes of a renewal, or of a silent sign-in
// (SignIn): its prompt=none request, and the completion of the answer.
type silentStep interface {
	SilentRequest(ctx context.Context) (spa.AuthRequest, error)
	Complete(ctx context.Context, req spa.AuthRequest, answer string) error
}

// SilentSignIner is what SignIn needs of a spa.Manager, which is one.
type SilentSignIner interface {
	Config(configID string) (spa.Config, error)
	AuthorizeSilent(ctx context.Context, configID string) (spa.AuthRequest, error)
	Complete(ctx context.Context, req spa.AuthRequest, answer string) (*spa.Session, error)
	Discard(req spa.AuthRequest)
}

// SignIn signs configID in by silent authorization in the hidden iframe,
// for a config without a session here whose provider may still have one:
// the service worker's recovery after the browser stopped it (worker
// custody; spa.Manager.AuthorizeSilent). The steps, the bound
// (SilentRenewTimeout), the messages and the third-party-cookie hint on
// login_required are an iframe renewal's; a request that no answer
// completed is dropped. Without a Frame it is login_required.
func (r *Renewer) SignIn(ctx context.Context, m SilentSignIner, configID string) error {
	cfg, err := m.Config(configID)
	if err != nil {
		return err
	}
	if r.frame == nil {
		return &spa.Error{Code: spa.CodeLoginRequired, ConfigID: cfg.ConfigID, Err: spa.ErrNoWayToRenew,
			Message: "no iframe is available to sign in again silently"}
	}
	rctx, cancel := context.WithTimeout(ctx, cfg.SilentRenewTimeout)
	defer cancel()
	s := &signIn{m: m, id: cfg.ConfigID}
	err = r.iframe(ctx, rctx, s, &cfg)
	if s.pending != nil {
		m.Discard(*s.pending)
	}
	return err
}

// signIn is SignIn's silentStep; pending is its request until an answer
// went to Complete.
type signIn struct {
	m       SilentSignIner
	id      string
	pending *spa.AuthRequest
}

func (s *signIn) SilentRequest(ctx context.Context) (spa.AuthRequest, error) {
	req, err := s.m.AuthorizeSilent(ctx, s.id)
	if err == nil {
		s.pending = &req
	}
	return req, err
}

func (s *signIn) Complete(ctx context.Context, req spa.AuthRequest, answer string) error {
	s.pending = nil // Complete uses the transaction up, whatever its outcome
	_, err := s.m.Complete(ctx, req, answer)
	return err
}

// Renew implements spa.Renewer. It emits silentRenewStarted with the method it
// chose, and returns nil once the Manager has stored the new session, or an
// *spa.Error whose Code says why not.
func (r *Renewer) Renew(ctx context.Context, rn *spa.Renewal) error { return r.renew(ctx, rn) }

func (r *Renewer) renew(ctx context.Context, rn renewal) error {
	s, cfg := rn.Session(), rn.Config()
	rctx, cancel := context.WithTimeout(ctx, cfg.SilentRenewTimeout)
	defer cancel()
	switch {
	case s.RefreshToken != "" && (cfg.UseRefreshToken || r.frame == nil) && !(spa.WantsPromptNone(ctx) && r.frame != nil):
		rn.Started(spa.MethodRefreshToken)
		return r.fail(ctx, rctx, &cfg, rn.Refresh(rctx), "the token endpoint did not answer the refresh-token request (RFC 6749 §6)")
	case r.frame != nil:
		rn.Started(spa.MethodIframe)
		return r.iframe(ctx, rctx, rn, &cfg)
	}
	return &spa.Error{Code: spa.CodeLoginRequired, ConfigID: cfg.ConfigID,
		Message: "the session has no refresh token and no iframe is available for silent renewal"}
}

// RenewAPIToken implements spa.APITokenRenewer: the per-API token
// (rn.Token()) of a session without a refresh token, by silent authorization
// in the hidden iframe (prompt=none with its resource, scope and parameters),
// bounded like Renew. The Manager calls it under the config's renewal lock.
func (r *Renewer) RenewAPIToken(ctx context.Context, rn *spa.Renewal) error {
	return r.renewAPI(ctx, rn)
}

func (r *Renewer) renewAPI(ctx context.Context, rn renewal) error {
	cfg := rn.Config()
	if r.frame == nil {
		return &spa.Error{Code: spa.CodeLoginRequired, ConfigID: cfg.ConfigID, Err: spa.ErrNoWayToRenew,
			Message: "the session has no refresh token and no iframe is available for the token of resource " + rn.Token().Resource}
	}
	rctx, cancel := context.WithTimeout(ctx, cfg.SilentRenewTimeout)
	defer cancel()
	return r.iframe(ctx, rctx, rn, &cfg)
}

// iframe renews by silent authorization: rn's prompt=none request in a hidden
// iframe, then the usual validation and code exchange of its answer
// (rn.Complete: the answer must carry the request's state, which with pushed
// authorization requests only the AuthRequest knows). A request no answer
// completed is dropped by the Manager when the renewal ends.
func (r *Renewer) iframe(ctx, rctx context.Context, rn silentStep, cfg *spa.Config) error {
	req, err := rn.SilentRequest(rctx)
	if err != nil {
		return err
	}
	answer, err := r.frame.Navigate(rctx, req)
	if err != nil {
		return r.fail(ctx, rctx, cfg, err, fmt.Sprintf(
			"silent-refresh.html did not answer from silentRenewUrl %s: check that it is served there on the page's origin and registered as a redirect URI at the provider, and that the provider answers prompt=none inside an iframe (it may need third-party cookies)",
			cfg.SilentRenewURL))
	}
	// login_required & co. arrive here (OpenID Connect Core §3.1.2.6).
	return r.fail(ctx, rctx, cfg, thirdPartyCookieHint(rn.Complete(rctx, req, answer), cfg), "the token endpoint did not answer the code exchange (RFC 6749 §4.1.3)")
}

// fail returns err, as CodeTimeout with a message that says what did not
// answer when the renewal ran out of time; nil stays nil. The Manager names
// the config on whatever the Renewer returns.
func (r *Renewer) fail(ctx, rctx context.Context, cfg *spa.Config, err error, what string) error {
	if err == nil {
		return nil
	}
	switch spa.ErrorCode(err) {
	case "", spa.CodeNetwork, spa.CodeTimeout: // no answer: was it the deadline?
	default:
		return err // the provider answered
	}
	if ctx.Err() != nil {
		return &spa.Error{Code: spa.CodeTimeout, ConfigID: cfg.ConfigID, Message: "the silent renewal was cancelled", Err: ctx.Err()}
	}
	if errors.Is(rctx.Err(), context.DeadlineExceeded) {
		return &spa.Error{Code: spa.CodeTimeout, ConfigID: cfg.ConfigID, Err: err, Message: fmt.Sprintf(
			"silent renewal gave up after %g seconds (silentRenewTimeoutInSeconds): %s", cfg.SilentRenewTimeout.Seconds(), what)}
	}
	return err
}
