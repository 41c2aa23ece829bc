package web

import (
	"context"
	"encoding/json"
	"sync"
	"syscall/js"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
)

// CustodyWorker is the service worker of custody "worker" (oidc-sw.js,
// docs/DESIGN.md "Token custody in a service worker") as a Go page reaches
// it: web/goapp's Options.Worker. It speaks the protocol oidc.js speaks: a
// call is {oidcwasm: "call", name, args, configs} on a MessageChannel port,
// answered {value} or {error}; the worker's "event" messages are its
// Manager's events, and its "frame" messages ask this page to run a
// prompt=none request in a hidden iframe (a worker has no document).
// Options and configs travel in their Go form (JSON of the spa types),
// which the worker reads as it reads the JS contract's. Nothing of it is a
// token: the worker never answers one to a page.
//
// Every method that asks the worker fails with worker_unavailable, and
// sends nothing, when the worker does not control the page (its first
// load, a forced reload): custody never falls back to the page.
type CustodyWorker struct {
	mu      sync.Mutex
	configs js.Value // the set's Go form, sent with each call: a worker the browser stopped starts empty
	next    int
	subs    map[int]func(spa.Event, *spa.SessionInfo)
	onMsg   js.Func
}

// NewCustodyWorker listens to the worker's messages until Close.
func NewCustodyWorker() *CustodyWorker {
	w := &CustodyWorker{configs: js.Null(), subs: map[int]func(spa.Event, *spa.SessionInfo){}}
	sw := serviceWorkers()
	if !sw.Truthy() {
		return w
	}
	w.onMsg = js.FuncOf(func(this js.Value, args []js.Value) any {
		w.message(arg0(args))
		return nil
	})
	sw.Call("addEventListener", "message", w.onMsg)
	sw.Call("startMessages")
	return w
}

func serviceWorkers() js.Value { return js.Global().Get("navigator").Get("serviceWorker") }

// Close stops listening.
func (w *CustodyWorker) Close() {
	if sw := serviceWorkers(); sw.Truthy() && w.onMsg.Truthy() {
		sw.Call("removeEventListener", "message", w.onMsg)
		w.onMsg.Release()
	}
}

// Controlled reports whether a service worker controls the page.
func (w *CustodyWorker) Controlled() bool {
	sw := serviceWorkers()
	return sw.Truthy() && sw.Get("controller").Truthy()
}

// workerError is a failure the worker answered: its message as it is, and
// the *spa.Error under it for spa.ErrorCode and errors.As.
type workerError struct {
	msg string
	err *spa.Error
}

func (e *workerError) Error() string { return e.msg }
func (e *workerError) Unwrap() error { return e.err }

func errorOf(o js.Value) error {
	e := &spa.Error{Code: stringProp(o, "code"), ConfigID: stringProp(o, "configId"), Field: stringProp(o, "field"),
		Description: stringProp(o, "description")}
	return &workerError{msg: stringProp(o, "message"), err: e}
}

// call asks the worker for name(args...) about configID.
func (w *CustodyWorker) call(ctx context.Context, configID, name string, args ...any) (js.Value, error) {
	if !w.Controlled() {
		return js.Undefined(), spa.WorkerUnavailable(configID)
	}
	ch := js.Global().Get("MessageChannel").New()
	port := ch.Get("port1")
	answer := make(chan js.Value, 1)
	onAnswer := js.FuncOf(func(this js.Value, a []js.Value) any {
		answer <- arg0(a).Get("data")
		return nil
	})
	defer func() {
		port.Call("close")
		onAnswer.Release()
	}()
	port.Set("onmessage", onAnswer)
	w.mu.Lock()
	configs := w.configs
	w.mu.Unlock()
	msg := js.Global().Get("Object").New()
	msg.Set("oidcwasm", "call")
	msg.Set("name", name)
	msg.Set("args", js.ValueOf(args))
	msg.Set("configs", configs)
	serviceWorkers().Get("controller").Call("postMessage", msg, []any{ch.Get("port2")})
	select {
	case d := <-answer:
		if d.Type() != js.TypeObject {
			return js.Undefined(), nil
		}
		if e := d.Get("error"); e.Type() == js.TypeObject {
			return js.Undefined(), errorOf(e)
		}
		return d.Get("value"), nil
	case <-ctx.Done():
		return js.Undefined(), ctx.Err()
	}
}

// goForm is v's Go form, as a call's argument.
func goForm(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// Configure hands the worker the whole set (so that its route table is
// the page's), and keeps it for the calls after.
func (w *CustodyWorker) Configure(ctx context.Context, configs []spa.Config) error {
	form, err := goForm(configs)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.configs = js.ValueOf(form)
	w.mu.Unlock()
	_, err = w.call(ctx, "", "configure", form)
	return err
}

// CheckAuth is the worker's checkAuth of the page's URL: it completes an
// authorization response whose transaction is the worker's and restores
// the worker's sessions. It returns the worker-custody configs' results,
// and the address that replaces url ("" when url was not the worker's to
// clean; set whatever the outcome). A rejected response is the error.
func (w *CustodyWorker) CheckAuth(ctx context.Context, url string) ([]spa.AuthResult, string, error) {
	v, err := w.call(ctx, "", "checkAuth", url)
	if err != nil {
		return nil, "", err
	}
	clean := stringProp(v, "clean")
	if e := v.Get("error"); e.Type() == js.TypeObject {
		return nil, clean, errorOf(e)
	}
	var out []spa.AuthResult
	for rs, i := v.Get("results"), 0; i < rs.Length(); i++ {
		r := rs.Index(i)
		out = append(out, spa.AuthResult{ConfigID: stringProp(r, "configId"), IsAuthenticated: r.Get("isAuthenticated").Truthy(),
			ErrorMessage: stringProp(r, "errorMessage"), ReturnURL: stringProp(r, "returnUrl")})
	}
	return out, clean, nil
}

// Session is the config's session as the worker holds it, without its
// tokens; nil when signed out.
func (w *CustodyWorker) Session(ctx context.Context, configID string) (*spa.SessionInfo, error) {
	v, err := w.call(ctx, configID, "sessionInfo", configID)
	if err != nil || v.Type() != js.TypeString {
		return nil, err
	}
	var info spa.SessionInfo
	if err := json.Unmarshal([]byte(v.String()), &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// assign is the navigation an answer {assign: url} asks for, "" for none.
func assign(v js.Value) string {
	if v.Type() != js.TypeObject {
		return ""
	}
	return stringProp(v, "assign")
}

// Authorize makes the authorization request in the worker (its state,
// nonce and PKCE verifier stay there) and returns the URL to go to.
func (w *CustodyWorker) Authorize(ctx context.Context, configID string, o spa.AuthorizeOptions) (string, error) {
	form, err := goForm(o)
	if err != nil {
		return "", err
	}
	v, err := w.call(ctx, configID, "authorize", configID, form)
	return assign(v), err
}

// Logoff ends the worker's session of the config (revoking its tokens
// first when revoke, RFC 7009) and returns the end-session URL, "" when
// the provider has none.
func (w *CustodyWorker) Logoff(ctx context.Context, configID string, o spa.EndSessionOptions, revoke bool) (string, error) {
	form, err := goForm(o)
	if err != nil {
		return "", err
	}
	name := "logoff"
	if revoke {
		name = "logoffAndRevokeTokens"
	}
	v, err := w.call(ctx, configID, name, configID, form)
	return assign(v), err
}

// LogoffLocal ends the worker's session without telling the provider.
func (w *CustodyWorker) LogoffLocal(ctx context.Context, configID string) error {
	_, err := w.call(ctx, configID, "logoffLocal", configID)
	return err
}

// Revoke revokes the session's access or refresh token (hint
// spa.HintAccessToken or spa.HintRefreshToken) in the worker.
func (w *CustodyWorker) Revoke(ctx context.Context, configID, hint string) error {
	name := "revokeAccessToken"
	if hint == spa.HintRefreshToken {
		name = "revokeRefreshToken"
	}
	_, err := w.call(ctx, configID, name, configID)
	return err
}

// Renew renews the worker's session now (an iframe renewal runs in a page
// it controls).
func (w *CustodyWorker) Renew(ctx context.Context, configID string) error {
	_, err := w.call(ctx, configID, "forceRefreshSession", configID)
	return err
}

// AuthorizePopup, Complete and Discard are a popup sign-in's steps in the
// worker (SignInWithPopup runs the popup here): the worker makes the
// request and keeps its transaction, and validates and exchanges the
// answer. Complete's session is nil: it stays in the worker.
func (w *CustodyWorker) AuthorizePopup(ctx context.Context, configID string, o spa.AuthorizeOptions) (spa.AuthRequest, error) {
	form, err := goForm(o)
	if err != nil {
		return spa.AuthRequest{}, err
	}
	v, err := w.call(ctx, configID, "authorizePopup", configID, form)
	if err != nil {
		return spa.AuthRequest{}, err
	}
	return spa.AuthRequest{ConfigID: configID, URL: stringProp(v, "url"), State: stringProp(v, "state")}, nil
}

func (w *CustodyWorker) Complete(ctx context.Context, req spa.AuthRequest, answer string) (*spa.Session, error) {
	_, err := w.call(ctx, req.ConfigID, "completePopup", req.ConfigID, req.State, answer)
	return nil, err
}

func (w *CustodyWorker) Discard(req spa.AuthRequest) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	w.call(ctx, req.ConfigID, "discardPopup", req.ConfigID, req.State)
}

// Subscribe calls fn with each of the worker's events and the session
// after it (nil when signed out), until the returned function is called.
// fn runs on the page's event loop and must not block.
func (w *CustodyWorker) Subscribe(fn func(spa.Event, *spa.SessionInfo)) func() {
	w.mu.Lock()
	defer w.mu.Unlock()
	id := w.next
	w.next++
	w.subs[id] = fn
	return func() {
		w.mu.Lock()
		delete(w.subs, id)
		w.mu.Unlock()
	}
}

// workerEvent is the Go form of an event message.
type workerEvent struct {
	Event   spa.Event        `json:"event"`
	Session *spa.SessionInfo `json:"session"`
}

func (w *CustodyWorker) message(e js.Value) {
	d := e.Get("data")
	if d.Type() != js.TypeObject {
		return
	}
	switch d.Get("oidcwasm").String() {
	case "event":
		if g := d.Get("go"); g.Type() == js.TypeString {
			var ev workerEvent
			if json.Unmarshal([]byte(g.String()), &ev) != nil {
				return
			}
			w.mu.Lock()
			subs := make([]func(spa.Event, *spa.SessionInfo), 0, len(w.subs))
			for _, fn := range w.subs {
				subs = append(subs, fn)
			}
			w.mu.Unlock()
			for _, fn := range subs {
				fn(ev.Event, ev.Session)
			}
		}
	case "frame":
		// The worker's prompt=none request, which needs a document:
		// IframeFrame runs it with its checks of the answer's origin,
		// source and state, and the worker validates and exchanges it.
		ports := e.Get("ports")
		if ports.Length() == 0 {
			return
		}
		port := ports.Index(0)
		req := spa.AuthRequest{URL: stringProp(d, "url"), State: stringProp(d, "state")}
		timeout := spa.DefaultSilentRenewTimeout
		if t := d.Get("timeoutMs"); t.Type() == js.TypeNumber {
			timeout = time.Duration(t.Int()) * time.Millisecond
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			reply := js.Global().Get("Object").New()
			if u, err := (IframeFrame{}).Navigate(ctx, req); err != nil {
				reply.Set("error", err.Error())
			} else {
				reply.Set("url", u)
			}
			port.Call("postMessage", reply)
		}()
	}
}
