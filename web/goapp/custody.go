package goapp

import (
	"context"

	"github.com/oidcwasm/oidcwasm/spa"
)

// Worker acts for the configs with custody "worker" (docs/DESIGN.md,
// "Token custody in a service worker"): the service worker keeps their
// tokens, and the Auth reaches it through NewWorker's Worker, given as
// Options.Worker. It is an option, as DPoP is, so that an app without
// worker custody carries none of its code (the size budget).
type Worker interface {
	custodian
	// attach subscribes the Auth to the worker's events.
	attach(a *Auth) (unsubscribe func())
	// start is start-up after Configure: the worker checks the page's URL
	// first, then the page's Manager, then the Auth finishes.
	start(ctx context.Context, a *Auth, configs []spa.Config)
	// fetch sends a request to a secure route of a worker-custody config
	// with f (Options.Fetcher).
	fetch(ctx context.Context, f spa.Fetcher, req *spa.Request, configID string) (*Response, error)
	// popup signs in with a popup the page opened.
	popup(ctx context.Context, popup any, configID string, o spa.AuthorizeOptions) error
	// session asks the worker for the config's session (spa.SessionInfo.View).
	session(ctx context.Context, configID string) (*spa.Session, error)
}

// custodian is what the Worker does for a config's session, as the
// page's Manager does for the others (Auth's helpers choose by custody).
type custodian interface {
	Authorize(ctx context.Context, configID string, o spa.AuthorizeOptions) (string, error)
	// Logoff returns the end-session URL ("" for none); with revoke it
	// revokes the tokens first (RFC 7009), and a URL comes with no error.
	Logoff(ctx context.Context, configID string, o spa.EndSessionOptions, revoke bool) (string, error)
	LogoffLocal(ctx context.Context, configID string) error
	Revoke(ctx context.Context, configID, hint string) error
	Renew(ctx context.Context, configID string) error
}

// needsWorker is start-up's refusal of a worker-custody config when the
// app gave no Options.Worker.
func needsWorker(configID string) error {
	return &spa.Error{Code: spa.CodeInvalidConfig, ConfigID: configID, Field: "custody",
		Message: "\"worker\" needs goapp.Options.Worker (goapp.NewWorker())"}
}

// inWorker reports whether the config keeps its tokens in the service
// worker (configured only with a Worker: see needsWorker).
func (a *Auth) inWorker(id string) bool { return a.m.WorkerCustody(id) }

// sessionLocked is the config's session, to show: the worker's last word
// (an event, or an answer to a question) as a spa.SessionInfo.View, with no
// token in it, else the page's Manager's.
func (a *Auth) sessionLocked(id string) *spa.Session {
	if s, ok := a.remote[id]; ok {
		return s
	}
	s, _ := a.m.Session(id)
	return s
}
