package spa_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/oidcwasm/oidcwasm/internal/fakeop"
	"github.com/oidcwasm/oidcwasm/spa"
)

// clock is a settable spa.Clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is a Manager wired to a fake provider, with its stores and events.
type env struct {
	t      *testing.T
	op     *fakeop.OP
	clk    *clock
	stores map[string]spa.Store
	m      *spa.Manager
	mu     sync.Mutex
	events []spa.Event
}

func cfg(id string) spa.Config {
	return spa.Config{ConfigID: id, Authority: fakeop.Issuer, ClientID: "client-" + id,
		RedirectURL: "https://app.example/cb", PostLogoutRedirectURI: "https://app.example/",
		Scope: "openid profile offline_access", SecureRoutes: spa.Routes("https://api.example/" + id)}
}

func newEnv(t *testing.T, configs ...spa.Config) *env {
	t.Helper()
	clk := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	e := &env{t: t, op: fakeop.New(t, clk), clk: clk, stores: map[string]spa.Store{
		spa.StorageSession: spa.NewMemoryStore(), spa.StorageLocal: spa.NewMemoryStore(), spa.StorageMemory: spa.NewMemoryStore()}}
	e.m = e.manager()
	if len(configs) == 0 {
		configs = []spa.Config{cfg("a")}
	}
	if err := e.m.Configure(context.Background(), configs); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return e
}

// manager returns a new Manager over e's stores, as a page reload would.
func (e *env) manager() *spa.Manager {
	m := spa.NewManager(spa.Options{Fetcher: e.op.Fetcher(), Stores: e.stores, Clock: e.clk})
	m.Subscribe(func(ev spa.Event) { e.mu.Lock(); e.events = append(e.events, ev); e.mu.Unlock() })
	return m
}

func (e *env) eventTypes() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.events {
		out = append(out, string(ev.Type)+":"+ev.ConfigID)
	}
	return out
}

func (e *env) login(id string) *spa.Session {
	e.t.Helper()
	s, err := e.op.Login(context.Background(), e.m, id)
	if err != nil {
		e.t.Fatalf("login %s: %v", id, err)
	}
	return s
}

// callbackURL starts an authorization and returns the provider's redirect.
func (e *env) callbackURL(id string) string {
	e.t.Helper()
	u, err := e.m.Authorize(context.Background(), id, spa.AuthorizeOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	back, err := e.op.Authorize(u)
	if err != nil {
		e.t.Fatal(err)
	}
	return back
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if spa.ErrorCode(err) != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
}

func TestLoginStoresVerifiedSessionWithUserInfo(t *testing.T) {
	e := newEnv(t)
	s := e.login("a")
	if s.AccessToken == "" || s.RefreshToken == "" || s.IDToken == "" || s.Claims.Subject != "alice" {
		t.Fatalf("session %+v", s)
	}
	if s.UserData["name"] != "Alice Liddell" || s.UserData["sub"] != "alice" {
		t.Fatalf("userData %v lacks the userinfo claims", s.UserData)
	}
	if got := s.ExpiresAt.Sub(e.clk.Now()); got != 10*time.Minute {
		t.Fatalf("expiry in %v, want expires_in 10m", got)
	}
	if !e.m.IsAuthenticated("a") {
		t.Fatal("not authenticated after login")
	}
	if got := strings.Join(e.eventTypes(), ","); got != "configLoaded:a,authenticated:a" {
		t.Fatalf("events %s", got)
	}
}

func TestAuthorizeURLCarriesPKCEAndParams(t *testing.T) {
	c := cfg("a")
	c.CustomParamsAuthRequest = map[string]string{"ui_locales": "de"}
	e := newEnv(t, c)
	raw, err := e.m.Authorize(context.Background(), "a", spa.AuthorizeOptions{Prompt: "login", MaxAge: 30, LoginHint: "alice",
		CustomParams: map[string]string{"acr_values": "mfa"}})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	for k, want := range map[string]string{"response_type": "code", "client_id": "client-a", "redirect_uri": "https://app.example/cb",
		"scope": "openid profile offline_access", "code_challenge_method": "S256", "prompt": "login", "max_age": "30",
		"login_hint": "alice", "ui_locales": "de", "acr_values": "mfa"} {
		if q.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, q.Get(k), want)
		}
	}
	if len(q.Get("state")) < 43 || len(q.Get("nonce")) < 43 || len(q.Get("code_challenge")) != 43 {
		t.Errorf("state/nonce/challenge too short: %v", q)
	}
	if _, err := e.m.Authorize(context.Background(), "a", spa.AuthorizeOptions{CustomParams: map[string]string{"state": "x"}}); spa.ErrorCode(err) != spa.CodeInvalidConfig {
		t.Fatalf("custom state param: %v", err)
	}
}

func TestReturnURLMustStayOnTheAppOrigin(t *testing.T) {
	e := newEnv(t)
	for _, bad := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "http://app.example/"} {
		if _, err := e.m.Authorize(context.Background(), "a", spa.AuthorizeOptions{ReturnURL: bad}); spa.ErrorCode(err) != spa.CodeInvalidConfig {
			t.Errorf("returnUrl %q accepted: %v", bad, err)
		}
	}
	u, err := e.m.Authorize(context.Background(), "a", spa.AuthorizeOptions{ReturnURL: "/orders?id=1"})
	if err != nil {
		t.Fatal(err)
	}
	back, _ := e.op.Authorize(u)
	res, err := e.m.CheckAuth(context.Background(), back)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].ReturnURL != "https://app.example/orders?id=1" || !res[0].IsAuthenticated {
		t.Fatalf("result %+v", res[0])
	}
}

func TestCallbackChecksChangeNothing(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(e *env, raw string) string
		code   string
	}{
		{"forged state", func(e *env, raw string) string { return setParam(raw, "state", "forged") }, spa.CodeStateMismatch},
		{"iss of another provider", func(e *env, raw string) string { return setParam(raw, "iss", "https://evil.example") }, spa.CodeIssMismatch},
		{"iss missing though advertised", func(e *env, raw string) string { return setParam(raw, "iss", "") }, spa.CodeIssMismatch},
		{"provider error", func(e *env, raw string) string {
			return setParam(setParam(raw, "code", ""), "error", "access_denied")
		}, "access_denied"},
		{"arrived at another path", func(e *env, raw string) string { return strings.Replace(raw, "/cb?", "/other?", 1) }, spa.CodeStateMismatch},
		{"repeated state", func(e *env, raw string) string { return raw + "&state=again" }, spa.CodeStateMismatch},
		{"expired transaction", func(e *env, raw string) string { e.clk.Advance(16 * time.Minute); return raw }, spa.CodeStateMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.login("a")
			tokensBefore := e.op.Requests("/token")
			raw := tt.mutate(e, e.callbackURL("a"))
			_, err := e.m.CheckAuth(context.Background(), raw)
			wantCode(t, err, tt.code)
			e.mu.Lock()
			last := e.events[len(e.events)-1]
			e.mu.Unlock()
			if last.Type != spa.EventError || last.Code != tt.code {
				t.Fatalf("last event %+v, want error with code %s", last, tt.code)
			}
			// The event names the config the error names: the one the
			// response was for, once its transaction was found.
			var se *spa.Error
			wantConfig := "a"
			if tt.name == "forged state" || tt.name == "repeated state" {
				wantConfig = "" // no transaction: no config to name
			}
			if !errors.As(err, &se) || se.ConfigID != wantConfig || last.ConfigID != wantConfig {
				t.Errorf("error event for config %q, error %#v", last.ConfigID, err)
			}
			if e.op.Requests("/token") != tokensBefore {
				t.Fatal("a refused callback reached the token endpoint")
			}
			if s, _ := e.m.Session("a"); s == nil || s.AccessToken != before.AccessToken {
				t.Fatal("a refused callback changed the session")
			}
		})
	}
}

func TestCallbackIsUsedOnce(t *testing.T) {
	e := newEnv(t)
	raw := e.callbackURL("a")
	if _, err := e.m.CheckAuth(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	_, err := e.m.CheckAuth(context.Background(), raw)
	wantCode(t, err, spa.CodeStateMismatch)
	// Another tab (another transaction store) never saw the request either.
	other := spa.NewManager(spa.Options{Fetcher: e.op.Fetcher(), Clock: e.clk})
	if err := other.Configure(context.Background(), []spa.Config{cfg("a")}); err != nil {
		t.Fatal(err)
	}
	_, err = other.CheckAuth(context.Background(), e.callbackURL("a"))
	wantCode(t, err, spa.CodeStateMismatch)
}

func TestUserinfoSubMismatchStoresNothing(t *testing.T) {
	e := newEnv(t)
	e.op.SetUserinfoSub("mallory")
	_, err := e.m.CheckAuth(context.Background(), e.callbackURL("a"))
	wantCode(t, err, spa.CodeInvalidResponse)
	if s, _ := e.m.Session("a"); s != nil {
		t.Fatal("session stored although userinfo's sub differs")
	}
	if _, ok := e.stores[spa.StorageSession].Get("oidcwasm.a.session"); ok {
		t.Fatal("session written to the store")
	}
}

func TestTokenEndpointErrorsKeepTheirCode(t *testing.T) {
	e := newEnv(t)
	e.op.SetTokenFault(&fakeop.Fault{Status: 400, Code: "invalid_grant"})
	_, err := e.m.CheckAuth(context.Background(), e.callbackURL("a"))
	wantCode(t, err, "invalid_grant")
	e.op.SetTokenFault(&fakeop.Fault{Status: 502})
	_, err = e.m.CheckAuth(context.Background(), e.callbackURL("a"))
	wantCode(t, err, spa.CodeInvalidResponse)
	e.op.SetTokenFault(&fakeop.Fault{Network: true})
	_, err = e.m.CheckAuth(context.Background(), e.callbackURL("a"))
	wantCode(t, err, spa.CodeNetwork)
}

func TestAccessTokenWithoutSessionIsLoginRequired(t *testing.T) {
	e := newEnv(t)
	_, err := e.m.AccessToken(context.Background(), "a")
	wantCode(t, err, spa.CodeLoginRequired)
	_, err = e.m.AccessToken(context.Background(), "nope")
	wantCode(t, err, spa.CodeInvalidConfig)
}

func TestAccessTokenRenewsAtTimeoutFactor(t *testing.T) {
	e := newEnv(t)
	s := e.login("a")
	e.clk.Advance(7*time.Minute + 29*time.Second) // before 0.75 of 10 minutes
	if tok, err := e.m.AccessToken(context.Background(), "a"); err != nil || tok != s.AccessToken {
		t.Fatalf("fresh token: %v", err)
	}
	if n := len(e.op.Tokens("refresh_token")); n != 0 {
		t.Fatalf("%d refreshes before the renewal point", n)
	}
	e.clk.Advance(time.Second)
	tok, err := e.m.AccessToken(context.Background(), "a")
	if err != nil || tok == s.AccessToken {
		t.Fatalf("token at the renewal point was not renewed: %v", err)
	}
	cur, _ := e.m.Session("a")
	if cur.RefreshToken == s.RefreshToken {
		t.Fatal("the refresh token was not rotated")
	}
	if got := e.op.ValidRefreshTokens(); len(got) != 1 || got[0] != cur.RefreshToken {
		t.Fatalf("provider's valid refresh tokens %v, session has the new one", got)
	}
}

// TestThousandCallersShareOneRenewal: concurrent callers in a tab share one
// flight: one token request and one turn of the cross-tab lock (without the
// flight, the lock and the store re-read would still give one request, but
// each caller would queue for a Web Lock of its own).
func TestThousandCallersShareOneRenewal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		l := &spyLocker{shared: map[string][]bool{}}
		m := spa.NewManager(spa.Options{Fetcher: e.op.Fetcher(), Stores: e.stores, Clock: e.clk, Locker: l})
		if err := m.Configure(context.Background(), []spa.Config{cfg("a")}); err != nil {
			t.Fatal(err)
		}
		s, err := e.op.Login(context.Background(), m, "a")
		if err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(11 * time.Minute) // expired
		gate := make(chan struct{})
		e.op.SetTokenGate(gate)
		var wg sync.WaitGroup
		toks := make([]string, 1000)
		errs := make([]error, 1000)
		for i := range toks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				toks[i], errs[i] = m.AccessToken(context.Background(), "a")
			}()
		}
		synctest.Wait() // every caller is waiting, the request at the gate
		close(gate)
		wg.Wait()
		for i := range toks {
			if errs[i] != nil || toks[i] == s.AccessToken || toks[i] != toks[0] {
				t.Fatalf("caller %d: %q, %v", i, toks[i], errs[i])
			}
		}
		if n := len(e.op.Tokens("refresh_token")); n != 1 {
			t.Fatalf("%d token requests, want exactly 1", n)
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if n := len(l.shared["oidcwasm.renew.client-a.a"]); n != 1 {
			t.Errorf("the renewal lock was taken %d times, want once for all the callers", n)
		}
	})
}

func TestRenewInvalidGrantEndsSession(t *testing.T) {
	e := newEnv(t)
	e.login("a")
	e.op.RevokeRefreshTokens()
	_, err := e.m.Renew(context.Background(), "a")
	wantCode(t, err, "invalid_grant")
	if e.m.IsAuthenticated("a") {
		t.Fatal("still authenticated after invalid_grant")
	}
	got := strings.Join(e.eventTypes(), ",")
	if !strings.HasSuffix(got, "silentRenewFailed:a,loggedOut:a") {
		t.Fatalf("events %s", got)
	}
}

func TestRenewNetworkFailureKeepsSession(t *testing.T) {
	e := newEnv(t)
	s := e.login("a")
	e.op.SetTokenFault(&fakeop.Fault{Network: true})
	_, err := e.m.Renew(context.Background(), "a")
	wantCode(t, err, spa.CodeNetwork)
	if cur, _ := e.m.Session("a"); cur == nil || cur.AccessToken != s.AccessToken {
		t.Fatal("a network failure ended the session")
	}
	// Within its lifetime the old token is still handed out.
	e.clk.Advance(8 * time.Minute)
	if tok, err := e.m.AccessToken(context.Background(), "a"); err != nil || tok != s.AccessToken {
		t.Fatalf("valid token withheld after a failed renewal: %v", err)
	}
}

func TestReloadRestoresSession(t *testing.T) {
	e := newEnv(t, cfg("a"), cfg("b"))
	s := e.login("a")
	m2 := e.manager()
	if err := m2.Configure(context.Background(), []spa.Config{cfg("a"), cfg("b")}); err != nil {
		t.Fatal(err)
	}
	res, err := m2.CheckAuth(context.Background(), "https://app.example/")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || !res[0].IsAuthenticated || res[1].IsAuthenticated || res[0].UserData["name"] != "Alice Liddell" {
		t.Fatalf("restore: %+v", res)
	}
	if tok, _ := m2.AccessToken(context.Background(), "a"); tok != s.AccessToken {
		t.Fatal("restored session has another token")
	}
	e.mu.Lock()
	last := e.events[len(e.events)-1]
	e.mu.Unlock()
	if last.Type != spa.EventAuthenticated || !last.Restored {
		t.Fatalf("last event %+v, want authenticated restored", last)
	}
}

func TestStoredSessionOfAnotherFormatOrProviderIsDropped(t *testing.T) {
	e := newEnv(t)
	st := e.stores[spa.StorageSession]
	for _, v := range []string{`{"v":0,"session":{}}`, `not json`, `{"v":1,"authority":"https://other.example","client_id":"client-a","session":{"access_token":"x","claims":{}}}`} {
		if err := st.Set("oidcwasm.a.session", v); err != nil {
			t.Fatal(err)
		}
		m := e.manager()
		if err := m.Configure(context.Background(), []spa.Config{cfg("a")}); err != nil {
			t.Fatal(err)
		}
		if res, err := m.CheckAuth(context.Background(), "https://app.example/"); err != nil || res[0].IsAuthenticated {
			t.Fatalf("stored %q: %+v %v", v, res, err)
		}
		if _, ok := st.Get("oidcwasm.a.session"); ok {
			t.Fatalf("stale value %q kept", v)
		}
	}
}

func TestConfigureReplacesAtomically(t *testing.T) {
	e := newEnv(t, cfg("a"))
	e.login("a")
	bad := cfg("b")
	bad.Authority = "https://op.example/other" // discovery answers with another issuer
	err := e.m.Configure(context.Background(), []spa.Config{cfg("a"), bad})
	if err == nil {
		t.Fatal("configure with an unreachable provider succeeded")
	}
	if ids := e.m.ConfigIDs(); len(ids) != 1 || ids[0] != "a" || !e.m.IsAuthenticated("a") {
		t.Fatalf("a rejected configure changed the set: %v", ids)
	}
	if err := e.m.Configure(context.Background(), []spa.Config{cfg("b"), cfg("a")}); err != nil {
		t.Fatal(err)
	}
	if ids := e.m.ConfigIDs(); ids[0] != "b" || !e.m.IsAuthenticated("a") {
		t.Fatalf("after reconfigure: %v", ids)
	}
	if _, err := e.m.AccessToken(context.Background(), ""); spa.ErrorCode(err) != spa.CodeLoginRequired {
		t.Fatalf("\"\" means the first config (b, signed out): %v", err)
	}
}

func TestSecureRouteClaimedTwiceIsRejected(t *testing.T) {
	e := newEnv(t)
	a, b := cfg("a"), cfg("b")
	b.SecureRoutes = spa.Routes("https://API.example:443/a/")
	err := e.m.Configure(context.Background(), []spa.Config{a, b})
	wantCode(t, err, spa.CodeInvalidConfig)
	if id, ok := e.m.MatchRoute("https://api.example/a/x", nil); !ok || id != "a" {
		t.Fatalf("MatchRoute after rejected configure: %q %v", id, ok)
	}
}

func TestDiscoveryIsChecked(t *testing.T) {
	tests := []struct {
		name string
		h    http.HandlerFunc
		code string
	}{
		{"issuer of another provider", discoveryDoc(`{"issuer":"https://evil.example","authorization_endpoint":"https://op.example/authorize","token_endpoint":"https://op.example/token","jwks_uri":"https://op.example/jwks"}`, "application/json"), spa.CodeIssMismatch},
		{"HTML", discoveryDoc(`<html></html>`, "text/html"), spa.CodeInvalidResponse},
		{"malformed JSON", discoveryDoc(`{"issuer":`, "application/json"), spa.CodeInvalidResponse},
		{"missing token endpoint", discoveryDoc(`{"issuer":"https://op.example","authorization_endpoint":"https://op.example/authorize","jwks_uri":"https://op.example/jwks"}`, "application/json"), spa.CodeInvalidResponse},
		{"no PKCE S256", discoveryDoc(`{"issuer":"https://op.example","authorization_endpoint":"https://op.example/authorize","token_endpoint":"https://op.example/token","jwks_uri":"https://op.example/jwks","code_challenge_methods_supported":["plain"]}`, "application/json"), spa.CodeInvalidResponse},
		{"server error", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, spa.CodeInvalidResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{now: time.Now()}
			op := fakeop.New(t, clk)
			op.Handle("GET /.well-known/openid-configuration", tt.h)
			m := spa.NewManager(spa.Options{Fetcher: op.Fetcher(), Clock: clk})
			wantCode(t, m.Configure(context.Background(), []spa.Config{cfg("a")}), tt.code)
			if m.ConfigIDs() != nil {
				t.Fatal("a failed configure left configs")
			}
		})
	}
}

func discoveryDoc(body, ct string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.Write([]byte(body))
	}
}

func TestDiscoveryIsCachedInTheStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		n := e.op.Requests("/.well-known/openid-configuration")
		e.clk.Advance(discoveryTTL - time.Second)
		m2 := e.manager()
		if err := m2.Configure(context.Background(), []spa.Config{cfg("a")}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // and nothing started in the background either
		if got := e.op.Requests("/.well-known/openid-configuration"); got != n {
			t.Fatalf("a reload within the hour refetched discovery (%d → %d)", n, got)
		}
	})
}

// TestAWorkerCustodyConfigsDiscoveryIsKeptInTheSessionStore: a worker-
// custody config's storage is memory (its tokens live in the worker), yet
// a page reload configures it without asking the provider again: its
// discovery document, public metadata, is kept in the session store, and
// nothing else of it is.
func TestAWorkerCustodyConfigsDiscoveryIsKeptInTheSessionStore(t *testing.T) {
	c := cfg("w")
	c.Custody = spa.CustodyWorker
	c.Storage = ""
	e := newEnv(t, c)
	n := e.op.Requests("/.well-known/openid-configuration")
	if err := e.manager().Configure(context.Background(), []spa.Config{c}); err != nil {
		t.Fatal(err)
	}
	if got := e.op.Requests("/.well-known/openid-configuration"); got != n {
		t.Errorf("a reload refetched the worker-custody config's discovery (%d → %d)", n, got)
	}
	if _, ok := e.stores[spa.StorageSession].Get("oidcwasm.w.discovery"); !ok {
		t.Error("the session store does not hold the document")
	}
	if _, ok := e.stores[spa.StorageMemory].Get("oidcwasm.w.discovery"); ok {
		t.Error("the memory store holds the document too")
	}
}

const discoveryTTL = time.Hour // spa.discoveryTTL

// TestAnOldStoredDiscoveryIsUsedAndFetchedAgainInTheBackground: past its
// hour, the stored document still lets a reload restore its session without
// waiting for the provider (stale-while-revalidate); the fetch it starts
// stores a fresh document for the next load.
func TestAnOldStoredDiscoveryIsUsedAndFetchedAgainInTheBackground(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		e.login("a")
		storedAt := func() time.Time {
			raw, _ := e.stores[spa.StorageSession].Get("oidcwasm.a.discovery")
			var sd struct {
				Doc struct {
					FetchedAt time.Time `json:"fetched_at"`
				} `json:"doc"`
			}
			if err := json.Unmarshal([]byte(raw), &sd); err != nil {
				t.Fatalf("stored discovery %q: %v", raw, err)
			}
			return sd.Doc.FetchedAt
		}
		first := storedAt()
		e.clk.Advance(discoveryTTL) // an hour old: no longer fresh

		gate := make(chan struct{})
		asked := 0
		inner := e.op.Fetcher()
		f := spa.FetcherFunc(func(ctx context.Context, req *spa.Request) (*spa.Response, error) {
			if strings.HasSuffix(req.URL, "/.well-known/openid-configuration") {
				asked++
				<-gate // the provider is slow
			}
			return inner.Fetch(ctx, req)
		})
		m := spa.NewManager(spa.Options{Fetcher: f, Stores: e.stores, Clock: e.clk})
		configured := make(chan error, 1)
		go func() { configured <- m.Configure(context.Background(), []spa.Config{cfg("a")}) }()
		synctest.Wait() // configure returned, or waits at the gate
		select {
		case err := <-configured:
			if err != nil {
				t.Fatal(err)
			}
		default:
			close(gate)
			t.Fatal("Configure waited for the provider although a stored discovery document was at hand")
		}
		if s, _ := m.Session("a"); s == nil {
			t.Fatal("the session was not restored while discovery was being fetched")
		}
		if asked != 1 {
			t.Fatalf("%d discovery requests, want the one refetch of the old document", asked)
		}
		close(gate)
		synctest.Wait() // the background fetch is done
		if got := storedAt(); got.Equal(first) || !got.Equal(e.clk.Now()) {
			t.Errorf("stored discovery fetched at %v, want now %v (the background fetch's)", got, e.clk.Now())
		}
	})
}

func TestRevokeAccessTokenRenewsNextTime(t *testing.T) {
	e := newEnv(t)
	s := e.login("a")
	if err := e.m.Revoke(context.Background(), "a", spa.HintAccessToken, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.UserInfo(context.Background(), "a"); err != nil {
		t.Fatalf("userinfo after revoke+renew: %v", err)
	}
	cur, _ := e.m.Session("a")
	if cur.AccessToken == s.AccessToken || cur.AccessToken == "" {
		t.Fatal("the revoked access token is still in use")
	}
	if err := e.m.Revoke(context.Background(), "a", spa.HintRefreshToken, ""); err != nil {
		t.Fatal(err)
	}
	if len(e.op.ValidRefreshTokens()) != 0 {
		t.Fatal("refresh token still valid at the provider")
	}
}

func TestLogoffEndsOnlyThatConfig(t *testing.T) {
	e := newEnv(t, cfg("a"), cfg("b"))
	sa := e.login("a")
	e.login("b")
	raw, err := e.m.Logoff(context.Background(), "a", spa.EndSessionOptions{CustomParams: map[string]string{"ui_locales": "fr"}})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	if u.Path != "/logout" || q.Get("id_token_hint") != sa.IDToken || q.Get("post_logout_redirect_uri") != "https://app.example/" ||
		q.Get("state") == "" || q.Get("client_id") != "client-a" || q.Get("ui_locales") != "fr" {
		t.Fatalf("end-session URL %s", raw)
	}
	if e.m.IsAuthenticated("a") || !e.m.IsAuthenticated("b") {
		t.Fatal("logoff of a must end a's session only")
	}
	if _, ok := e.stores[spa.StorageSession].Get("oidcwasm.a.session"); ok {
		t.Fatal("a's session is still stored")
	}
}

func TestErrorsNeverContainTokens(t *testing.T) {
	e := newEnv(t)
	s := e.login("a")
	e.op.RevokeRefreshTokens()
	_, err := e.m.Renew(context.Background(), "a")
	for _, secret := range []string{s.AccessToken, s.RefreshToken, s.IDToken} {
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error %q contains a token", err)
		}
	}
	var se *spa.Error
	if !errors.As(err, &se) || se.ConfigID != "a" {
		t.Fatalf("error %#v lacks its config", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.events {
		for _, secret := range []string{s.AccessToken, s.RefreshToken, s.IDToken} {
			if strings.Contains(ev.Message, secret) {
				t.Fatalf("event %+v contains a token", ev)
			}
		}
	}
}

func setParam(raw, k, v string) string {
	u, _ := url.Parse(raw)
	q := u.Query()
	if v == "" {
		q.Del(k)
	} else {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func BenchmarkAccessTokenFastPath(b *testing.B) {
	clk := &clock{now: time.Now()}
	op := fakeop.New(b, clk)
	m := spa.NewManager(spa.Options{Fetcher: op.Fetcher(), Clock: clk})
	if err := m.Configure(context.Background(), []spa.Config{cfg("a")}); err != nil {
		b.Fatal(err)
	}
	if _, err := op.Login(context.Background(), m, "a"); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.AccessToken(ctx, "a"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestUserinfoAndRevocationAnswersAreChecked(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		h       http.HandlerFunc
		call    func(e *env) error
		code    string
	}{
		{"userinfo HTML", "GET /userinfo", discoveryDoc("<html>", "text/html"), callbackWithUserinfo, spa.CodeInvalidResponse},
		{"userinfo malformed JSON", "GET /userinfo", discoveryDoc(`{"sub":`, "application/json"), callbackWithUserinfo, spa.CodeInvalidResponse},
		{"userinfo OAuth error", "GET /userinfo", oauthErr(403, "insufficient_scope"), callbackWithUserinfo, "insufficient_scope"},
		{"revocation OAuth error", "POST /revoke", oauthErr(400, "unsupported_token_type"), revokeAccess, "unsupported_token_type"},
		{"revocation server error HTML", "POST /revoke", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(503)
		}, revokeAccess, spa.CodeInvalidResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.pattern == "POST /revoke" {
				e.login("a")
			}
			e.op.Handle(tt.pattern, tt.h)
			before, _ := e.m.Session("a")
			wantCode(t, tt.call(e), tt.code)
			if after, _ := e.m.Session("a"); after != before {
				t.Fatal("a refused answer changed the session")
			}
		})
	}
}

func callbackWithUserinfo(e *env) error {
	_, err := e.m.CheckAuth(context.Background(), e.callbackURL("a"))
	return err
}

func revokeAccess(e *env) error {
	return e.m.Revoke(context.Background(), "a", spa.HintAccessToken, "")
}

func oauthErr(status int, code string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(`{"error":"` + code + `"}`))
	}
}

func TestTakeLogoutReturnRecognisesOnlyOurOwnRecentLogoff(t *testing.T) {
	e := newEnv(t)
	e.login("a")
	raw, err := e.m.Logoff(context.Background(), "a", spa.EndSessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	back := "https://app.example/?state=" + url.QueryEscape(u.Query().Get("state"))
	for _, forged := range []string{"https://app.example/?state=guess", back + "&code=x", "https://app.example/"} {
		if e.m.TakeLogoutReturn(forged) {
			t.Errorf("TakeLogoutReturn(%q) = true", forged)
		}
	}
	if !e.m.TakeLogoutReturn(back) {
		t.Fatal("the provider's return after our logoff was not recognised")
	}
	if e.m.TakeLogoutReturn(back) {
		t.Fatal("the logoff state was recognised twice")
	}
	if got := spa.CleanCallbackURL(back); got != "https://app.example/" {
		t.Fatalf("CleanCallbackURL = %q", got)
	}
	e.login("a")
	raw, _ = e.m.Logoff(context.Background(), "a", spa.EndSessionOptions{})
	u, _ = url.Parse(raw)
	e.clk.Advance(16 * time.Minute)
	if e.m.TakeLogoutReturn("https://app.example/?state=" + url.QueryEscape(u.Query().Get("state"))) {
		t.Fatal("a logoff older than 15 minutes was recognised")
	}
}

// TestResolveConfigIDIsTheFirstConfigForNone: the one rule the bridge and
// go-app use for a call without configId.
func TestResolveConfigIDIsTheFirstConfigForNone(t *testing.T) {
	m := spa.NewManager(spa.Options{})
	if got := m.ResolveConfigID(""); got != "" {
		t.Errorf("before Configure: %q, want \"\"", got)
	}
	e := newEnv(t, cfg("b"), cfg("a"))
	for in, want := range map[string]string{"": "b", "a": "a", "x": "x"} {
		if got := e.m.ResolveConfigID(in); got != want {
			t.Errorf("ResolveConfigID(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestABackgroundDiscoveryRefreshThatFailsDropsTheOldDocumentUnlessTheNetworkFailed:
// a provider that now answers with a document that does not fit (moved, or
// another issuer) must show at the next configure, not be hidden behind the
// old document forever; an unreachable provider keeps it (it is still the
// best there is).
func TestABackgroundDiscoveryRefreshThatFailsDropsTheOldDocumentUnlessTheNetworkFailed(t *testing.T) {
	for _, tt := range []struct {
		name     string
		answer   http.HandlerFunc // nil: the network fails
		wantKept bool
		wantNext string // the next configure's code
	}{
		{"network failure", nil, true, ""},
		{"another issuer", discoveryDoc(`{"issuer":"https://evil.example","authorization_endpoint":"https://op.example/authorize","token_endpoint":"https://op.example/token","jwks_uri":"https://op.example/jwks"}`, "application/json"), false, spa.CodeIssMismatch},
		{"not found", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, false, spa.CodeInvalidResponse},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t)
				e.clk.Advance(discoveryTTL)
				inner := e.op.Fetcher()
				f := spa.FetcherFunc(func(ctx context.Context, req *spa.Request) (*spa.Response, error) {
					if tt.answer == nil && strings.HasSuffix(req.URL, "/.well-known/openid-configuration") {
						return nil, errors.New("offline")
					}
					return inner.Fetch(ctx, req)
				})
				if tt.answer != nil {
					e.op.Handle("GET /.well-known/openid-configuration", tt.answer)
				}
				m := spa.NewManager(spa.Options{Fetcher: f, Stores: e.stores, Clock: e.clk})
				if err := m.Configure(context.Background(), []spa.Config{cfg("a")}); err != nil {
					t.Fatalf("configure with the old document at hand: %v", err)
				}
				synctest.Wait() // the background refresh is done
				_, kept := e.stores[spa.StorageSession].Get("oidcwasm.a.discovery")
				if kept != tt.wantKept {
					t.Fatalf("old document kept: %v, want %v", kept, tt.wantKept)
				}
				err := spa.NewManager(spa.Options{Fetcher: f, Stores: e.stores, Clock: e.clk}).Configure(context.Background(), []spa.Config{cfg("a")})
				if tt.wantNext == "" && err != nil {
					t.Fatalf("the next configure: %v", err)
				} else if tt.wantNext != "" {
					wantCode(t, err, tt.wantNext)
				}
			})
		})
	}
}

// TestAMinimalDiscoveryDocumentIsEnough: only issuer and the authorization,
// token and JWKS endpoints are required (OpenID Connect Discovery §3); a
// provider without userinfo, revocation, end-session or PAR endpoints signs
// users in, and what needs a missing endpoint says so when it is called.
func TestAMinimalDiscoveryDocumentIsEnough(t *testing.T) {
	e := newEnv(t)
	e.op.Handle("GET /.well-known/openid-configuration", discoveryDoc(`{"issuer":"`+fakeop.Issuer+`",`+
		`"authorization_endpoint":"`+fakeop.Issuer+`/authorize","token_endpoint":"`+fakeop.Issuer+`/token",`+
		`"jwks_uri":"`+fakeop.Issuer+`/jwks","id_token_signing_alg_values_supported":["ES256"]}`, "application/json"))
	m := spa.NewManager(spa.Options{Fetcher: e.op.Fetcher(), Clock: e.clk})
	if err := m.Configure(context.Background(), []spa.Config{cfg("a")}); err != nil {
		t.Fatalf("Configure with a minimal discovery document: %v", err)
	}
	if _, err := e.op.Login(context.Background(), m, "a"); err != nil {
		t.Fatalf("sign-in without a userinfo endpoint: %v", err)
	}
	_, err := m.UserInfo(context.Background(), "a")
	wantCode(t, err, spa.CodeUnsupported)
	wantCode(t, m.Revoke(context.Background(), "a", spa.HintRefreshToken, ""), spa.CodeUnsupported)
}

// TestConfigReturnsDefaultsAndRefusesAnUnknownID: Config is the config with
// its defaults applied; an ID nobody configured is an error, not a zero Config.
func TestConfigReturnsDefaultsAndRefusesAnUnknownID(t *testing.T) {
	e := newEnv(t)
	c, err := e.m.Config("")
	if err != nil || c.ConfigID != "a" || c.TimeoutFactor != 0.75 || c.SilentRenewTimeout != 20*time.Second {
		t.Errorf("Config(\"\") = %+v, %v; want config a with its defaults", c, err)
	}
	if c, err := e.m.Config("nope"); err == nil || c.ConfigID != "" {
		t.Errorf("Config(\"nope\") = %+v, %v; want an error", c, err)
	}
}

// TestUserInfoWithoutASessionIsLoginRequired: nothing goes to the userinfo
// endpoint without a session.
func TestUserInfoWithoutASessionIsLoginRequired(t *testing.T) {
	e := newEnv(t)
	_, err := e.m.UserInfo(context.Background(), "a")
	wantCode(t, err, spa.CodeLoginRequired)
	if n := e.op.Requests("/userinfo"); n != 0 {
		t.Errorf("%d userinfo requests without a session", n)
	}
}
