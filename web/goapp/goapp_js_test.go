package goapp

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"syscall/js"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/internal/fakeop"
	"github.com/oidcwasm/oidcwasm/spa"
)

// These tests run a go-app engine (app.NewTestEngine, go-app's own harness)
// in the page, with a Manager on the in-memory provider: they check that what
// happens to sessions reaches components through go-app states, and that
// components re-render with it.

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// nav is a Navigator that records instead of moving the page.
type nav struct {
	mu       sync.Mutex
	location string
	assigned []string
	replaced []string
}

func (n *nav) Assign(u string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.assigned = append(n.assigned, u)
}

func (n *nav) ReplaceURL(u string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.replaced = append(n.replaced, u)
}

func (n *nav) Location() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.location
}

// probe observes everything the Auth publishes and renders a line per config.
type probe struct {
	app.Compo
	auth   *Auth
	ctx    app.Context
	a, b   AuthState
	status Status
	events []LoggedEvent
}

func (p *probe) OnMount(ctx app.Context) {
	p.ctx = ctx
	p.auth.Observe(ctx, "a", &p.a)
	p.auth.Observe(ctx, "b", &p.b)
	p.auth.ObserveStatus(ctx, &p.status)
	p.auth.ObserveEvents(ctx, &p.events)
}

func (p *probe) Render() app.UI {
	line := func(s AuthState) app.UI {
		return app.P().ID("probe-" + s.ConfigID).Text(s.ConfigID + " ready=" + yes(s.Ready) +
			" signedIn=" + yes(s.SignedIn) + " name=" + claim(s, "name") + " error=" + s.ErrorCode)
	}
	return app.Div().Body(line(p.a), line(p.b))
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func claim(s AuthState, name string) string {
	v, _ := s.Claims[name].(string)
	return v
}

// rendered is the text the probe rendered for a config.
func rendered(t *testing.T, id string) string {
	t.Helper()
	el := js.Global().Get("document").Call("getElementById", "probe-"+id)
	if el.IsNull() {
		t.Fatalf("no element #probe-%s in the page", id)
	}
	return el.Get("textContent").String()
}

// mountRoot gives the engine the first element child of <body> it renders into.
func mountRoot(t *testing.T) {
	t.Helper()
	doc := js.Global().Get("document")
	if doc.IsUndefined() {
		t.Fatal("this test needs a browser page: run it with dev/scripts/test-browser.sh, not node")
	}
	body := doc.Get("body")
	body.Set("innerHTML", "")
	body.Call("appendChild", doc.Call("createElement", "div"))
}

type world struct {
	clock *clock
	op    *fakeop.OP
	m     *spa.Manager
	nav   *nav
	api   *apiRecorder
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{clock: &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, nav: &nav{location: "https://app.example/account"}}
	w.op = fakeop.New(t, w.clock)
	w.m = spa.NewManager(spa.Options{Fetcher: w.op.Fetcher(), Clock: w.clock})
	w.api = &apiRecorder{}
	return w
}

func configs() []spa.Config {
	return []spa.Config{
		{ConfigID: "a", Authority: fakeop.Issuer, ClientID: "spa-a", RedirectURL: "https://app.example/callback",
			Scope: "openid profile offline_access", UseRefreshToken: true, SecureRoutes: spa.Routes("https://api-a.example/")},
		{ConfigID: "b", Authority: fakeop.Issuer, ClientID: "spa-b", RedirectURL: "https://app.example/callback",
			SecureRoutes: spa.Routes("https://api-b.example/v1")},
	}
}

// apiRecorder is the APIs' side of Auth.Fetch: it records each request's
// Authorization header and answers 401 with a Bearer challenge to the tokens
// in reject.
type apiRecorder struct {
	mu     sync.Mutex
	seen   []string
	reject map[string]bool
}

func (r *apiRecorder) Fetch(ctx context.Context, req *spa.Request) (*spa.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	auth := req.Header.Get("Authorization")
	r.seen = append(r.seen, req.URL+" "+auth)
	if strings.Contains(req.URL, "/redirect") { // a server that answers with a redirect
		if req.NoRedirects {
			return &spa.Response{Header: http.Header{}, Redirect: true}, nil
		}
		r.seen = append(r.seen, "https://api-a.example/target "+auth)
		return &spa.Response{Status: http.StatusOK, Header: http.Header{}, Body: []byte("{}"), Redirected: true}, nil
	}
	if r.reject[strings.TrimPrefix(auth, "Bearer ")] {
		return &spa.Response{Status: http.StatusUnauthorized, Header: http.Header{"Www-Authenticate": {`Bearer realm="api", error="invalid_token"`}}}, nil
	}
	return &spa.Response{Status: http.StatusOK, Header: http.Header{}, Body: []byte("{}")}, nil
}

func (r *apiRecorder) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[len(r.seen)-1]
}

func start(t *testing.T, w *world, o Options) (*Auth, *probe, app.TestEngine) {
	t.Helper()
	mountRoot(t)
	o.Manager, o.Navigator = w.m, w.nav
	if o.Fetcher == nil {
		o.Fetcher = w.api
	}
	a := New(o)
	t.Cleanup(a.Close)
	a.reroute = func() {}
	p := &probe{auth: a}
	eng := app.NewTestEngine()
	if err := eng.Load(p); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("start-up did not finish")
	}
	eng.ConsumeAll()
	return a, p, eng
}

func TestStatePublishing(t *testing.T) {
	w := newWorld(t)
	a, p, eng := start(t, w, Options{Configs: configs()})
	ctx := context.Background()

	if !p.status.Ready || strings.Join(p.status.ConfigIDs, ",") != "a,b" || p.status.Error != "" {
		t.Fatalf("status after start-up = %+v, want ready with configs a,b", p.status)
	}
	if !p.a.Ready || p.a.SignedIn || p.b.SignedIn {
		t.Fatalf("after start-up a=%+v b=%+v, want ready and signed out", p.a, p.b)
	}
	if got := rendered(t, "a"); got != "a ready=yes signedIn=no name= error=" {
		t.Errorf("rendered %q", got)
	}

	// Login: authenticated.
	t0 := w.clock.Now()
	if _, err := w.op.Login(ctx, w.m, "a"); err != nil {
		t.Fatal(err)
	}
	eng.ConsumeAll()
	if !p.a.SignedIn || p.a.Subject != "alice" || claim(p.a, "name") != "Alice Liddell" || !p.a.RefreshToken ||
		p.a.Event != spa.EventAuthenticated {
		t.Fatalf("after login a = %+v", p.a)
	}
	if !p.a.IssuedAt.Equal(t0) || !p.a.ExpiresAt.Equal(t0.Add(10*time.Minute)) || !p.a.RenewAt.Equal(t0.Add(450*time.Second)) {
		t.Errorf("after login issued %v renew %v expires %v, want %v +7m30s +10m", p.a.IssuedAt, p.a.RenewAt, p.a.ExpiresAt, t0)
	}
	if p.b.SignedIn {
		t.Error("logging in to a signed b in")
	}
	if got := rendered(t, "a"); got != "a ready=yes signedIn=yes name=Alice Liddell error=" {
		t.Errorf("after login rendered %q", got)
	}

	// The secure-route table decides which token a request carries.
	tokA, _ := w.m.AccessToken(ctx, "a")
	for _, c := range []struct{ url, config, header string }{
		{"https://api-a.example/items", "a", "Bearer " + tokA},
		{"https://api-a.example.evil.net/items", "", ""},
		{"https://elsewhere.example/", "", ""},
	} {
		resp, err := a.Fetch(ctx, &spa.Request{URL: c.url})
		if err != nil {
			t.Fatalf("Fetch %s: %v", c.url, err)
		}
		if resp.ConfigID != c.config || w.api.last() != c.url+" "+c.header {
			t.Errorf("Fetch %s: config %q, sent %q; want config %q with %q", c.url, resp.ConfigID, w.api.last(), c.config, c.header)
		}
	}

	// Renewal by refresh token: silentRenewStarted, then tokenRefreshed.
	w.clock.advance(8 * time.Minute)
	if _, err := w.m.AccessToken(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	eng.ConsumeAll()
	if p.a.Renewing || p.a.RenewMethod != spa.MethodRefreshToken || p.a.Event != spa.EventTokenRefreshed ||
		!p.a.IssuedAt.Equal(t0.Add(8*time.Minute)) || !p.a.SignedIn {
		t.Errorf("after renewal a = %+v", p.a)
	}
	if got := types(p.events, "a"); got != "authenticated silentRenewStarted tokenRefreshed" {
		t.Errorf("events of a = %s", got)
	}
	if last := p.events[len(p.events)-1]; !last.ExpiresAt.Equal(p.a.ExpiresAt) || !last.IssuedAt.Equal(p.a.IssuedAt) {
		t.Errorf("logged tokenRefreshed %+v does not carry the new token's lifetime", last)
	}

	// A 401 with a Bearer challenge renews once and retries with the new token.
	old, _ := w.m.AccessToken(ctx, "a")
	w.api.reject = map[string]bool{old: true}
	resp, err := a.Fetch(ctx, &spa.Request{URL: "https://api-a.example/items"})
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("Fetch after a rejected token: %v %v", resp, err)
	}
	if now, _ := w.m.AccessToken(ctx, "a"); now == old || w.api.last() != "https://api-a.example/items Bearer "+now {
		t.Errorf("retry sent %q, want the renewed token", w.api.last())
	}
	eng.ConsumeAll()

	// A failed renewal that ends the session: silentRenewFailed, loggedOut.
	w.op.RevokeRefreshTokens()
	if _, err := w.m.Renew(ctx, "a"); spa.ErrorCode(err) != "invalid_grant" {
		t.Fatalf("Renew with a revoked refresh token: %v", err)
	}
	eng.ConsumeAll()
	if p.a.SignedIn || p.a.ErrorCode != "invalid_grant" || p.a.Event != spa.EventLoggedOut || p.a.Claims != nil {
		t.Errorf("after a failed renewal a = %+v", p.a)
	}
	if got := rendered(t, "a"); got != "a ready=yes signedIn=no name= error=invalid_grant" {
		t.Errorf("after a failed renewal rendered %q", got)
	}

	// Logout of one config through the helper; the other stays signed in.
	if _, err := w.op.Login(ctx, w.m, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.op.Login(ctx, w.m, "b"); err != nil {
		t.Fatal(err)
	}
	eng.ConsumeAll()
	if !p.a.SignedIn || !p.b.SignedIn || p.a.ErrorCode != "" {
		t.Fatalf("after two logins a = %+v, b = %+v", p.a, p.b)
	}
	a.LogoutLocal(p.ctx, "b")
	eng.ConsumeAll()
	if p.b.SignedIn || p.b.Event != spa.EventLoggedOut || p.b.ErrorCode != "" || !p.a.SignedIn {
		t.Errorf("after logging out of b: a = %+v, b = %+v", p.a, p.b)
	}

	// Revoking the access token has no event of its own; the helper republishes.
	a.Revoke(p.ctx, "a", spa.HintAccessToken)
	eng.ConsumeAll()
	if p.a.SignedIn || !p.a.RefreshToken {
		t.Errorf("after revoking a's access token a = %+v, want signed out until renewed, refresh token kept", p.a)
	}
	a.Renew(p.ctx, "a")
	eng.ConsumeAll()
	if !p.a.SignedIn || p.a.Event != spa.EventTokenRefreshed {
		t.Errorf("after Renew a = %+v", p.a)
	}
}

// types lists the event types logged for a config ("" for all).
func types(events []LoggedEvent, id string) string {
	var out []string
	for _, e := range events {
		if (id == "" || e.ConfigID == id) && e.Type != spa.EventConfigLoaded {
			out = append(out, string(e.Type))
		}
	}
	return strings.Join(out, " ")
}

// TestFetchRedirectsAndFailedRenewals: Auth.Fetch follows oidc.fetch's rules
// for what the bridge and go-app share: methods on route entries, no
// redirect with a token unless the entry follows them, and the 401 handed
// back when its renewal fails.
func TestFetchRedirectsAndFailedRenewals(t *testing.T) {
	w := newWorld(t)
	cs := configs()
	cs[0].SecureRoutes = append(cs[0].SecureRoutes,
		spa.Route{URL: "https://api-a.example/follow", FollowRedirects: true},
		spa.Route{URL: "https://api-b.example/v1/admin", Methods: []string{"DELETE"}})
	cs = cs[:1]
	a, _, _ := start(t, w, Options{Configs: cs})
	ctx := context.Background()
	if _, err := w.op.Login(ctx, w.m, "a"); err != nil {
		t.Fatal(err)
	}
	tokA, _ := w.m.AccessToken(ctx, "a")

	_, err := a.Fetch(ctx, &spa.Request{URL: "https://api-a.example/items/redirect"})
	if spa.ErrorCode(err) != spa.CodeRedirectBlocked || strings.Contains(err.Error(), tokA) ||
		!strings.Contains(err.Error(), "secure route https://api-a.example/ of config a") {
		t.Errorf("a redirect on a route without followRedirects: %v, want redirect_blocked (without the token)", err)
	}
	resp, err := a.Fetch(ctx, &spa.Request{URL: "https://api-a.example/follow/redirect"})
	if err != nil || resp.Status != http.StatusOK || w.api.last() != "https://api-a.example/target Bearer "+tokA {
		t.Errorf("followRedirects: %v %v, sent %q", resp, err, w.api.last())
	}
	if resp, err := a.Fetch(ctx, &spa.Request{Method: "DELETE", URL: "https://api-b.example/v1/admin/x"}); err != nil || resp.ConfigID != "a" {
		t.Errorf("DELETE on a's method entry: %+v %v, want a's token", resp, err)
	}
	if resp, err := a.Fetch(ctx, &spa.Request{URL: "https://api-b.example/v1/admin/x"}); err != nil || resp.ConfigID != "" {
		t.Errorf("GET where a's entry lists DELETE only: %+v %v, want no token", resp, err)
	}

	// The renewal a 401 triggers fails: the caller gets the 401.
	w.api.reject = map[string]bool{tokA: true}
	w.op.SetTokenFault(&fakeop.Fault{Status: http.StatusServiceUnavailable})
	resp, err = a.Fetch(ctx, &spa.Request{URL: "https://api-a.example/items"})
	if err != nil || resp.Status != http.StatusUnauthorized {
		t.Errorf("Fetch whose renewal fails: %+v %v, want the 401", resp, err)
	}
}

// TestFetchCarriesEachEntrysToken: an entry with a resource gets that API's
// token (and a 401 there renews that token, not the login's); an anonymous
// entry's request goes without a token while signed out; the per-API
// token's lifetime reaches the config's state.
func TestFetchCarriesEachEntrysToken(t *testing.T) {
	w := newWorld(t)
	cs := configs()[:1]
	cs[0].SecureRoutes = append(cs[0].SecureRoutes,
		spa.Route{URL: "https://orders.example/", Resource: "https://orders.example"},
		spa.Route{URL: "https://public.example/", Resource: "https://orders.example", Anonymous: true})
	a, p, eng := start(t, w, Options{Configs: cs})
	ctx := context.Background()

	resp, err := a.Fetch(ctx, &spa.Request{URL: "https://public.example/menu"})
	if err != nil || resp.ConfigID != "" || w.api.last() != "https://public.example/menu " {
		t.Errorf("anonymous entry, signed out: %+v %v, sent %q; want no token", resp, err, w.api.last())
	}
	if _, err := a.Fetch(ctx, &spa.Request{URL: "https://orders.example/1"}); spa.ErrorCode(err) != spa.CodeLoginRequired {
		t.Errorf("resource entry, signed out: %v, want login_required", err)
	}
	if _, err := w.op.Login(ctx, w.m, "a"); err != nil {
		t.Fatal(err)
	}
	tokA, _ := w.m.AccessToken(ctx, "a")
	resp, err = a.Fetch(ctx, &spa.Request{URL: "https://orders.example/1"})
	sent := strings.TrimPrefix(w.api.last(), "https://orders.example/1 Bearer ")
	if err != nil || resp.ConfigID != "a" || !strings.HasSuffix(sent, "@https://orders.example") {
		t.Fatalf("resource entry: %+v %v, sent %q; want the orders token", resp, err, w.api.last())
	}
	w.api.reject = map[string]bool{sent: true}
	if resp, err := a.Fetch(ctx, &spa.Request{URL: "https://public.example/menu"}); err != nil || resp.Status != http.StatusOK {
		t.Fatalf("anonymous entry, signed in, rejected token: %+v %v", resp, err)
	}
	retried := strings.TrimPrefix(w.api.last(), "https://public.example/menu Bearer ")
	if retried == sent || !strings.HasSuffix(retried, "@https://orders.example") {
		t.Errorf("the 401 retry sent %q, want a new orders token", retried)
	}
	if now, _ := w.m.AccessToken(ctx, "a"); now != tokA {
		t.Error("the 401 on an API entry renewed the login token")
	}
	eng.ConsumeAll()
	if got := p.a.APITokens; len(got) != 1 || got[0].Resource != "https://orders.example" || got[0].ExpiresAt.IsZero() {
		t.Errorf("state's per-API tokens %+v, want the orders token's lifetime", got)
	}
}

func TestLoginAndCallback(t *testing.T) {
	w := newWorld(t)
	a, p, eng := start(t, w, Options{Configs: configs()})

	// Login sends the page to the provider with location.assign, coming back
	// to the page the user is on.
	a.Login(p.ctx, "b", spa.AuthorizeOptions{})
	eng.ConsumeAll()
	if len(w.nav.assigned) != 1 || !strings.HasPrefix(w.nav.assigned[0], fakeop.Issuer+"/authorize?") {
		t.Fatalf("Login assigned %q, want the authorization endpoint", w.nav.assigned)
	}
	back, err := w.op.Authorize(w.nav.assigned[0])
	if err != nil {
		t.Fatal(err)
	}

	// The provider's redirect loads the app again, at the callback.
	a.Close()
	w.nav = &nav{location: back}
	var rerouted int
	a2, p2, eng2 := start(t, w, Options{})
	a2.reroute = func() { rerouted++ }
	if !p2.b.SignedIn || p2.a.SignedIn {
		t.Fatalf("after the callback a = %+v, b = %+v", p2.a, p2.b)
	}
	if len(w.nav.replaced) != 1 || w.nav.replaced[0] != "https://app.example/callback" {
		t.Errorf("address bar after start-up %q, want the callback without code and state", w.nav.replaced)
	}
	var failed error
	a2.CompleteLogin(p2.ctx, "/", func(ctx app.Context, err error) { failed = err })
	eng2.ConsumeAll()
	if failed != nil || rerouted != 1 || w.nav.replaced[1] != "https://app.example/account" {
		t.Errorf("CompleteLogin: error %v, replaced %q, rerouted %d; want the page Login was called on", failed, w.nav.replaced, rerouted)
	}

	// The same callback again (a reload) is rejected, and sessions stay.
	a2.Close()
	w.nav = &nav{location: back}
	a3, p3, eng3 := start(t, w, Options{})
	if p3.status.ErrorCode != spa.CodeStateMismatch || !p3.b.SignedIn {
		t.Errorf("replayed callback: status %+v, b %+v", p3.status, p3.b)
	}
	a3.CompleteLogin(p3.ctx, "/", func(ctx app.Context, err error) { failed = err })
	eng3.ConsumeAll()
	if spa.ErrorCode(failed) != spa.CodeStateMismatch {
		t.Errorf("CompleteLogin on a replayed callback: %v, want state_mismatch", failed)
	}
}

func TestStartupFailure(t *testing.T) {
	w := newWorld(t)
	bad := configs()
	bad[1].Authority = "https://unreachable.example"
	a, p, eng := start(t, w, Options{LoadConfigs: func(context.Context) ([]spa.Config, error) { return bad, nil }})
	if !p.status.Ready || p.status.ErrorCode != spa.CodeNetwork {
		t.Errorf("status = %+v, want ready with a network error", p.status)
	}
	// Each config the page observes says so too: never "…" forever.
	if !p.a.Ready || p.a.SignedIn || p.a.ErrorCode != spa.CodeNetwork || !strings.Contains(p.a.Error, "authority") {
		t.Errorf("config a's state = %+v, want ready, signed out, with the network error naming authority", p.a)
	}
	a.Login(p.ctx, "a", spa.AuthorizeOptions{})
	eng.ConsumeAll()
	if len(w.nav.assigned) != 0 {
		t.Errorf("Login without configs navigated to %q", w.nav.assigned)
	}
	if got := types(p.events, ""); !strings.Contains(got, "error") {
		t.Errorf("events %q, want the failure logged", got)
	}
}
