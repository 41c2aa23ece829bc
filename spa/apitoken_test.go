package spa_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
)

const (
	orders  = "https://orders.example/api"
	billing = "https://billing.example"
)

// apiConfig is cfg("a") with two APIs of their own audience besides the
// login token's route.
func apiConfig() spa.Config {
	c := cfg("a")
	c.Scope = "openid profile offline_access orders.read billing"
	c.SecureRoutes = []spa.Route{
		{URL: "https://api.example/a"},
		{URL: "https://orders.example/api", Resource: orders, Scope: "orders.read"},
		{URL: "https://billing.example/", Resource: billing, Methods: []string{"POST"}},
		{URL: "https://public.example/", Resource: billing, Anonymous: true},
	}
	return c
}

// TestRouteTokenOptionsAreValidated: a bad resource, scope or tokenParams
// names the config, the entry and the field, and Configure changes nothing.
func TestRouteTokenOptionsAreValidated(t *testing.T) {
	for _, tt := range []struct {
		name  string
		route spa.Route
		field string // "" = valid
		msg   string
	}{
		{"relative resource", spa.Route{Resource: "/api"}, "secureRoutes[1].resource", "not an absolute URI"},
		{"resource with a fragment", spa.Route{Resource: "https://r.example/#x"}, "secureRoutes[1].resource", "fragment"},
		{"resource with an empty fragment", spa.Route{Resource: "https://r.example/#"}, "secureRoutes[1].resource", "fragment"},
		{"blank scope", spa.Route{Scope: "  "}, "secureRoutes[1].scope", "blank"},
		{"scope outside the config's", spa.Route{Scope: "orders.read orders.write"}, "secureRoutes[1].scope", `"orders.write" is not in the config's scope`},
		{"reserved token parameter", spa.Route{TokenParams: map[string]string{"grant_type": "x"}}, "secureRoutes[1].tokenParams", "set by the library"},
		{"resource as a token parameter", spa.Route{TokenParams: map[string]string{"resource": "x"}}, "secureRoutes[1].tokenParams", "set by the library"},
		{"empty parameter name", spa.Route{TokenParams: map[string]string{"": "x"}}, "secureRoutes[1].tokenParams", "empty, padded"},
		{"padded parameter name", spa.Route{TokenParams: map[string]string{"audience ": "x"}}, "secureRoutes[1].tokenParams", "empty, padded"},
		{"resource with a query", spa.Route{Resource: "urn:example:orders?v=2"}, "", ""},
		{"audience parameter and narrowed scope", spa.Route{Scope: "orders.read", TokenParams: map[string]string{"audience": "orders"}}, "", ""},
	} {
		e := newEnv(t)
		before, _ := e.m.Config("a")
		c := cfg("b")
		c.Scope = "openid orders.read"
		r := tt.route
		r.URL = "https://r.example/"
		c.SecureRoutes = []spa.Route{{URL: "https://api.example/b"}, r}
		err := e.m.Configure(context.Background(), []spa.Config{c})
		if tt.field == "" {
			if err != nil {
				t.Errorf("%s: %v, want valid", tt.name, err)
			}
			continue
		}
		se, ok := err.(*spa.Error)
		if !ok || se.Code != spa.CodeInvalidConfig || se.ConfigID != "b" || se.Field != tt.field || !strings.Contains(se.Message, tt.msg) {
			t.Errorf("%s: %v, want invalid_config of b on %s saying %q", tt.name, err, tt.field, tt.msg)
		}
		if after, err := e.m.Config("a"); err != nil || after.ClientID != before.ClientID {
			t.Errorf("%s: the configured set changed: %v", tt.name, err)
		}
	}
}

// TestTokenKeyIsTheResourceTheScopeSetAndTheSortedParams: two spellings of
// one request share one cached token; other requests do not.
func TestTokenKeyIsTheResourceTheScopeSetAndTheSortedParams(t *testing.T) {
	a := spa.TokenOptions{Resource: orders, Scope: "b a", TokenParams: map[string]string{"x": "1", "audience": "o"}}
	b := spa.TokenOptions{Resource: orders, Scope: " a  b a", TokenParams: map[string]string{"audience": "o", "x": "1"}}
	if a.Key() != b.Key() {
		t.Errorf("keys differ for one request: %q vs %q", a.Key(), b.Key())
	}
	for _, o := range []spa.TokenOptions{
		{Resource: orders, Scope: "a"},
		{Resource: billing, Scope: "a b", TokenParams: a.TokenParams},
		{Resource: orders, Scope: "a b", TokenParams: map[string]string{"audience": "o"}},
		{Resource: orders, Scope: "a b", TokenParams: map[string]string{"audience": "o", "x": "2"}},
		{Scope: "a b"},
	} {
		if o.Key() == a.Key() {
			t.Errorf("%+v has the key of %+v", o, a)
		}
	}
	if k := (spa.TokenOptions{Scope: "  "}).Key(); k != "" {
		t.Errorf("empty options key %q, want \"\" (the login token)", k)
	}
	back, err := spa.ParseTokenKey(a.Key())
	if err != nil || back.Key() != a.Key() || back.Resource != orders || back.Scope != "a b" || back.TokenParams["audience"] != "o" {
		t.Errorf("ParseTokenKey(%q) = %+v, %v", a.Key(), back, err)
	}
	if _, err := spa.ParseTokenKey("grant_type=x"); err == nil {
		t.Error("a key with an unknown part parses")
	}
}

// TestAuthorizationNamesEveryResourceOfTheConfig: the grant must cover each
// per-API token (RFC 8707 §2.1); a per-API silent request names only its own.
func TestAuthorizationNamesEveryResourceOfTheConfig(t *testing.T) {
	e := newEnv(t, apiConfig())
	u, err := e.m.Authorize(context.Background(), "a", spa.AuthorizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q := mustQuery(t, u)
	if got := strings.Join(q["resource"], " "); got != orders+" "+billing {
		t.Errorf("authorization request resources %q, want both APIs once each", got)
	}
	q = mustQuery(t, silentRequestOf(t, e, spa.TokenOptions{Resource: orders, Scope: "orders.read", TokenParams: map[string]string{"audience": "o"}}).URL)
	if got := strings.Join(q["resource"], " "); got != orders || q.Get("scope") != "openid orders.read" || q.Get("prompt") != "none" || q.Get("audience") != "o" {
		t.Errorf("per-API silent request: resource %q scope %q prompt %q audience %q", got, q.Get("scope"), q.Get("prompt"), q.Get("audience"))
	}
}

// silentRequestOf signs in to e's config "a" without a refresh token, asks
// for a renewal of o's token (the login's when o is zero) through a
// frameRenewer whose iframe never answers, and returns the silent request the
// Renewal made. The session and e.m are as before the call.
func silentRequestOf(t *testing.T, e *env, o spa.TokenOptions) spa.AuthRequest {
	t.Helper()
	prev := e.m
	c, err := prev.Config("a")
	if err != nil {
		t.Fatal(err)
	}
	f := e.withFrame(noRefresh(c))
	defer func() { e.m = prev }()
	if s, _ := e.m.Session("a"); s == nil || s.RefreshToken != "" {
		e.login("a")
	}
	f.answer = func(spa.AuthRequest) (string, error) { return "", errors.New("the test's iframe does not load") }
	if _, err := e.m.RenewTokenFor(context.Background(), "a", o); spa.ErrorCode(err) != spa.CodeNetwork {
		t.Fatalf("the renewal with an iframe that never answers: %v, want network", err)
	}
	return f.last(t)
}

// TestMaxAgeIsSentOnlyWhenAsked: AuthorizeOptions.MaxAge > 0 sends
// max_age (OpenID Connect Core §3.1.2.1); the zero value sends none, and a
// silent renewal, which must not force the user to sign in again, never does.
func TestMaxAgeIsSentOnlyWhenAsked(t *testing.T) {
	e := newEnv(t, apiConfig())
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		url  func() (string, error)
		want string // max_age; "" for none
	}{
		{"max age 30", func() (string, error) { return e.m.Authorize(ctx, "a", spa.AuthorizeOptions{MaxAge: 30}) }, "30"},
		{"max age 1", func() (string, error) { return e.m.Authorize(ctx, "a", spa.AuthorizeOptions{MaxAge: 1}) }, "1"},
		{"zero options", func() (string, error) { return e.m.Authorize(ctx, "a", spa.AuthorizeOptions{}) }, ""},
		{"silent renewal", func() (string, error) { return silentRequestOf(t, e, spa.TokenOptions{}).URL, nil }, ""},
		{"silent per-API token", func() (string, error) {
			return silentRequestOf(t, e, spa.TokenOptions{Resource: orders, Scope: "orders.read"}).URL, nil
		}, ""},
	} {
		u, err := tt.url()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if q := mustQuery(t, u); q.Get("max_age") != tt.want || q.Has("max_age") != (tt.want != "") {
			t.Errorf("%s: max_age %q, want %q", tt.name, q.Get("max_age"), tt.want)
		}
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// TestPerAPITokenComesFromTheRefreshTokenAndIsCached: the token request names
// the resource and the narrowed scope, the rotated refresh token is stored at
// once, the login token is unchanged, and the token is served from the
// session (this tab and after a reload) until TimeoutFactor of its lifetime.
func TestPerAPITokenComesFromTheRefreshTokenAndIsCached(t *testing.T) {
	e := newEnv(t, apiConfig())
	login := e.login("a")
	o := spa.TokenOptions{Resource: orders, Scope: "orders.read"}
	tok, err := e.m.AccessTokenFor(context.Background(), "a", o)
	if err != nil {
		t.Fatal(err)
	}
	reqs := e.op.Tokens("refresh_token")
	if len(reqs) != 1 || reqs[0].Resource != orders || reqs[0].Scope != "orders.read" || reqs[0].RefreshToken != login.RefreshToken {
		t.Fatalf("refresh requests %+v, want one for %s with scope orders.read", reqs, orders)
	}
	if !strings.HasSuffix(tok, "@"+orders) {
		t.Errorf("token %q is not the provider's token for %s", tok, orders)
	}
	s, _ := e.m.Session("a")
	if s.AccessToken != login.AccessToken {
		t.Error("the login token changed")
	}
	if got := e.op.ValidRefreshTokens(); len(got) != 1 || got[0] != s.RefreshToken || s.RefreshToken == login.RefreshToken {
		t.Errorf("provider's valid refresh tokens %v, session's %q: the rotated one must be stored", got, s.RefreshToken)
	}
	if lt, _ := e.m.AccessToken(context.Background(), "a"); lt != login.AccessToken {
		t.Errorf("AccessToken = %q, want the login token", lt)
	}
	again, err := e.m.AccessTokenFor(context.Background(), "a", spa.TokenOptions{Resource: orders, Scope: " orders.read "})
	if err != nil || again != tok || len(e.op.Tokens("refresh_token")) != 1 {
		t.Errorf("second call: %q, %v after %d requests, want the cached token", again, err, len(e.op.Tokens("refresh_token")))
	}
	reloaded := e.manager()
	if err := reloaded.Configure(context.Background(), []spa.Config{apiConfig()}); err != nil {
		t.Fatal(err)
	}
	if got, err := reloaded.AccessTokenFor(context.Background(), "a", o); err != nil || got != tok || len(e.op.Tokens("refresh_token")) != 1 {
		t.Errorf("after a reload: %q, %v, want the stored token without a request", got, err)
	}
	e.clk.Advance(8*time.Minute + time.Second) // past 0.75 of 10 minutes
	renewed, err := e.m.AccessTokenFor(context.Background(), "a", o)
	if err != nil || renewed == tok || len(e.op.Tokens("refresh_token")) != 2 {
		t.Errorf("past timeoutFactor: %q, %v after %d requests, want a new token", renewed, err, len(e.op.Tokens("refresh_token")))
	}
	if e.op.Reuses() != 0 {
		t.Errorf("%d refresh tokens replayed", e.op.Reuses())
	}
}

// TestConcurrentCallersOfOneResourceShareOneRequest.
func TestConcurrentCallersOfOneResourceShareOneRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, apiConfig())
		e.login("a")
		gate := make(chan struct{})
		e.op.SetTokenGate(gate)
		var wg sync.WaitGroup
		toks := make([]string, 200)
		errs := make([]error, len(toks))
		for i := range toks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				toks[i], errs[i] = e.m.AccessTokenFor(context.Background(), "a", spa.TokenOptions{Resource: orders, Scope: "orders.read"})
			}()
		}
		synctest.Wait() // every caller waits, the one request at the gate
		close(gate)
		wg.Wait()
		for i := range toks {
			if errs[i] != nil || toks[i] != toks[0] {
				t.Fatalf("caller %d: %q, %v; caller 0: %q", i, toks[i], errs[i], toks[0])
			}
		}
		if n := len(e.op.Tokens("refresh_token")); n != 1 {
			t.Errorf("%d token requests for one resource, want 1", n)
		}
	})
}

// TestTwoResourcesAndTheLoginTokenRenewingAtOnceNeverReplayARefreshToken:
// they share the refresh token, so their requests take turns, each with the
// refresh token the previous one got (RFC 9700 §4.14.2).
func TestTwoResourcesAndTheLoginTokenRenewingAtOnceNeverReplayARefreshToken(t *testing.T) {
	e := newEnv(t, apiConfig())
	e.login("a")
	var mu sync.Mutex
	inFlight, most := 0, 0
	m := e.managerWithTokenHookOf(apiConfig(), func(string) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		time.Sleep(2 * time.Millisecond) // a provider that takes a while: overlap would show
	}, func(string, *spa.Response) {
		mu.Lock()
		inFlight--
		mu.Unlock()
	})
	e.clk.Advance(11 * time.Minute) // the login token expired too
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			switch i % 3 {
			case 0:
				_, err = m.AccessTokenFor(context.Background(), "a", spa.TokenOptions{Resource: orders, Scope: "orders.read"})
			case 1:
				_, err = m.AccessTokenFor(context.Background(), "a", spa.TokenOptions{Resource: billing})
			default:
				_, err = m.AccessToken(context.Background(), "a")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	reqs := e.op.Tokens("refresh_token")
	if len(reqs) != 3 || e.op.Reuses() != 0 || most != 1 {
		t.Errorf("%d refresh requests, %d replayed, %d at once; want 3, 0, 1", len(reqs), e.op.Reuses(), most)
	}
	s, _ := m.Session("a")
	if got := e.op.ValidRefreshTokens(); len(got) != 1 || got[0] != s.RefreshToken {
		t.Errorf("provider's valid refresh tokens %v, session's %q", got, s.RefreshToken)
	}
	if len(s.APITokens) != 2 {
		t.Errorf("session holds %d per-API tokens, want 2", len(s.APITokens))
	}
}

// managerWithTokenHookOf wraps e's provider for a Manager of config c:
// before reaching the token endpoint a request goes through before, and its
// answer through after (either may be nil).
func (e *env) managerWithTokenHookOf(c spa.Config, before func(form string), after func(form string, resp *spa.Response)) *spa.Manager {
	e.t.Helper()
	inner := e.op.Fetcher()
	f := spa.FetcherFunc(func(ctx context.Context, req *spa.Request) (*spa.Response, error) {
		isToken := strings.HasSuffix(strings.SplitN(req.URL, "?", 2)[0], "/token")
		if isToken && before != nil {
			before(string(req.Body))
		}
		resp, err := inner.Fetch(ctx, req)
		if isToken && after != nil && err == nil {
			after(string(req.Body), resp)
		}
		return resp, err
	})
	return e.managerWith(spa.Options{Fetcher: f}, c)
}

// managerWith returns a Manager over e's stores, clock and events with o's
// other options (Fetcher default: e's provider), configured with configs.
func (e *env) managerWith(o spa.Options, configs ...spa.Config) *spa.Manager {
	e.t.Helper()
	if o.Fetcher == nil {
		o.Fetcher = e.op.Fetcher()
	}
	o.Stores, o.Clock = e.stores, e.clk
	m := spa.NewManager(o)
	m.Subscribe(func(ev spa.Event) { e.mu.Lock(); e.events = append(e.events, ev); e.mu.Unlock() })
	if err := m.Configure(context.Background(), configs); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// TestARefusedResourceIsInvalidTargetAndLeavesTheLoginAlone: the provider's
// code comes back, the refresh token it did not use up stays, the session and
// the login token stay, and silentRenewFailed names the resource.
func TestARefusedResourceIsInvalidTargetAndLeavesTheLoginAlone(t *testing.T) {
	e := newEnv(t, apiConfig())
	login := e.login("a")
	e.op.SetRefusedResource(billing)
	_, err := e.m.AccessTokenFor(context.Background(), "a", spa.TokenOptions{Resource: billing})
	wantCode(t, err, "invalid_target")
	s, _ := e.m.Session("a")
	if s == nil || s.AccessToken != login.AccessToken || s.RefreshToken != login.RefreshToken || len(s.APITokens) != 0 {
		t.Fatalf("session after the refusal: %+v", s)
	}
	if got := e.op.ValidRefreshTokens(); len(got) != 1 || got[0] != login.RefreshToken {
		t.Errorf("provider's valid refresh tokens %v", got)
	}
	var failed []spa.Event
	e.mu.Lock()
	for _, ev := range e.events {
		if ev.Type == spa.EventSilentRenewFailed || ev.Type == spa.EventLoggedOut {
			failed = append(failed, ev)
		}
	}
	e.mu.Unlock()
	if len(failed) != 1 || failed[0].Type != spa.EventSilentRenewFailed || failed[0].Code != "invalid_target" || failed[0].Resource != billing {
		t.Errorf("events %+v, want one silentRenewFailed invalid_target for %s", failed, billing)
	}
	if tok, err := e.m.AccessTokenFor(context.Background(), "a", spa.TokenOptions{Resource: orders}); err != nil || !strings.HasSuffix(tok, "@"+orders) {
		t.Errorf("the other API after the refusal: %q, %v", tok, err)
	}
	// A resource the authorization did not name is refused by the provider:
	// getAccessToken's options may name one no entry has.
	_, err = e.m.AccessTokenFor(context.Background(), "a", spa.TokenOptions{Resource: "https://elsewhere.example"})
	wantCode(t, err, "invalid_target")
}

// TestRouteTokenOfAnAnonymousEntry: signed out, an anonymous entry's request
// goes without a token and another entry's is login_required; signed in both
// get their token.
func TestRouteTokenOfAnAnonymousEntry(t *testing.T) {
	e := newEnv(t, apiConfig())
	match := func(u, method string) spa.RouteMatch {
		t.Helper()
		r, ok := e.m.MatchRequest(u, method, nil)
		if !ok {
			t.Fatalf("%s %s matches no entry", method, u)
		}
		return r
	}
	pub, api, post := match("https://public.example/x", "GET"), match("https://orders.example/api/1", "GET"), match("https://billing.example/pay", "POST")
	if tok, ok, err := e.m.RouteToken(context.Background(), pub, false); tok != "" || ok || err != nil {
		t.Errorf("anonymous entry, signed out: %q, %v, %v; want no token and no error", tok, ok, err)
	}
	_, ok, err := e.m.RouteToken(context.Background(), api, false)
	wantCode(t, err, spa.CodeLoginRequired)
	if ok {
		t.Error("ok with an error")
	}
	if _, ok := e.m.MatchRequest("https://billing.example/pay", "GET", nil); ok {
		t.Error("GET matches an entry that lists POST only")
	}
	e.login("a")
	for _, r := range []spa.RouteMatch{pub, post} {
		tok, ok, err := e.m.RouteToken(context.Background(), r, false)
		if err != nil || !ok || !strings.HasSuffix(tok, "@"+billing) {
			t.Errorf("%s signed in: %q, %v, %v; want the billing token", r.Route.URL, tok, ok, err)
		}
	}
	tok, ok, err := e.m.RouteToken(context.Background(), api, false)
	forced, _, ferr := e.m.RouteToken(context.Background(), api, true)
	if err != nil || ferr != nil || !ok || forced == tok || !strings.HasSuffix(forced, "@"+orders) {
		t.Errorf("force: %q then %q (%v, %v), want a new orders token", tok, forced, err, ferr)
	}
}

// TestLogoffRevokesAndDropsThePerAPITokens.
func TestLogoffRevokesAndDropsThePerAPITokens(t *testing.T) {
	e := newEnv(t, apiConfig())
	e.login("a")
	tok, err := e.m.AccessTokenFor(context.Background(), "a", spa.TokenOptions{Resource: orders, Scope: "orders.read"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.LogoffAndRevokeTokens(context.Background(), "a", spa.EndSessionOptions{}); err != nil {
		t.Fatal(err)
	}
	if !e.op.Revoked(tok) {
		t.Error("the per-API token was not revoked")
	}
	_, err = e.m.AccessTokenFor(context.Background(), "a", spa.TokenOptions{Resource: orders, Scope: "orders.read"})
	wantCode(t, err, spa.CodeLoginRequired)
	st := e.stores[spa.StorageSession]
	for _, k := range st.Keys("") {
		if v, _ := st.Get(k); strings.Contains(v, tok) {
			t.Errorf("store key %s still holds the token", k)
		}
	}
}

// TestAnotherTabsPerAPITokenIsAnnouncedOnReload: the bridge's token cache
// follows tokenRefreshed events, so adopting a token another tab stored must
// raise one, naming the resource.
func TestAnotherTabsPerAPITokenIsAnnouncedOnReload(t *testing.T) {
	e := newEnv(t, apiConfig())
	e.login("a")
	other := e.manager()
	if err := other.Configure(context.Background(), []spa.Config{apiConfig()}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.AccessTokenFor(context.Background(), "a", spa.TokenOptions{Resource: billing}); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	e.events = nil
	e.mu.Unlock()
	changed, err := e.m.Reload("a")
	if err != nil || !changed {
		t.Fatalf("Reload = %v, %v", changed, err)
	}
	var got []spa.Event
	e.mu.Lock()
	for _, ev := range e.events {
		if ev.Type == spa.EventTokenRefreshed {
			got = append(got, ev)
		}
	}
	e.mu.Unlock()
	// Both managers subscribe to e.events: other's own event was cleared.
	if len(got) != 1 || got[0].Resource != billing {
		t.Errorf("tokenRefreshed events on reload %+v, want one for %s", got, billing)
	}
	// A reload that finds the same tokens says nothing.
	if changed, err := e.m.Reload("a"); err != nil || changed {
		t.Errorf("a second Reload with nothing new = %v, %v; want false", changed, err)
	}
}

// TestTwoTabsAskingForOneResourceShareOneRequest: the tab that waited for
// the cross-tab lock uses the token the other tab stored.
func TestTwoTabsAskingForOneResourceShareOneRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, apiConfig())
		e.login("a")
		lock := &spa.LocalLocker{}
		tabs := make([]*spa.Manager, 2)
		for i := range tabs {
			tabs[i] = spa.NewManager(spa.Options{Fetcher: e.op.Fetcher(), Stores: e.stores, Clock: e.clk, Locker: lock})
			if err := tabs[i].Configure(context.Background(), []spa.Config{apiConfig()}); err != nil {
				t.Fatal(err)
			}
		}
		gate := make(chan struct{})
		e.op.SetTokenGate(gate)
		toks := make([]string, len(tabs))
		errs := make([]error, len(tabs))
		var wg sync.WaitGroup
		for i, m := range tabs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				toks[i], errs[i] = m.AccessTokenFor(context.Background(), "a", spa.TokenOptions{Resource: billing})
			}()
		}
		synctest.Wait() // one tab at the gate, the other waiting for the lock
		close(gate)
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || toks[0] != toks[1] {
			t.Fatalf("tabs got %q (%v) and %q (%v), want one token", toks[0], errs[0], toks[1], errs[1])
		}
		if n := len(e.op.Tokens("refresh_token")); n != 1 || e.op.Reuses() != 0 {
			t.Errorf("%d refresh requests, %d replayed; want 1, 0", n, e.op.Reuses())
		}
	})
}

// TestACallerThatGivesUpDoesNotLoseTheRefreshToken: the caller's context
// bounds its wait, not the request: the provider has rotated the refresh
// token by the time the answer is on its way, so dropping that answer would
// leave the session dead.
func TestACallerThatGivesUpDoesNotLoseTheRefreshToken(t *testing.T) {
	e := newEnv(t, apiConfig())
	e.login("a")
	release := make(chan struct{})
	inner := e.op.Fetcher()
	slow := spa.FetcherFunc(func(ctx context.Context, req *spa.Request) (*spa.Response, error) {
		resp, err := inner.Fetch(ctx, req) // the provider has answered...
		if !strings.Contains(string(req.Body), "grant_type=refresh_token") {
			return resp, err
		}
		select { // ...and the answer is slow to arrive, as a browser fetch aborts
		case <-release:
			return resp, err
		case <-ctx.Done():
			return nil, &spa.Error{Code: spa.CodeNetwork, Message: "aborted", Err: ctx.Err()}
		}
	})
	m := spa.NewManager(spa.Options{Fetcher: slow, Stores: e.stores, Clock: e.clk})
	if err := m.Configure(context.Background(), []spa.Config{apiConfig()}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := m.AccessTokenFor(ctx, "a", spa.TokenOptions{Resource: billing})
	wantCode(t, err, spa.CodeTimeout)
	close(release)
	tok, err := m.AccessTokenFor(context.Background(), "a", spa.TokenOptions{Resource: billing})
	if err != nil || !strings.HasSuffix(tok, "@"+billing) {
		t.Fatalf("after the caller gave up: %q, %v", tok, err)
	}
	s, _ := m.Session("a")
	if got := e.op.ValidRefreshTokens(); len(got) != 1 || got[0] != s.RefreshToken || e.op.Reuses() != 0 {
		t.Errorf("provider's valid refresh tokens %v, session's %q, %d replayed", got, s.RefreshToken, e.op.Reuses())
	}
}

// TestAPITokenScopeIsTheGrantedOne: a per-API token records the scope the
// provider granted, or, when the answer names none, the one asked for (the
// same, RFC 6749 §5.1).
func TestAPITokenScopeIsTheGrantedOne(t *testing.T) {
	for _, tt := range []struct{ name, answered, want string }{
		{"narrowed by the provider", "orders.read.own", "orders.read.own"},
		{"not said", "", "orders.read"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			m := e.managerWithTokenHookOf(apiConfig(), nil, editTokenAnswer(t, "resource=", func(body map[string]any) {
				delete(body, "scope")
				if tt.answered != "" {
					body["scope"] = tt.answered
				}
			}))
			if _, err := e.op.Login(context.Background(), m, "a"); err != nil {
				t.Fatal(err)
			}
			o := spa.TokenOptions{Resource: orders, Scope: "orders.read"}
			if _, err := m.AccessTokenFor(context.Background(), "a", o); err != nil {
				t.Fatal(err)
			}
			s, _ := m.Session("a")
			if got := s.APITokens[o.Key()].Scope; got != tt.want {
				t.Errorf("stored scope %q, want %q", got, tt.want)
			}
		})
	}
}
