package main

import (
	"context"
	"encoding/json"
	"syscall/js"
	"time"

	"github.com/oidcwasm/oidcwasm/silentrefresh"
	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web"
)

// The bridge's module in the service worker (oidc-sw.js): worker custody,
// docs/DESIGN.md "Token custody in a service worker". The worker global has
// no document, window, Web Storage or iframes: every store is the worker's
// memory (tokens, the PKCE verifier and state included), HTTP goes through
// the worker's own fetch (web.Fetcher calls the global fetch, which a
// worker's own requests do not route through its fetch event), and
// renewal is by refresh token, else by an iframe of a page the worker
// controls (pageFrame), on time (silentrefresh's Scheduler) and when a
// request finds the token due.
//
// oidc-sw.js sets globalThis.__oidcwasm_sw before it runs the module;
// run() takes that as the sign that it is in the worker.

// workerBoot is the worker's boot object, or undefined on a page.
func workerBoot() js.Value { return js.Global().Get("__oidcwasm_sw") }

// runWorker registers the worker's implementation with oidc-sw.js and keeps
// the program alive.
func runWorker(boot js.Value) {
	boot.Call("mark", "main")
	stores := map[string]spa.Store{storeTx: spa.NewMemoryStore()}
	for _, name := range []string{spa.StorageSession, spa.StorageLocal, spa.StorageMemory} {
		stores[name] = spa.NewMemoryStore()
	}
	keys := web.NewMemoryDPoPKeys()
	renewer := silentrefresh.New(pageFrame{boot})
	w := &worker{
		stores:  stores,
		keys:    keys,
		renewer: renewer,
		m: spa.NewManager(spa.Options{
			Fetcher: web.Fetcher{},
			Stores:  map[string]spa.Store{spa.StorageSession: stores[spa.StorageSession], spa.StorageLocal: stores[spa.StorageLocal], spa.StorageMemory: stores[spa.StorageMemory]},
			TxStore: stores[storeTx],
			Renewer: renewer,
			// A worker-custody config's DPoP key (RFC 9449) lives in the
			// worker's memory only, as its tokens do: IndexedDB is the
			// origin's, and a page script could have proofs signed with a
			// CryptoKey kept there. A worker the browser stops loses the key
			// with the tokens bound to it, and the silent sign-in after the
			// stop binds new ones to a new key. (The set's page-custody
			// configs with DPoP are accepted here too; the worker never signs
			// for them.)
			DPoP: spa.NewDPoP(keys),
		}),
		boot:       boot,
		lost:       map[string]bool{},
		recovering: map[string]chan struct{}{},
	}
	w.m.Subscribe(func(ev spa.Event) {
		// configLoaded is the page's module's to tell: it configures the
		// same set, while every page configuring the worker would tell
		// every page again.
		if ev.Type != spa.EventConfigLoaded {
			emitWithSession(boot, w.m, ev)
		}
		w.keep()
	})
	silentrefresh.NewScheduler(w.m, silentrefresh.SchedulerOptions{}).Start() // renewal on time, while the browser keeps the worker
	// Front-channel logout (OpenID Connect Front-Channel Logout 1.0): the
	// logout page's broadcast reaches the worker as it reaches the pages,
	// and the worker's Manager ends the session it names, with its checks.
	web.ListenFrontchannelLogoutChannel(w.m)
	boot.Call("register", w.object())
	select {}
}

// worker is the Go side of oidc-sw.js: one spa.Manager for every page it
// controls, configured by them with the whole set (so that the route table
// is the same one the page has), acting only for configs with worker
// custody.
type worker struct {
	m *spa.Manager
	// stores are the Manager's stores (by spa.Storage*, and storeTx) and
	// keys its DPoP keys: all in this worker's memory, which handover hands
	// to the worker of a new build.
	stores map[string]spa.Store
	keys   *web.MemoryDPoPKeys
	// renewer renews for the Manager and signs a lost config in again
	// (recover, Renewer.SignIn): one iframe path for both.
	renewer *silentrefresh.Renewer
	boot    js.Value
	// resumed: resume has run, so the list of signed-in configs that
	// oidc-sw.js keeps may be written (before, it still holds what the
	// stopped worker had).
	resumed bool
	kept    string // the list last handed to boot.keep, joined
	// lost: configs signed in when the browser stopped the worker before
	// this one, waiting for recover; recovering: the attempt under way per
	// config. (js/wasm runs one goroutine at a time, between JS calls.)
	lost       map[string]bool
	recovering map[string]chan struct{}
}

// resume(ids, configs) runs once the worker is active, with what the
// worker before it wrote down in the worker's IndexedDB (boot.keep and
// boot.keepConfigs): the worker-custody configs it had signed in, by id,
// and the last configure() input, which holds no secret (the page has it
// too). A worker the browser stopped lost its memory and every token in
// it; nothing is written to storage to survive that (docs/DESIGN.md). This
// one configures itself with the kept input, so that requests to secure
// routes are decided as before the stop, and takes each of those configs
// without a session here as lost: the first page that asks for it, by a
// call or a request to its route, recovers it (recover).
func (w *worker) resume(ctx context.Context, args []js.Value) (any, error) {
	if kept := fromJS(arg(args, 1)); kept != nil && len(w.m.ConfigIDs()) == 0 {
		if configs, err := workerConfigs(kept); err == nil {
			w.m.Configure(ctx, configs) // a failure leaves the worker unconfigured: the lost end below
		}
	}
	before, _ := fromJS(arg(args, 0)).([]any)
	w.kept = ""
	for _, v := range before {
		id, ok := v.(string)
		if !ok {
			continue
		}
		w.kept += id + "\x00" // what the store holds
		if !w.m.IsAuthenticated(id) {
			w.lost[id] = true
		}
	}
	w.resumed = true
	for id := range w.lost {
		if c, err := w.m.Config(id); err != nil || !c.WorkerCustody() {
			w.end(id, "", "its configuration was not kept")
		}
	}
	w.keep()
	return nil, nil
}

// hasLost (oidc-sw.js's lost) reports, at once, whether a config waits for
// recover: the fetch event asks it before every request to a secure route.
func (w *worker) hasLost(js.Value, []js.Value) any { return len(w.lost) > 0 }

// recover(clientId) signs each lost config in again without the user,
// once: one prompt=none request (spa.Manager.AuthorizeSilent) in a hidden
// iframe of the asking window (pageFrame), whose answer the worker then
// validates and exchanges like any other. While the provider's session
// lasts the session is back, with new tokens; otherwise every page gets
// loggedOut with reason worker_restarted, saying why. Callers that ask
// meanwhile wait for the same attempt.
func (w *worker) recover(ctx context.Context, args []js.Value) (any, error) {
	ctx = withClient(ctx, arg(args, 0))
	for _, id := range w.m.ConfigIDs() {
		if !w.lost[id] {
			continue
		}
		if ch, ok := w.recovering[id]; ok {
			select {
			case <-ch:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			continue
		}
		ch := make(chan struct{})
		w.recovering[id] = ch
		err := w.renewer.SignIn(ctx, w.m, id) // prompt=none in a page's iframe, as an iframe renewal
		delete(w.lost, id)
		delete(w.recovering, id)
		close(ch)
		if err != nil {
			w.end(id, spa.ErrorCode(err), "a silent sign-in did not bring it back: "+err.Error())
		}
	}
	return nil, nil
}

// pageFrame is the worker's silentrefresh.Frame, for iframe renewals and
// the silent sign-in after a stop: a worker has no document, so a window
// it controls loads the prompt=none request in its hidden iframe
// (boot.frame, then the page bridge's frame: web.IframeFrame, with its
// checks of the answer's origin, source and state) and hands the answer's
// URL back; the worker validates and exchanges it. The window is the one
// whose call or request led here (withClient), else one of the worker's
// (the focused first).
type pageFrame struct{ boot js.Value }

func (f pageFrame) Navigate(ctx context.Context, req spa.AuthRequest) (string, error) {
	client, _ := ctx.Value(clientKey{}).(string)
	timeout := spa.DefaultSilentRenewTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	v, err := web.Await(ctx, f.boot.Call("frame", client, req.URL, req.State, timeout.Milliseconds()))
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

// emitWithSession is emit for the worker's pages, with the event's Go form
// and the session after it (as sessionInfo) for a Go page
// (web.CustodyWorker): JSON of {event, session}.
func emitWithSession(boot js.Value, m *spa.Manager, ev spa.Event) {
	form := map[string]any{"event": ev, "session": nil}
	if s := sessionInfoJSON(m, ev.ConfigID); s != "" {
		form["session"] = json.RawMessage(s)
	}
	b, _ := json.Marshal(form)
	emit(boot, ev, string(b))
}

// clientKey is the context key of the window (its Client id) a call or a
// request came from.
type clientKey struct{}

func withClient(ctx context.Context, id js.Value) context.Context {
	if id.Type() != js.TypeString {
		return ctx
	}
	return context.WithValue(ctx, clientKey{}, id.String())
}

// end tells every page that id's session went with the stopped worker.
func (w *worker) end(id, code, why string) {
	delete(w.lost, id)
	emitWithSession(w.boot, w.m, spa.Event{Type: spa.EventLoggedOut, ConfigID: id, Reason: spa.ReasonWorkerRestarted, Code: code,
		Message: "the browser stopped the service worker that kept this config's tokens (custody \"worker\"), and its memory with them; " + why + ": sign in again"})
}

// keep hands oidc-sw.js the worker-custody configs signed in now, by id,
// when the list changed since it last did.
func (w *worker) keep() {
	if !w.resumed {
		return
	}
	ids, joined := []any{}, ""
	for _, id := range w.m.ConfigIDs() {
		if c, err := w.m.Config(id); err == nil && c.WorkerCustody() && w.m.IsAuthenticated(id) {
			ids = append(ids, id)
			joined += id + "\x00"
		}
	}
	if joined == w.kept {
		return
	}
	w.kept = joined
	w.boot.Call("keep", ids)
}

// object is what oidc-sw.js calls: calls, the Promise methods a page's
// oidc.js may ask for (none hands out a token unless the config says
// exposeAccessToken); route and routeHeaders, the fetch event's, which
// oidc-sw.js never lets a page reach; resume, lost and recover, for a
// worker started after the browser stopped the one before; configured, whether a configure has
// run since the worker started (a worker the browser stopped starts empty).
func (w *worker) object() js.Value {
	calls := js.Global().Get("Object").New()
	for name, fn := range map[string]func(ctx context.Context, args []js.Value) (any, error){
		"configure":             w.configure,
		"checkAuth":             w.checkAuth,
		"authorize":             w.authorize,
		"getAccessToken":        w.getAccessToken,
		"isAuthenticated":       w.isAuthenticated,
		"getUserData":           w.getUserData,
		"logoffLocal":           w.logoffLocal,
		"sessionInfo":           w.sessionInfo,
		"logoff":                w.logoff(false),
		"logoffAndRevokeTokens": w.logoff(true),
		"revokeAccessToken":     w.revoke(spa.HintAccessToken),
		"revokeRefreshToken":    w.revoke(spa.HintRefreshToken),
		"forceRefreshSession":   w.forceRefreshSession,
		"getIdToken":            w.getIDToken,
		"authorizePopup":        w.authorizePopup,
		"completePopup":         w.completePopup,
		"discardPopup":          w.discardPopup,
	} {
		calls.Set(name, promiseFunc(fn))
	}
	o := js.Global().Get("Object").New()
	o.Set("calls", calls)
	o.Set("routeHeaders", promiseFunc(w.routeHeaders))
	o.Set("route", js.FuncOf(w.route))
	o.Set("routeAnswer", js.FuncOf(w.routeAnswer))
	o.Set("resume", promiseFunc(w.resume))
	o.Set("recover", promiseFunc(w.recover))
	o.Set("lost", js.FuncOf(w.hasLost))
	o.Set("configured", js.FuncOf(func(js.Value, []js.Value) any { return len(w.m.ConfigIDs()) > 0 }))
	o.Set("handover", js.FuncOf(w.handover))
	o.Set("adopt", js.FuncOf(w.adopt))
	return o
}

// promiseFunc is fn as a JS function returning a Promise.
func promiseFunc(fn func(ctx context.Context, args []js.Value) (any, error)) js.Func {
	return js.FuncOf(func(this js.Value, args []js.Value) any {
		args = append([]js.Value(nil), args...)
		return web.Promise(func(ctx context.Context) (any, error) { return fn(ctx, args) })
	})
}

// workerConfigs reads configure's input: the JS contract's form (oidc.js),
// or the Go form web.CustodyWorker sends, JSON of []spa.Config (a Go page
// has spa.Configs; the JSON is spa's own encoding of them, so no table of
// field names is written twice).
func workerConfigs(v any) ([]spa.Config, error) {
	s, ok := v.(string)
	if !ok {
		return parseConfigs(v)
	}
	var configs []spa.Config
	if err := json.Unmarshal([]byte(s), &configs); err != nil {
		return nil, &spa.Error{Code: spa.CodeInvalidConfig, Field: "configs", Message: "the Go form of the configs does not decode", Err: err}
	}
	return configs, nil
}

// goOptions reads the options argument at i when it is in the Go form
// (JSON of spa.AuthorizeOptions or spa.EndSessionOptions, from
// web.CustodyWorker) into o, and reports whether it was.
func goOptions(args []js.Value, i int, id string, o any) (bool, error) {
	v := arg(args, i)
	if v.Type() != js.TypeString {
		return false, nil
	}
	if err := json.Unmarshal([]byte(v.String()), o); err != nil {
		return true, &spa.Error{Code: spa.CodeInvalidRequest, ConfigID: id, Field: "options", Message: "the Go form of the options does not decode", Err: err}
	}
	return true, nil
}

func (w *worker) configure(ctx context.Context, args []js.Value) (any, error) {
	configs, err := workerConfigs(fromJS(arg(args, 0)))
	if err != nil {
		return nil, err
	}
	if err := w.m.Configure(ctx, configs); err != nil {
		return nil, err
	}
	w.boot.Call("keepConfigs", arg(args, 0)) // for a worker started after this one stops (resume)
	return nil, nil
}

// checkAuth(url) completes an authorization response whose transaction
// is the worker's (every check of spa.Manager.CheckAuth: state, iss,
// verification, then the exchange), else restores: the worker's sessions
// are in its memory. It resolves to {results, clean, error}: the login
// responses of the worker-custody configs, the address the page must show
// instead of url ("" when url is not the worker's to clean; set whatever
// the outcome, so code and state leave the address bar), and why the
// callback failed (then no results), as errorObject.
func (w *worker) checkAuth(ctx context.Context, args []js.Value) (any, error) {
	raw, err := stringArg(args, 0, "url")
	if err != nil {
		return nil, err
	}
	mine := w.m.PendingResponse(raw)
	target, clean := raw, ""
	if !mine {
		target = "" // not ours (a page config's, or none): restore only
	}
	res, err := w.m.CheckAuth(ctx, target)
	if mine {
		clean, _ = w.m.CleanAddress(raw) // whatever the outcome, code and state leave the address bar
	}
	if err != nil {
		return map[string]any{"results": []any{}, "clean": clean, "error": errorObject(err)}, nil
	}
	out := []any{}
	for _, r := range res {
		if c, err := w.m.Config(r.ConfigID); err == nil && c.WorkerCustody() {
			out = append(out, loginResponse(r))
		}
	}
	return map[string]any{"results": out, "clean": clean, "error": nil}, nil
}

// errorObject is web.JSError's fields as a plain object, which a message
// carries whole (structured clone keeps only an Error's name and message).
func errorObject(err error) map[string]any {
	e := web.JSError(err)
	o := map[string]any{"name": "OidcError", "message": e.Get("message").String(), "code": e.Get("code").String(), "configId": nil}
	if v := e.Get("configId"); v.Type() == js.TypeString {
		o["configId"] = v.String()
	}
	for _, k := range []string{"field", "description"} {
		if v := e.Get(k); v.Type() == js.TypeString {
			o[k] = v.String()
		}
	}
	return o
}

// authorize(configId, {customParams, returnUrl}) makes the authorization
// request (state, nonce and PKCE verifier kept in the worker's memory) and
// resolves to {assign: the URL the page navigates to}.
func (w *worker) authorize(ctx context.Context, args []js.Value) (any, error) {
	id, o, err := w.authorizeArgs(args)
	if err != nil {
		return nil, err
	}
	u, err := w.m.Authorize(ctx, id, o)
	if err != nil {
		return nil, err
	}
	return map[string]any{"assign": u}, nil
}

// authorizeArgs reads (configId, {customParams, returnUrl}) of a
// worker-custody config.
func (w *worker) authorizeArgs(args []js.Value) (string, spa.AuthorizeOptions, error) {
	id, err := w.custodyArg(args, 0)
	if err != nil {
		return "", spa.AuthorizeOptions{}, err
	}
	var o spa.AuthorizeOptions
	if ok, err := goOptions(args, 1, id, &o); ok || err != nil {
		return id, o, err
	}
	o, err = authorizeOptions(args, 1, id)
	return id, o, err
}

// endSessionArgs reads (configId, {customParams}) of a worker-custody
// config, the options in either form.
func (w *worker) endSessionArgs(args []js.Value) (string, spa.EndSessionOptions, error) {
	var o spa.EndSessionOptions
	id, err := w.custodyArg(args, 0)
	if err != nil {
		return "", o, err
	}
	if ok, err := goOptions(args, 1, id, &o); ok || err != nil {
		return id, o, err
	}
	_, o, err = endSessionOptions(args)
	return id, o, err
}

// authorizePopup(configId, authOptions) starts a popup sign-in for a
// worker-custody config: the worker makes the request (redirect_uri the
// config's popupRedirectUrl; state, nonce and verifier in its memory, as
// any transaction: single use, spa.TransactionLifetime) and answers {url,
// state}; the page, which alone can open a window, runs the popup with
// web.PopupAnswer and its checks, and hands the provider's answer to
// completePopup (wasm/custody_js.go, popupInWorker).
func (w *worker) authorizePopup(ctx context.Context, args []js.Value) (any, error) {
	id, o, err := w.authorizeArgs(args)
	if err != nil {
		return nil, err
	}
	req, err := w.m.AuthorizePopup(ctx, id, o)
	if err != nil {
		return nil, err
	}
	return map[string]any{"url": req.URL, "state": req.State}, nil
}

// completePopup(configId, state, answerUrl) validates and exchanges the
// popup's answer to the request with that state (every check of Complete:
// a state with no transaction here is state_mismatch), and answers the
// login response.
func (w *worker) completePopup(ctx context.Context, args []js.Value) (any, error) {
	req, err := w.popupRequest(args)
	if err != nil {
		return nil, err
	}
	answer, err := stringArg(args, 2, "answer")
	if err != nil {
		w.m.Discard(req)
		return nil, err
	}
	s, err := w.m.Complete(ctx, req, answer)
	if err != nil {
		return nil, err
	}
	return sessionResponse(s), nil
}

// discardPopup(configId, state) drops the transaction of a popup sign-in
// that ended without an answer (closed, blocked, timed out).
func (w *worker) discardPopup(ctx context.Context, args []js.Value) (any, error) {
	req, err := w.popupRequest(args)
	if err != nil {
		return nil, err
	}
	w.m.Discard(req)
	return nil, nil
}

// popupRequest is the request (configId, state) of args names, of a
// worker-custody config.
func (w *worker) popupRequest(args []js.Value) (spa.AuthRequest, error) {
	id, err := w.custodyArg(args, 0)
	if err != nil {
		return spa.AuthRequest{}, err
	}
	state, err := stringArg(args, 1, "state")
	return spa.AuthRequest{ConfigID: id, State: state}, err
}

// getAccessToken hands the token to the page only when the config says
// exposeAccessToken: true; otherwise token_in_worker, and the token stays.
func (w *worker) getAccessToken(ctx context.Context, args []js.Value) (any, error) {
	id, err := w.custodyArg(args, 0)
	if err != nil {
		return nil, err
	}
	c, _ := w.m.Config(id)
	if !c.ExposeAccessToken {
		return nil, &spa.Error{Code: spa.CodeTokenInWorker, ConfigID: c.ConfigID,
			Message: "the access token stays in the service worker (custody \"worker\"): requests to the config's secure routes get it there; set exposeAccessToken: true to hand it to the page"}
	}
	return w.m.AccessToken(ctx, id)
}

// getIDToken keeps the ID token in the worker too: it is a token of the
// session (some APIs wrongly take it as a bearer credential), and a page
// needs only its claims, which getUserData gives; the one place it leaves
// the worker is the end-session URL's id_token_hint (RP-Initiated Logout
// 1.0 §2).
func (w *worker) getIDToken(ctx context.Context, args []js.Value) (any, error) {
	id, err := w.custodyArg(args, 0)
	if err != nil {
		return nil, err
	}
	return nil, &spa.Error{Code: spa.CodeTokenInWorker, ConfigID: id,
		Message: "the ID token stays in the service worker (custody \"worker\"); getUserData has its claims"}
}

func (w *worker) isAuthenticated(ctx context.Context, args []js.Value) (any, error) {
	id, err := w.custodyArg(args, 0)
	if err != nil {
		return nil, err
	}
	return w.m.IsAuthenticated(id), nil
}

func (w *worker) getUserData(ctx context.Context, args []js.Value) (any, error) {
	id, err := w.custodyArg(args, 0)
	if err != nil {
		return nil, err
	}
	s, err := w.m.Session(id)
	if err != nil || s == nil {
		return nil, err
	}
	return s.UserData, nil
}

// sessionInfo(configId) is the session without its tokens (spa.SessionInfo,
// JSON), null when signed out: what a Go page (web/goapp) shows of it.
func (w *worker) sessionInfo(ctx context.Context, args []js.Value) (any, error) {
	id, err := w.custodyArg(args, 0)
	if err != nil {
		return nil, err
	}
	if s := sessionInfoJSON(w.m, id); s != "" {
		return s, nil
	}
	return nil, nil
}

// sessionInfoJSON is id's spa.SessionInfo as JSON, "" when signed out.
func sessionInfoJSON(m *spa.Manager, id string) string {
	s, _ := m.Session(id)
	if s == nil {
		return ""
	}
	b, err := json.Marshal(s.Info())
	if err != nil {
		return ""
	}
	return string(b)
}

func (w *worker) logoffLocal(ctx context.Context, args []js.Value) (any, error) {
	id, err := w.custodyArg(args, 0)
	if err != nil {
		return nil, err
	}
	return nil, w.m.LogoffLocal(id)
}

// logoff ends the local session (revoking its tokens first when revoke)
// and resolves to {assign: the end-session URL}, which the page navigates
// to (RP-Initiated Logout 1.0 §2: it carries id_token_hint, the one token a
// URL may hold); a provider without an end-session endpoint leaves the page
// where it is, signed out. With revoke, a failed revocation went out as an
// error event and rejects only when there is no navigation to make.
func (w *worker) logoff(revoke bool) func(ctx context.Context, args []js.Value) (any, error) {
	return func(ctx context.Context, args []js.Value) (any, error) {
		id, o, err := w.endSessionArgs(args)
		if err != nil {
			return nil, err
		}
		var u string
		if revoke {
			u, err = w.m.LogoffAndRevokeTokens(ctx, id, o)
		} else {
			u, err = w.m.Logoff(ctx, id, o)
		}
		if u != "" {
			return map[string]any{"assign": u}, nil
		}
		return nil, err
	}
}

// revoke revokes the session's own token of hint (RFC 7009 §2.1): the page
// has no token to name, so a token argument is refused.
func (w *worker) revoke(hint string) func(ctx context.Context, args []js.Value) (any, error) {
	return func(ctx context.Context, args []js.Value) (any, error) {
		id, err := w.custodyArg(args, 0)
		if err != nil {
			return nil, err
		}
		if t := arg(args, 1); t.Type() != js.TypeUndefined && t.Type() != js.TypeNull {
			return nil, &spa.Error{Code: spa.CodeInvalidRequest, ConfigID: id, Field: "token",
				Message: "with custody \"worker\" the worker revokes the session's own token: leave the token out"}
		}
		return nil, w.m.Revoke(ctx, id, hint, "")
	}
}

// forceRefreshSession renews now and resolves to the login response, which
// carries no token.
func (w *worker) forceRefreshSession(ctx context.Context, args []js.Value) (any, error) {
	id, err := w.custodyArg(args, 0)
	if err != nil {
		return nil, err
	}
	s, err := w.m.Renew(ctx, id) // an iframe renewal runs in the focused window (pageFrame)
	if err != nil {
		return nil, err
	}
	return sessionResponse(s), nil
}

// custodyArg reads the configId argument at i: a config with worker
// custody, the only kind the worker acts for.
func (w *worker) custodyArg(args []js.Value, i int) (string, error) {
	id, err := configIDArg(args, i)
	if err != nil {
		return "", err
	}
	return w.custody(id)
}

// custody is configID's config ID when the worker acts for it (worker
// custody), else why not.
func (w *worker) custody(id string) (string, error) {
	c, err := w.m.Config(id)
	if err != nil {
		return "", err
	}
	if !c.WorkerCustody() {
		return "", &spa.Error{Code: spa.CodeInvalidRequest, ConfigID: c.ConfigID, Message: "has custody \"page\": the page's module keeps its tokens, not the service worker"}
	}
	return c.ConfigID, nil
}

// route(url, method) is the fetch event's decision, at once: for a request
// to a secure route of a worker-custody config, [configId,
// followRedirects, dpop]; null for every other request, which then goes out
// untouched. The same route table as the page's (spa.RouteTable): the
// worker is configured with the whole set, so a more specific entry of a
// page-custody config wins here as it does there.
func (w *worker) route(this js.Value, args []js.Value) any {
	m, _, ok := w.routeEntry(args)
	if !ok {
		return js.Null()
	}
	c, _ := w.m.Config(m.ConfigID)
	return []any{m.ConfigID, m.Route.FollowRedirects, c.DPoP}
}

// routeHeaders(url, method, clientId, renew) is [Authorization, DPoP proof]
// for a request route matched (the proof "" without DPoP), or null when it
// goes without a token (an anonymous entry, or no session: the API answers
// as to any request without one).
func (w *worker) routeHeaders(ctx context.Context, args []js.Value) (any, error) {
	ctx = withClient(ctx, arg(args, 2))
	m, method, ok := w.routeEntry(args)
	if !ok {
		return nil, nil
	}
	h, ok, err := w.m.RouteHeaders(ctx, m, method, args[0].String(), arg(args, 3).Truthy())
	if spa.ErrorCode(err) == spa.CodeLoginRequired {
		return nil, nil
	}
	if err != nil || !ok {
		return nil, err
	}
	return []any{h.Authorization, h.DPoP}, nil
}

// routeAnswer(configId, url, status, wwwAuthenticate, dpopNonce) is Go's
// rule for the answer to a request that carried the config's token
// (spa.Manager.RouteAnswer, the same one oidc.fetch follows on a page):
// "nonce" to send once more with the DPoP nonce the server asked for,
// "renew" to renew once and send once more (a 401 refusing the token), else
// "" (the answer goes to the page as it is).
func (w *worker) routeAnswer(this js.Value, args []js.Value) any {
	return w.m.RouteAnswer(routeAnswerArgs(args))
}

// routeEntry is the worker-custody entry a request (url, method) matches.
// The worker's requests have absolute URLs; its own location is the base.
func (w *worker) routeEntry(args []js.Value) (spa.RouteMatch, string, bool) {
	m, method, ok := matchRequestArgs(w.m, args, js.Global().Get("location").Get("href"))
	if !ok {
		return spa.RouteMatch{}, "", false
	}
	if c, err := w.m.Config(m.ConfigID); err != nil || !c.WorkerCustody() {
		return spa.RouteMatch{}, "", false
	}
	return m, method, true
}

// storeTx names the transaction store among worker.stores.
const storeTx = "tx"

// handover is what this worker holds, for the worker of a new build that
// installs while this one still runs (oidc-sw.js asks, worker to worker,
// never through a page): every store's records (the sessions with their
// tokens, and the sign-ins under way) and the DPoP keys, as CryptoKeys
// that stay non-extractable. The new worker adopts them before it
// activates, so an update of the module loses no session. A renewal here
// after the handover (in the moment before the new worker takes over)
// can leave it a refresh token the provider has rotated away: then its
// first refresh fails and the session ends as any failed renewal does.
func (w *worker) handover(this js.Value, args []js.Value) any {
	stores := map[string]any{}
	for name, st := range w.stores {
		recs := map[string]any{}
		for _, k := range st.Keys("") {
			if v, ok := st.Get(k); ok {
				recs[k] = v
			}
		}
		stores[name] = recs
	}
	return map[string]any{"v": 1, "stores": stores, "dpopKeys": w.keys.Export()}
}

// adopt(h) takes a handover (from the worker this one replaces) into its
// empty stores, before resume: the configs it finds signed in there are
// not lost. Anything it cannot read is left out (a version it does not
// know: those configs are recovered as after a stop).
func (w *worker) adopt(this js.Value, args []js.Value) any {
	h := arg(args, 0)
	if h.Type() != js.TypeObject || h.Get("v").Type() != js.TypeNumber || h.Get("v").Int() != 1 {
		return false
	}
	for name, st := range w.stores {
		recs := h.Get("stores").Get(name)
		if recs.Type() != js.TypeObject {
			continue
		}
		ks := js.Global().Get("Object").Call("keys", recs)
		for i := 0; i < ks.Length(); i++ {
			k := ks.Index(i).String()
			if v := recs.Get(k); v.Type() == js.TypeString {
				st.Set(k, v.String())
			}
		}
	}
	w.keys.Adopt(h.Get("dpopKeys"))
	return true
}
