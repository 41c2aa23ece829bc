package main

import (
	"context"
	"errors"
	"syscall/js"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web"
)

// The page's side of worker custody (worker_js.go is the worker's): oidc.js
// forwards every call about a worker-custody config to the service worker
// when it controls the page, and checks nothing itself. A call that
// reaches the page's module for such a config is one the worker could not
// take: it rejects with worker_unavailable and sends nothing, since
// custody never falls back to the page (docs/DESIGN.md).

// workerConfigIDs are the configs of the set with worker custody, in order.
func (b *bridge) workerConfigIDs() []any {
	out := []any{}
	for _, id := range b.client.ConfigIDs() {
		if c, err := b.client.Config(id); err == nil && c.WorkerCustody() {
			out = append(out, id)
		}
	}
	return out
}

// pageCustody is nil when the page's module keeps configID's tokens (or
// the config is unknown: the call's own lookup says so), else
// worker_unavailable.
func (b *bridge) pageCustody(configID string) error {
	c, err := b.client.Config(configID)
	if err != nil || !c.WorkerCustody() {
		return nil
	}
	return spa.WorkerUnavailable(c.ConfigID)
}

// checkAuthWith(url, fromWorker) is checkAuth for a set with worker
// custody. fromWorker are the service worker's login responses (its
// checkAuth), or null when it does not control the page: then each
// worker-custody config is reported signed out with worker_unavailable,
// as its errorMessage and an error event.
func (b *bridge) checkAuthWith(ctx context.Context, args []js.Value) (any, error) {
	res, err := b.checkAuthResults(ctx, args[:min(1, len(args))])
	if err != nil {
		return nil, workerStateHint(err)
	}
	worker := map[string]any{}
	fromWorker := arg(args, 1)
	controlled := fromWorker.Type() == js.TypeObject
	if list, ok := fromJS(fromWorker).([]any); ok {
		for _, v := range list {
			if r, ok := v.(map[string]any); ok {
				if id, ok := r["configId"].(string); ok {
					worker[id] = r
				}
			}
		}
	}
	out := make([]any, len(res))
	for i, r := range res {
		out[i] = loginResponse(r)
		c, err := b.client.Config(r.ConfigID)
		if err != nil || !c.WorkerCustody() {
			continue
		}
		if w, ok := worker[r.ConfigID]; ok && controlled {
			out[i] = w
			continue
		}
		e := spa.WorkerUnavailable(r.ConfigID)
		out[i] = loginResponse(spa.AuthResult{ConfigID: r.ConfigID, ErrorMessage: e.Error()})
		b.boot.Call("emit", string(spa.EventError), eventDetail(spa.Event{Type: spa.EventError, ConfigID: r.ConfigID, Code: spa.CodeWorkerUnavailable, Message: e.Error()}))
	}
	return out, nil
}

// workerStateHint adds to a state_mismatch of a set with worker custody the
// cause only that custody has: the sign-in's transaction lives in the
// worker's memory alone (never in storage a page script could read), and
// the browser may have stopped the worker while the user was away at the
// provider.
func workerStateHint(err error) error {
	var e *spa.Error
	if !errors.As(err, &e) || e.Code != spa.CodeStateMismatch {
		return err
	}
	return &spa.Error{Code: e.Code, ConfigID: e.ConfigID, Err: e.Err,
		Message: e.Message + "; with custody \"worker\" a sign-in's state and PKCE verifier live only in the service worker's memory, which is gone when the browser stops the worker (Firefox stops one idle for 30 s, as while the user is at the provider's login page): sign in again"}
}

// frame(url, state, timeoutMs) loads the service worker's prompt=none
// request in a hidden iframe of this page and resolves to the answer's URL
// (web.IframeFrame: only silent-refresh.html's message from that iframe,
// with that state, is taken). A worker has no document, so a page it
// controls runs its silent sign-in; the worker validates and exchanges the
// answer (worker_js.go, recover). Nothing of it is a token.
func (b *bridge) frame(ctx context.Context, args []js.Value) (any, error) {
	u, err := stringArg(args, 0, "url")
	if err != nil {
		return nil, err
	}
	state, err := stringArg(args, 1, "state")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(arg(args, 2).Int())*time.Millisecond)
	defer cancel()
	return web.IframeFrame{}.Navigate(ctx, spa.AuthRequest{URL: u, State: state})
}

// controlled reports whether a service worker controls this page.
func controlled() bool {
	sw := js.Global().Get("navigator").Get("serviceWorker")
	return sw.Truthy() && sw.Get("controller").Truthy()
}

// popupInWorker is authorizeWithPopUp for a worker-custody config on a
// page the worker controls: the worker makes the request and keeps its
// transaction (its authorizePopup), this page runs the popup it opened in
// the caller's click and takes only the answer web.PopupAnswer accepts, and
// the worker validates and exchanges it (its completePopup), answering the
// login response. A popup that ends without an answer drops the worker's
// transaction. Nothing of it is a token.
func (b *bridge) popupInWorker(ctx context.Context, popup js.Value, configID string, authOptions js.Value) (any, error) {
	defer popup.Call("close")
	ctx, cancel := context.WithTimeout(ctx, spa.TransactionLifetime)
	defer cancel()
	r, err := web.Await(ctx, b.boot.Call("callWorker", "authorizePopup", []any{configID, authOptions}))
	if err != nil {
		return nil, err
	}
	req := spa.AuthRequest{ConfigID: configID, URL: r.Get("url").String(), State: r.Get("state").String()}
	answer, err := web.PopupAnswer(ctx, popup, req)
	if err != nil {
		b.boot.Call("callWorker", "discardPopup", []any{configID, req.State})
		return nil, err
	}
	return web.Await(ctx, b.boot.Call("callWorker", "completePopup", []any{configID, req.State, answer}))
}
