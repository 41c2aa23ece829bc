package main

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall/js"

	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web"
)

// run registers the implementation with oidc.js and keeps the program alive.
func run() {
	if w := workerBoot(); w.Type() == js.TypeObject {
		runWorker(w) // in oidc-sw.js: worker custody
		return
	}
	boot := js.Global().Get("__oidcwasm_boot")
	if boot.Type() != js.TypeObject {
		js.Global().Get("console").Call("error", "oidcwasm: load oidc.wasm through oidc.js")
		return
	}
	boot.Call("mark", "main")
	b := &bridge{client: web.NewClient(spa.NewDPoP(web.NewDPoPKeys())), boot: boot, early: newEarly()}
	boot.Call("mark", "client")
	b.client.Subscribe(func(ev spa.Event) {
		// The page's token cache first, so that a listener calling
		// getAccessToken already sees the new session.
		b.push(ev.ConfigID)
		emit(boot, ev)
	})
	boot.Call("register", b.object())
	select {}
}

type bridge struct {
	client *web.Client
	boot   js.Value // oidc.js's side: emit, session, configured, register
	early  *early   // the records oidc.js answers from before the module runs

	confMu sync.Mutex // serialises configure
}

// push tells oidc.js the config's current access tokens (the login's and the
// per-API ones, by their key) and when each must be renewed, so
// getAccessToken and oidc.fetch answer without entering Go until then. A
// token without a known lifetime is not cached: every call asks Go.
// It also rewrites the config's early record for the next page load.
// "" means the default config, as everywhere in the API.
func (b *bridge) push(configID string) {
	c, err := b.client.Config(configID)
	if err != nil {
		return // not configured (yet): the cache was cleared by configure
	}
	s, err := b.client.Session(c.ConfigID)
	if err != nil {
		return
	}
	b.pushTokens(c, s)
	b.early.write(c, s, b.client.ConfigIDs(), b.client.ResolveConfigID(""))
}

// pushTokens is push's part for the page's token cache.
func (b *bridge) pushTokens(c spa.Config, s *spa.Session) {
	if s == nil {
		b.boot.Call("session", c.ConfigID, js.Null(), 0, js.Null())
		return
	}
	var apis []any
	for key, t := range s.APITokens {
		if t.AccessToken != "" && !t.ExpiresAt.IsZero() {
			apis = append(apis, []any{key, t.AccessToken, t.RenewAt(c.TimeoutFactor).UnixMilli()})
		}
	}
	if s.AccessToken == "" || s.ExpiresAt.IsZero() {
		b.boot.Call("session", c.ConfigID, js.Null(), 0, apis)
		return
	}
	b.boot.Call("session", c.ConfigID, s.AccessToken, s.RenewAt(c.TimeoutFactor).UnixMilli(), apis)
}

// object builds the implementation object oidc.js forwards to. Its functions
// live as long as the page, so they are never released.
func (b *bridge) object() js.Value {
	o := js.Global().Get("Object").New()
	async := map[string]func(ctx context.Context, args []js.Value) (any, error){
		"configure":             b.configure,
		"checkAuth":             b.checkAuth,
		"authorize":             b.authorize,
		"getAccessToken":        b.getAccessToken,
		"getIdToken":            b.getIDToken,
		"getUserData":           b.getUserData,
		"isAuthenticated":       b.isAuthenticated,
		"forceRefreshSession":   b.forceRefreshSession,
		"revokeAccessToken":     b.revoke(spa.HintAccessToken),
		"revokeRefreshToken":    b.revoke(spa.HintRefreshToken),
		"logoff":                b.logoff,
		"logoffLocal":           b.logoffLocal,
		"logoffAndRevokeTokens": b.logoffAndRevokeTokens,
		"routeHeaders":          b.routeHeaders,
		"checkAuthAfterEarly":   b.checkAuthAfterEarly,
		"checkAuthWith":         b.checkAuthWith,
		"frame":                 b.frame,
	}
	for name, fn := range async {
		o.Set(name, js.FuncOf(func(this js.Value, args []js.Value) any {
			args = append([]js.Value(nil), args...)
			return web.Promise(func(ctx context.Context) (any, error) { return fn(ctx, args) })
		}))
	}
	// Synchronous up to window.open, so the popup opens inside the caller's
	// click (browsers block popups opened later).
	o.Set("authorizeWithPopUp", js.FuncOf(func(this js.Value, args []js.Value) any {
		args = append([]js.Value(nil), args...)
		id, ao, po, err := popupArgs(args)
		// A worker-custody config signs in through the worker that controls
		// this page: the page runs the popup, the worker the rest.
		inWorker := false
		if err == nil {
			c, cerr := b.client.Config(id)
			inWorker = cerr == nil && c.WorkerCustody() && controlled()
			if !inWorker {
				err = b.pageCustody(id)
			}
		}
		var popup js.Value
		if err == nil {
			popup, err = web.OpenPopup(id, po)
		}
		return web.Promise(func(ctx context.Context) (any, error) {
			if err != nil {
				return nil, err
			}
			if inWorker {
				return b.popupInWorker(ctx, popup, id, arg(args, 0))
			}
			defer b.loginPending(id)()
			s, err := web.SignInWithPopup(ctx, b.client.Manager, popup, id, ao)
			if err != nil {
				return nil, err
			}
			return sessionResponse(s), nil
		})
	}))
	o.Set("matchRoute", js.FuncOf(b.matchRoute))
	o.Set("routeOf", js.FuncOf(b.routeOf))
	o.Set("routeAnswer", js.FuncOf(b.routeAnswer))
	o.Set("routeProof", js.FuncOf(b.routeProof))
	return o
}

// arg is args[i], or undefined.
func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

// configIDArg reads an optional configId argument.
func configIDArg(args []js.Value, i int) (string, error) { return stringArg(args, i, "configId") }

// stringArg reads an optional string argument.
func stringArg(args []js.Value, i int, name string) (string, error) {
	v := arg(args, i)
	switch v.Type() {
	case js.TypeUndefined, js.TypeNull:
		return "", nil
	case js.TypeString:
		return v.String(), nil
	}
	return "", &spa.Error{Code: spa.CodeInvalidConfig, Field: name, Message: "must be a string, not " + jsType(fromJS(v))}
}

// optionsArg reads an optional options object with the given fields.
func optionsArg(args []js.Value, i int, configID string, fields ...string) (map[string]any, error) {
	v := fromJS(arg(args, i))
	if v == nil {
		return map[string]any{}, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &spa.Error{Code: spa.CodeInvalidConfig, ConfigID: configID, Field: "options", Message: "must be an object, not " + jsType(v)}
	}
	allowed := map[string]bool{}
	for _, f := range fields {
		allowed[f] = true
	}
	for k := range obj {
		if !allowed[k] {
			return nil, &spa.Error{Code: spa.CodeInvalidConfig, ConfigID: configID, Field: "options." + k, Message: "is not an option here"}
		}
	}
	return obj, nil
}

// customParams reads options.customParams.
func customParams(opts map[string]any, configID string) (map[string]string, error) {
	v, ok := opts["customParams"]
	if !ok || v == nil {
		return nil, nil
	}
	obj, ok := v.(map[string]any)
	var err error
	bad := func(k string, x any) {
		err = &spa.Error{Code: spa.CodeInvalidConfig, ConfigID: configID, Field: "customParams." + k, Message: "must be a string, number or boolean, not " + jsType(x)}
	}
	if !ok {
		return nil, &spa.Error{Code: spa.CodeInvalidConfig, ConfigID: configID, Field: "customParams", Message: "must be an object, not " + jsType(v)}
	}
	p := paramsOf(obj, bad)
	return p, err
}

func (b *bridge) configure(ctx context.Context, args []js.Value) (any, error) {
	read := fromJS(arg(args, 0))
	configs, err := parseConfigs(read)
	if err != nil {
		return nil, err
	}
	// No early record is written while the set changes: the events of
	// Configure would write the new set's with the old input. One configure
	// at a time, so that the input recorded is the set's in force.
	b.confMu.Lock()
	defer b.confMu.Unlock()
	old := b.early.suspend()
	if err := b.client.Configure(ctx, configs); err != nil {
		b.early.resume(old)
		for _, id := range b.client.ConfigIDs() {
			b.push(id)
		}
		return nil, err
	}
	ids := b.client.ConfigIDs()
	b.early.configured(arg(args, 0), read)
	b.boot.Call("configured", b.client.ResolveConfigID(""), b.workerConfigIDs()) // the default config, by spa's rule
	for _, id := range ids {
		b.push(id)
	}
	return nil, nil
}

func (b *bridge) checkAuth(ctx context.Context, args []js.Value) (any, error) {
	res, err := b.checkAuthResults(ctx, args)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(res))
	for i, r := range res {
		out[i] = loginResponse(r)
	}
	return out, nil
}

// checkAuthAfterEarly(url, signedIn) is checkAuth for a call oidc.js
// answered before the module ran, from the early records; signedIn are the
// configs that answer reported signed in. Go's own answer goes out as
// events, as for any checkAuth (authenticated with restored: true), and a
// config that the early answer reported signed in and that Go finds signed
// out gets loggedOut. (Go's restore itself ends no session here: an early
// answer is only given before the token's renewal point, so the restore
// renews nothing.)
func (b *bridge) checkAuthAfterEarly(ctx context.Context, args []js.Value) (any, error) {
	said := map[string]bool{}
	if list, ok := fromJS(arg(args, 1)).([]any); ok {
		for _, v := range list {
			if id, ok := v.(string); ok {
				said[id] = true
			}
		}
	}
	res, err := b.checkAuthResults(ctx, args[:min(1, len(args))])
	if err != nil {
		return nil, err
	}
	for _, r := range res {
		if said[r.ConfigID] && !r.IsAuthenticated {
			b.boot.Call("emit", string(spa.EventLoggedOut), eventDetail(spa.Event{Type: spa.EventLoggedOut, ConfigID: r.ConfigID, Code: spa.ErrorCode(r.Err)}))
		}
	}
	return nil, nil
}

// checkAuthResults is checkAuth's work: the results by config.
func (b *bridge) checkAuthResults(ctx context.Context, args []js.Value) ([]spa.AuthResult, error) {
	raw, err := stringArg(args, 0, "url")
	if err != nil {
		return nil, err
	}
	here := b.client.Navigator.Location()
	if raw == "" {
		raw = here
	}
	res, err := b.client.CheckAuth(ctx, raw)
	// Whatever the outcome, code and state (also the state a logoff brought
	// back) leave the address bar and history.
	if raw == here {
		if clean, ok := b.client.CleanAddress(raw); ok {
			b.client.Navigator.ReplaceURL(clean)
		}
	}
	return res, err
}

// loginPending stops the config's early record while a sign-in runs (see
// early.loginPending); the returned function ends that and rewrites it.
func (b *bridge) loginPending(configID string) (done func()) {
	c, err := b.client.Config(configID)
	if err != nil {
		return func() {}
	}
	end := b.early.loginPending(c)
	return func() {
		end()
		b.push(c.ConfigID)
	}
}

// sessionResponse is the login response of a config that just got session s
// (a renewal, a popup sign-in).
func sessionResponse(s *spa.Session) map[string]any {
	return loginResponse(spa.AuthResult{ConfigID: s.ConfigID, IsAuthenticated: true, UserData: s.UserData})
}

func loginResponse(r spa.AuthResult) map[string]any {
	o := map[string]any{"configId": r.ConfigID, "isAuthenticated": r.IsAuthenticated, "userData": nil, "errorMessage": nil}
	if r.UserData != nil {
		o["userData"] = r.UserData
	}
	if r.ErrorMessage != "" {
		o["errorMessage"] = r.ErrorMessage
	}
	if r.ReturnURL != "" {
		o["returnUrl"] = r.ReturnURL
	}
	return o
}

func (b *bridge) authorize(ctx context.Context, args []js.Value) (any, error) {
	id, err := configIDArg(args, 0)
	if err != nil {
		return nil, err
	}
	if err := b.pageCustody(id); err != nil {
		return nil, err
	}
	o, err := authorizeOptions(args, 1, id)
	if err != nil {
		return nil, err
	}
	// The page the provider sends back to is Go's to answer: no early
	// record until this page has gone (or the request failed).
	done := b.loginPending(id)
	u, err := b.client.Authorize(ctx, id, o)
	if err != nil {
		done()
		return nil, err
	}
	b.client.Navigator.Assign(u)
	return nil, nil
}

// authorizeOptions reads authorize's {customParams, returnUrl} at args[i].
func authorizeOptions(args []js.Value, i int, id string) (spa.AuthorizeOptions, error) {
	var o spa.AuthorizeOptions
	opts, err := optionsArg(args, i, id, "customParams", "returnUrl")
	if err != nil {
		return o, err
	}
	if o.CustomParams, err = customParams(opts, id); err != nil {
		return o, err
	}
	if v, ok := opts["returnUrl"]; ok && v != nil {
		s, isStr := v.(string)
		if !isStr {
			return o, &spa.Error{Code: spa.CodeInvalidConfig, ConfigID: id, Field: "returnUrl", Message: "must be a string, not " + jsType(v)}
		}
		o.ReturnURL = s
	}
	return o, nil
}

// popupArgs reads authorizeWithPopUp's (authOptions?, popupOptions?,
// configId?): angular-auth-oidc-client's order.
func popupArgs(args []js.Value) (string, spa.AuthorizeOptions, web.PopupOptions, error) {
	var ao spa.AuthorizeOptions
	var po web.PopupOptions
	id, err := configIDArg(args, 2)
	if err != nil {
		return "", ao, po, err
	}
	opts, err := optionsArg(args, 0, id, "customParams")
	if err != nil {
		return "", ao, po, err
	}
	if ao.CustomParams, err = customParams(opts, id); err != nil {
		return "", ao, po, err
	}
	popts, err := optionsArg(args, 1, id, "width", "height", "left", "top")
	if err != nil {
		return "", ao, po, err
	}
	for k, v := range popts {
		f, ok := v.(float64)
		if !ok || f < 0 {
			return "", ao, po, &spa.Error{Code: spa.CodeInvalidConfig, ConfigID: id, Field: "popupOptions." + k, Message: "must be a non-negative number of CSS pixels, not " + jsType(v)}
		}
		switch k {
		case "width":
			po.Width = f
		case "height":
			po.Height = f
		case "left":
			po.Left = &f
		case "top":
			po.Top = &f
		}
	}
	return id, ao, po, nil
}

// getAccessToken(configId, {resource, scope, tokenParams}): the login's
// token without options, else the per-API token a route with those options
// gets (the same cached token).
func (b *bridge) getAccessToken(ctx context.Context, args []js.Value) (any, error) {
	id, err := configIDArg(args, 0)
	if err != nil {
		return nil, err
	}
	if err := b.pageCustody(id); err != nil {
		return nil, err
	}
	opts, err := optionsArg(args, 1, id, "resource", "scope", "tokenParams")
	if err != nil {
		return nil, err
	}
	var o spa.TokenOptions
	for name, dst := range map[string]*string{"resource": &o.Resource, "scope": &o.Scope} {
		switch v := opts[name].(type) {
		case nil:
		case string:
			*dst = v
		default:
			return nil, &spa.Error{Code: spa.CodeInvalidConfig, ConfigID: id, Field: "options." + name, Message: "must be a string, not " + jsType(v)}
		}
	}
	if v := opts["tokenParams"]; v != nil {
		p := &fieldReader{configID: id, field: "options.tokenParams", v: v}
		o.TokenParams = p.params()
		if p.err != nil {
			return nil, p.err
		}
	}
	return b.client.AccessTokenFor(ctx, id, o)
}

// routeHeaders(url, method, force) is oidc.fetch's [Authorization, DPoP]
// for a request whose route entry oidc.js found: the entry's token
// (per-API or the login's) as "Bearer <token>", or for a DPoP config as
// "DPoP <token>" with a proof for this method and URL (DPoP "" otherwise);
// or null when the request goes without one (an anonymous entry while
// signed out, or no entry any more after a configure). force renews first:
// the 401 retry.
func (b *bridge) routeHeaders(ctx context.Context, args []js.Value) (any, error) {
	m, method, ok := b.routeEntry(args)
	if !ok {
		return nil, nil
	}
	if err := b.pageCustody(m.ConfigID); err != nil {
		return nil, err // oidc.fetch on a page the worker does not control
	}
	h, ok, err := b.client.RouteHeaders(ctx, m, method, args[0].String(), arg(args, 2).Truthy())
	if err != nil || !ok {
		return nil, err
	}
	return []any{h.Authorization, h.DPoP}, nil
}

// routeProof(url, method) is spa.Manager.RouteProof for oidc.fetch, at once:
// [Authorization, the proof's signing input, the CryptoKey to sign it
// with] when the entry's token is fresh and its config's DPoP key loaded,
// else null (then routeHeaders). oidc.js signs with WebCrypto and appends
// the signature: no Promise into Go and back, the slow part of a proof.
// The key stays non-extractable; any script of the origin can reach the
// same CryptoKey in IndexedDB anyway.
func (b *bridge) routeProof(this js.Value, args []js.Value) any {
	m, method, ok := b.routeEntry(args)
	if !ok {
		return js.Null()
	}
	if b.pageCustody(m.ConfigID) != nil {
		return js.Null() // routeHeaders says why
	}
	auth, input, key, ok := b.client.RouteProof(m, method, args[0].String())
	ck, isWeb := key.(interface{ CryptoKey() js.Value })
	if !ok || !isWeb {
		return js.Null()
	}
	return []any{auth, input, ck.CryptoKey()}
}

// routeAnswer(configId, url, status, wwwAuthenticate, dpopNonce) is
// spa.Manager.RouteAnswer for oidc.fetch: "nonce", "renew" or "" (see
// spa.AnswerNonce, spa.AnswerRenew). oidc.js asks it about every 401 and,
// for a DPoP config, every answer with a DPoP-Nonce.
func (b *bridge) routeAnswer(this js.Value, args []js.Value) any {
	id, target, resp := routeAnswerArgs(args)
	return b.client.RouteAnswer(id, target, resp)
}

// routeAnswerArgs reads (configId, url, status, wwwAuthenticate,
// dpopNonce?), the answer a secure route gave: the page bridge's and the
// worker's one reading.
func routeAnswerArgs(args []js.Value) (configID, target string, resp *spa.Response) {
	configID, _ = stringArg(args, 0, "configId")
	target, _ = stringArg(args, 1, "url")
	h := http.Header{}
	if v, _ := stringArg(args, 3, "wwwAuthenticate"); v != "" {
		h.Set("WWW-Authenticate", v)
	}
	if v, _ := stringArg(args, 4, "dpopNonce"); v != "" {
		h.Set("DPoP-Nonce", v)
	}
	return configID, target, &spa.Response{Status: arg(args, 2).Int(), Header: h}
}

func (b *bridge) session(args []js.Value) (*spa.Session, error) {
	id, err := configIDArg(args, 0)
	if err != nil {
		return nil, err
	}
	if err := b.pageCustody(id); err != nil {
		return nil, err
	}
	return b.client.Session(id)
}

func (b *bridge) getIDToken(ctx context.Context, args []js.Value) (any, error) {
	s, err := b.session(args)
	if err != nil {
		return nil, err
	}
	if s == nil || s.IDToken == "" {
		id, _ := configIDArg(args, 0)
		return nil, &spa.Error{Code: spa.CodeLoginRequired, ConfigID: id, Message: "not signed in"}
	}
	return s.IDToken, nil
}

func (b *bridge) getUserData(ctx context.Context, args []js.Value) (any, error) {
	s, err := b.session(args)
	if err != nil || s == nil {
		return nil, err
	}
	return s.UserData, nil
}

func (b *bridge) isAuthenticated(ctx context.Context, args []js.Value) (any, error) {
	id, err := configIDArg(args, 0)
	if err != nil {
		return nil, err
	}
	if _, err := b.client.Config(id); err != nil {
		return nil, err
	}
	if err := b.pageCustody(id); err != nil {
		return nil, err
	}
	return b.client.IsAuthenticated(id), nil
}

func (b *bridge) forceRefreshSession(ctx context.Context, args []js.Value) (any, error) {
	id, err := configIDArg(args, 0)
	if err != nil {
		return nil, err
	}
	if err := b.pageCustody(id); err != nil {
		return nil, err
	}
	s, err := b.client.Renew(ctx, id)
	if err != nil {
		return nil, err
	}
	return sessionResponse(s), nil
}

func (b *bridge) revoke(hint string) func(ctx context.Context, args []js.Value) (any, error) {
	return func(ctx context.Context, args []js.Value) (any, error) {
		id, err := configIDArg(args, 0)
		if err != nil {
			return nil, err
		}
		if err := b.pageCustody(id); err != nil {
			return nil, err
		}
		tok, err := stringArg(args, 1, "token")
		if err != nil {
			return nil, err
		}
		if err := b.client.Revoke(ctx, id, hint, tok); err != nil {
			return nil, err
		}
		b.push(id) // a revoked access token leaves the page's cache at once
		return nil, nil
	}
}

// logoff ends the local session and navigates to the end-session endpoint;
// a provider without one leaves the page where it is, signed out.
func (b *bridge) logoff(ctx context.Context, args []js.Value) (any, error) {
	id, o, err := b.endSessionArgs(args)
	if err != nil {
		return nil, err
	}
	u, err := b.client.Logoff(ctx, id, o)
	if err != nil {
		return nil, err
	}
	if u != "" {
		b.client.Navigator.Assign(u)
	}
	return nil, nil
}

func (b *bridge) logoffLocal(ctx context.Context, args []js.Value) (any, error) {
	id, err := configIDArg(args, 0)
	if err != nil {
		return nil, err
	}
	if err := b.pageCustody(id); err != nil {
		return nil, err
	}
	return nil, b.client.LogoffLocal(id)
}

// logoffAndRevokeTokens revokes, ends the local session and navigates to the
// end-session endpoint; a failed revocation went out as an error event, and
// rejects the call only when there is no navigation to make.
func (b *bridge) logoffAndRevokeTokens(ctx context.Context, args []js.Value) (any, error) {
	id, o, err := b.endSessionArgs(args)
	if err != nil {
		return nil, err
	}
	u, err := b.client.LogoffAndRevokeTokens(ctx, id, o)
	if u != "" {
		b.client.Navigator.Assign(u)
		return nil, nil
	}
	return nil, err
}

// endSessionArgs reads (configId?, {customParams}?) of a page-custody config.
func (b *bridge) endSessionArgs(args []js.Value) (string, spa.EndSessionOptions, error) {
	id, o, err := endSessionOptions(args)
	if err == nil {
		err = b.pageCustody(id)
	}
	return id, o, err
}

// endSessionOptions reads (configId?, {customParams}?): the page bridge's
// and the worker's one reading.
func endSessionOptions(args []js.Value) (string, spa.EndSessionOptions, error) {
	var o spa.EndSessionOptions
	id, err := configIDArg(args, 0)
	if err != nil {
		return "", o, err
	}
	opts, err := optionsArg(args, 1, id, "customParams")
	if err != nil {
		return "", o, err
	}
	o.CustomParams, err = customParams(opts, id)
	return id, o, err
}

// matchRoute is synchronous: the configId whose token a request to a URL
// (with the method given second, GET by default) would get, or null.
func (b *bridge) matchRoute(this js.Value, args []js.Value) any {
	m, _, ok := b.routeEntry(args)
	if !ok {
		return js.Null()
	}
	return m.ConfigID
}

// routeOf is oidc.fetch's lookup: [configId, followRedirects, the entry's
// URL as configured, the key of the token it gets ("" for the login's),
// whether the config uses DPoP, whether its tokens are in the service
// worker] for a request (url, method), or null. The
// key is opaque to oidc.js: it only looks the token up in the cache push
// fills. A DPoP request needs a proof from Go each time, so no cache.
func (b *bridge) routeOf(this js.Value, args []js.Value) any {
	m, _, ok := b.routeEntry(args)
	if !ok {
		return js.Null()
	}
	c, _ := b.client.Config(m.ConfigID)
	return []any{m.ConfigID, m.Route.FollowRedirects, m.Route.URL, m.Route.TokenOptions().Key(), b.client.DPoP(m.ConfigID), c.WorkerCustody()}
}

// routeEntry reads the (url, method) every route call of oidc.js starts
// with (method GET when not a string) and returns the route entry the
// request matches, with the method.
func (b *bridge) routeEntry(args []js.Value) (m spa.RouteMatch, method string, ok bool) {
	return matchRequestArgs(b.client.Manager, args, js.Global().Get("document").Get("baseURI"))
}

// matchRequestArgs is the entry of m's route table that the request
// (args[0] url, args[1] method, GET when not a string) matches, a relative
// URL resolved against base; the page's and the worker's one reading.
func matchRequestArgs(m *spa.Manager, args []js.Value, base js.Value) (spa.RouteMatch, string, bool) {
	v := arg(args, 0)
	if v.Type() != js.TypeString {
		return spa.RouteMatch{}, "", false
	}
	method := "GET"
	if a := arg(args, 1); a.Type() == js.TypeString {
		method = a.String()
	}
	u, err := url.Parse(base.String())
	if err != nil {
		return spa.RouteMatch{}, "", false
	}
	r, ok := m.MatchRequest(v.String(), method, u)
	return r, method, ok
}

// emit hands ev to the JS side (oidc.js, or oidc-sw.js, which passes it
// to its pages) and puts a warning in the console.
// goForm, when given, is the event's Go form (the worker's: emitWithSession).
func emit(boot js.Value, ev spa.Event, goForm ...any) {
	if ev.Warning != "" {
		js.Global().Get("console").Call("warn", "oidcwasm: config "+strconv.Quote(ev.ConfigID)+": "+ev.Warning)
	}
	boot.Call("emit", append([]any{string(ev.Type), eventDetail(ev)}, goForm...)...)
}

// eventDetail is an event's detail object: configId and the facts, never a token.
func eventDetail(ev spa.Event) js.Value {
	d := js.Global().Get("Object").New()
	d.Set("configId", ev.ConfigID)
	if ev.Type == spa.EventAuthenticated {
		d.Set("restored", ev.Restored)
	}
	if ev.Method != "" {
		d.Set("method", ev.Method)
	}
	if ev.Code != "" {
		d.Set("code", ev.Code)
	}
	if ev.Message != "" {
		d.Set("message", ev.Message)
	}
	if !ev.ExpiresAt.IsZero() {
		d.Set("expiresAt", ev.ExpiresAt.UnixMilli())
	}
	if ev.Warning != "" {
		d.Set("warning", ev.Warning)
	}
	if ev.Resource != "" {
		d.Set("resource", ev.Resource)
	}
	if ev.Reason != "" {
		d.Set("reason", ev.Reason)
	}
	return d
}
