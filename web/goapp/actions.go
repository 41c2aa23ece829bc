package goapp

import (
	"context"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/spa"
)

// The helpers below may be called from go-app event handlers: they return at
// once and do their I/O inside ctx.Async, because a handler runs on go-app's
// UI goroutine and a blocking call there would freeze every update until it
// returns. Failures land in the config's AuthState (ErrorCode, Error) and in
// the event log as an "error" event.

// Login starts the authorization code flow with PKCE for a config ("" means
// the first one) and sends the page to the provider with location.assign.
// (app.Context.Navigate would open the provider in a new tab: go-app treats
// every other origin not listed in app.Handler.InternalURLs as external.)
// Without o.ReturnURL the user comes back to the page they are on.
func (a *Auth) Login(ctx app.Context, configID string, o spa.AuthorizeOptions) {
	a.Bind(ctx)
	ctx.Async(func() {
		if err := a.wait(ctx); err != nil {
			a.fail(configID, err)
			return
		}
		id := a.resolve(configID)
		if o.ReturnURL == "" {
			o.ReturnURL = a.nav.Location()
		}
		var u string
		var err error
		if a.inWorker(id) {
			u, err = a.worker.Authorize(ctx, id, o)
		} else {
			u, err = a.m.Authorize(ctx, id, o)
		}
		if err != nil {
			a.fail(id, err)
			return
		}
		a.nav.Assign(u)
	})
}

// Logout ends the config's local session (other configs keep theirs) and
// sends the page to the provider's end-session endpoint, which returns it to
// the config's PostLogoutRedirectURI (OpenID Connect RP-Initiated Logout 1.0).
// Without an end-session endpoint the page stays where it is, signed out.
func (a *Auth) Logout(ctx app.Context, configID string, o spa.EndSessionOptions) {
	a.run(ctx, configID, func(ctx context.Context, id string) error {
		u, err := a.logoff(ctx, id, o, false)
		if err == nil && u != "" {
			a.nav.Assign(u)
		}
		return err
	})
}

// logoff ends the config's session with its custodian (revoking its
// tokens first when revoke) and returns the end-session URL.
func (a *Auth) logoff(ctx context.Context, id string, o spa.EndSessionOptions, revoke bool) (string, error) {
	switch {
	case a.inWorker(id):
		return a.worker.Logoff(ctx, id, o, revoke)
	case revoke:
		return a.m.LogoffAndRevokeTokens(ctx, id, o)
	}
	return a.m.Logoff(ctx, id, o)
}

// LogoutLocal ends the config's local session without telling the provider.
func (a *Auth) LogoutLocal(ctx app.Context, configID string) {
	a.run(ctx, configID, func(ctx context.Context, id string) error {
		if a.inWorker(id) {
			return a.worker.LogoffLocal(ctx, id)
		}
		return a.m.LogoffLocal(id)
	})
}

// LogoutAndRevoke revokes the config's refresh and then access token
// (RFC 7009), ends its local session whatever the provider answered, and then
// goes to the end-session endpoint as Logout does, with the id_token_hint taken
// before the session ended. A failed revocation is reported as an "error"
// event; it does not stop the logoff.
func (a *Auth) LogoutAndRevoke(ctx app.Context, configID string, o spa.EndSessionOptions) {
	a.run(ctx, configID, func(ctx context.Context, id string) error {
		u, err := a.logoff(ctx, id, o, true)
		if u != "" {
			a.nav.Assign(u)
			return nil // the failure, if any, went out as an "error" event
		}
		return err
	})
}

// Revoke revokes the session's access token (hint spa.HintAccessToken) or
// refresh token (spa.HintRefreshToken) at the provider and drops it locally;
// a revoked access token is replaced by a renewal at its next use, a revoked
// refresh token ends the session (in every tab).
func (a *Auth) Revoke(ctx app.Context, configID, hint string) {
	a.run(ctx, configID, func(ctx context.Context, id string) error {
		if a.inWorker(id) {
			return a.worker.Revoke(ctx, id, hint)
		}
		return a.m.Revoke(ctx, id, hint, "")
	})
}

// Renew renews the config's session now (forceRefreshSession): by refresh
// token when the session has one, else in the hidden iframe.
func (a *Auth) Renew(ctx app.Context, configID string) {
	a.run(ctx, configID, func(ctx context.Context, id string) error {
		if a.inWorker(id) {
			return a.worker.Renew(ctx, id)
		}
		_, err := a.m.Renew(ctx, id)
		return err
	})
}

// run binds the Auth and runs fn for the resolved config inside ctx.Async,
// then republishes the config's state and records a failure. Renewal failures
// are already reported by the Manager's silentRenewFailed event.
func (a *Auth) run(ctx app.Context, configID string, fn func(ctx context.Context, id string) error) {
	a.Bind(ctx)
	ctx.Async(func() {
		if err := a.wait(ctx); err != nil {
			a.fail(configID, err)
			return
		}
		id := a.resolve(configID)
		err := fn(ctx, id)
		a.refresh(ctx, id)
		if err != nil && !a.reported(id, err) {
			a.fail(id, err)
		}
	})
}

// reported tells whether the Manager already reported err for the config
// with a silentRenewFailed event (possibly followed by loggedOut or
// tokenExpired), as every renewal failure is.
func (a *Auth) reported(id string, err error) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.log) - 1; i >= 0; i-- {
		ev := a.log[i]
		if ev.ConfigID != id {
			continue
		}
		switch ev.Type {
		case spa.EventLoggedOut, spa.EventTokenExpired:
			continue
		case spa.EventSilentRenewFailed:
			return ev.Code == spa.ErrorCode(err)
		}
		return false
	}
	return false
}
