package spa_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/internal/fakeop"
	"github.com/oidcwasm/oidcwasm/spa"
)

// managerWithTokenHook is managerWithTokenHookOf for cfg("a").
func (e *env) managerWithTokenHook(before func(form string), after func(form string, resp *spa.Response)) *spa.Manager {
	e.t.Helper()
	return e.managerWithTokenHookOf(cfg("a"), before, after)
}

// editTokenAnswer is an after-hook for managerWithTokenHook: it applies edit
// to the JSON body of each token answer whose request form contains match.
func editTokenAnswer(t *testing.T, match string, edit func(body map[string]any)) func(form string, resp *spa.Response) {
	return func(form string, resp *spa.Response) {
		if !strings.Contains(form, match) {
			return
		}
		var body map[string]any
		if err := json.Unmarshal(resp.Body, &body); err != nil {
			t.Fatal(err)
		}
		edit(body)
		resp.Body, _ = json.Marshal(body)
	}
}

// TestAccessTokenExpiryCountsFromWhenTheRequestWasSent: a token answer that
// takes 30 s must not give the token 30 s more than the provider does
// (docs/DESIGN.md "Contract details").
func TestAccessTokenExpiryCountsFromWhenTheRequestWasSent(t *testing.T) {
	e := newEnv(t)
	e.op.SetAccessTTL(60 * time.Second)
	var sent []time.Time
	m := e.managerWithTokenHook(func(string) {
		sent = append(sent, e.clk.Now())
		e.clk.Advance(30 * time.Second) // a slow provider
	}, nil)
	s, err := e.op.Login(context.Background(), m, "a")
	if err != nil {
		t.Fatal(err)
	}
	if want := sent[0].Add(60 * time.Second); !s.ExpiresAt.Equal(want) {
		t.Errorf("after the code exchange: expires %v, want %v (sent + expires_in)", s.ExpiresAt, want)
	}
	e.clk.Advance(time.Minute)
	s, err = m.Renew(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	if want := sent[1].Add(60 * time.Second); !s.ExpiresAt.Equal(want) {
		t.Errorf("after the refresh: expires %v, want %v (sent + expires_in)", s.ExpiresAt, want)
	}
}

// TestARefreshAnswerThatFailsVerificationEndsTheSession: the provider has
// already used up the old refresh token, so keeping the session would leave a
// signed-in look with a dead token (docs/DESIGN.md "Renewal").
func TestARefreshAnswerThatFailsVerificationEndsTheSession(t *testing.T) {
	e := newEnv(t)
	m := e.managerWithTokenHook(nil, editTokenAnswer(t, "grant_type=refresh_token", func(body map[string]any) {
		idt := body["id_token"].(string)
		// Another signature: the token no longer verifies.
		body["id_token"] = idt[:strings.LastIndexByte(idt, '.')+1] + "AAAA" + idt[strings.LastIndexByte(idt, '.')+5:]
	}))
	if _, err := e.op.Login(context.Background(), m, "a"); err != nil {
		t.Fatal(err)
	}
	_, err := m.Renew(context.Background(), "a")
	wantCode(t, err, spa.CodeInvalidIDToken)
	if m.IsAuthenticated("a") {
		t.Error("still signed in after a refresh answer that failed verification")
	}
	if _, ok := e.stores[spa.StorageSession].Get("oidcwasm.a.session"); ok {
		t.Error("the session is still stored")
	}
	got := strings.Join(e.eventTypes(), ",")
	if !strings.HasSuffix(got, "silentRenewFailed:a,loggedOut:a") {
		t.Errorf("events %s, want silentRenewFailed then loggedOut", got)
	}
	var failed spa.Event
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.events {
		if ev.Type == spa.EventSilentRenewFailed {
			failed = ev
		}
	}
	if failed.Code != spa.CodeInvalidIDToken {
		t.Errorf("silentRenewFailed code %q, want %s", failed.Code, spa.CodeInvalidIDToken)
	}
}

// TestEachCallersContextBoundsItsOwnWaitForASharedRenewal: the first caller
// gives up at its deadline while the renewal goes on for the others
// (x/oauth2's ReuseTokenSource shape).
func TestEachCallersContextBoundsItsOwnWaitForASharedRenewal(t *testing.T) {
	e := newEnv(t)
	s := e.login("a")
	e.clk.Advance(11 * time.Minute) // expired
	gate := make(chan struct{})
	e.op.SetTokenGate(gate)

	first := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err := e.m.AccessToken(ctx, "a")
		first <- err
	}()
	select {
	case err := <-first:
		wantCode(t, err, spa.CodeTimeout)
	case <-time.After(10 * time.Second):
		close(gate)
		t.Fatal("the first caller's 200 ms deadline did not end its wait")
	}
	other := make(chan string, 1)
	go func() {
		tok, err := e.m.AccessToken(context.Background(), "a")
		if err != nil {
			t.Error(err)
		}
		other <- tok
	}()
	close(gate)
	if tok := <-other; tok == "" || tok == s.AccessToken {
		t.Errorf("the other caller got %q, want the renewed token", tok)
	}
	if n := len(e.op.Tokens("refresh_token")); n != 1 {
		t.Errorf("%d refresh requests, want 1: the renewal went on after the first caller left", n)
	}
}

// TestCleanAddressLeavesTheAddressAtTheConfiguredRedirectURL: whatever the
// provider appends (scope, session_state, authuser, …) leaves with code and
// state, and the app's own parameters stay (docs/DESIGN.md, checkAuth).
func TestCleanAddressLeavesTheAddressAtTheConfiguredRedirectURL(t *testing.T) {
	withOwn := cfg("b")
	withOwn.RedirectURL = "https://app.example/cb2?app=1&lang=de"
	e := newEnv(t, cfg("a"), withOwn)
	for _, tt := range []struct {
		name, raw, want string
		ok              bool
	}{
		{"provider extras", "https://app.example/cb?code=c&state=s&iss=https%3A%2F%2Fop.example&scope=openid+profile&session_state=x&authuser=0&prompt=none", "https://app.example/cb", true},
		{"the app's own kept", "https://app.example/cb2?app=1&code=c&lang=de&state=s&hd=example.com", "https://app.example/cb2?app=1&lang=de", true},
		{"error response", "https://app.example/cb?error=access_denied&state=s&error_description=no", "https://app.example/cb", true},
		{"unknown page: known parameters only", "https://app.example/other?code=c&state=s&keep=1", "https://app.example/other?keep=1", true},
		{"own parameter with another value: known parameters only", "https://app.example/cb2?app=2&lang=de&code=c&state=s", "https://app.example/cb2?app=2&lang=de", true},
		{"not a callback", "https://app.example/cb?scope=x", "https://app.example/cb?scope=x", false},
	} {
		got, ok := e.m.CleanAddress(tt.raw)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: CleanAddress(%s) = %q, %v; want %q, %v", tt.name, tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}

// fullStore is a MemoryStore whose writes fail while full is set, as a full
// or disabled Web Storage.
type fullStore struct {
	spa.MemoryStore
	full bool
}

func (s *fullStore) Set(k, v string) error {
	if s.full {
		return errors.New("QuotaExceededError")
	}
	return s.MemoryStore.Set(k, v)
}

// TestStorageAndProviderGapsHaveTheirOwnCodes: a refused storage write is
// storage_error and a provider without the endpoint is
// unsupported_by_provider, never invalid_config (nothing in the config is
// wrong), and neither leaves anything half-stored.
func TestStorageAndProviderGapsHaveTheirOwnCodes(t *testing.T) {
	t.Run("transaction store full", func(t *testing.T) {
		e := newEnv(t)
		e.stores[spa.StorageSession] = &fullStore{full: true}
		m := e.manager()
		if err := m.Configure(context.Background(), []spa.Config{cfg("a")}); err != nil {
			t.Fatal(err)
		}
		_, err := m.Authorize(context.Background(), "a", spa.AuthorizeOptions{})
		wantCode(t, err, spa.CodeStorage)
	})
	t.Run("session store full", func(t *testing.T) {
		e := newEnv(t)
		c := cfg("a")
		c.Storage = spa.StorageLocal
		e.stores[spa.StorageLocal] = &fullStore{full: true}
		m := e.manager()
		if err := m.Configure(context.Background(), []spa.Config{c}); err != nil {
			t.Fatal(err)
		}
		_, err := e.op.Login(context.Background(), m, "a")
		wantCode(t, err, spa.CodeStorage)
		if m.IsAuthenticated("a") {
			t.Error("signed in although the session could not be stored")
		}
	})
	t.Run("no revocation endpoint", func(t *testing.T) {
		e := newEnv(t)
		m := withoutEndpoints(t, e, "revocation_endpoint")
		if _, err := e.op.Login(context.Background(), m, "a"); err != nil {
			t.Fatal(err)
		}
		err := m.Revoke(context.Background(), "a", "access_token", "")
		wantCode(t, err, spa.CodeUnsupported)
	})
}

// TestRevokeDuringARenewalKeepsTheRenewedSession: a renewal that stores a
// new session while a revocation request is on the wire must not be undone
// by the revocation writing back the session it started from (whose refresh
// token the renewal has used up).
func TestRevokeDuringARenewalKeepsTheRenewedSession(t *testing.T) {
	e := newEnv(t)
	var m *spa.Manager
	renewed := false
	inner := e.op.Fetcher()
	m = spa.NewManager(spa.Options{Stores: e.stores, Clock: e.clk, Fetcher: spa.FetcherFunc(func(ctx context.Context, req *spa.Request) (*spa.Response, error) {
		if strings.HasSuffix(req.URL, "/revoke") && !renewed {
			renewed = true
			if _, err := m.Renew(ctx, "a"); err != nil { // lands while the revocation is on the wire
				t.Errorf("renewal: %v", err)
			}
		}
		return inner.Fetch(ctx, req)
	})})
	if err := m.Configure(context.Background(), []spa.Config{cfg("a")}); err != nil {
		t.Fatal(err)
	}
	old, err := e.op.Login(context.Background(), m, "a")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Revoke(context.Background(), "a", spa.HintAccessToken, ""); err != nil {
		t.Fatal(err)
	}
	cur, _ := m.Session("a")
	if cur == nil || cur.RefreshToken == old.RefreshToken || cur.AccessToken == "" || cur.AccessToken == old.AccessToken {
		t.Fatalf("after revoking the old access token during a renewal: session %v, refresh token renewed %v, access token kept %v; want the renewed session",
			cur != nil, cur != nil && cur.RefreshToken != old.RefreshToken, cur != nil && cur.AccessToken != "" && cur.AccessToken != old.AccessToken)
	}
	// The session goes on: its refresh token is the live one.
	e.clk.Advance(11 * time.Minute)
	if _, err := m.AccessToken(context.Background(), "a"); err != nil {
		t.Errorf("the next renewal: %v (a used-up refresh token came back)", err)
	}
	if n := e.op.Reuses(); n != 0 {
		t.Errorf("%d refresh tokens replayed, want 0", n)
	}
}

// keepRenewal is a Renewer that renews with the refresh token and keeps its
// Renewal, as a careless custom Renewer might.
type keepRenewal struct {
	kept    *spa.Renewal
	succeed bool // RenewAPIToken returns nil (storing nothing)
}

func (k *keepRenewal) Renew(ctx context.Context, r *spa.Renewal) error {
	k.kept = r
	r.Started(spa.MethodRefreshToken)
	return r.Refresh(ctx)
}

// RenewAPIToken keeps its Renewal too, and fails as an iframe that timed out.
func (k *keepRenewal) RenewAPIToken(_ context.Context, r *spa.Renewal) error {
	k.kept = r
	if k.succeed {
		return nil
	}
	return &spa.Error{Code: spa.CodeTimeout, Message: "no iframe answered"} // the Manager names the config
}

// TestARenewalActsOnlyWhileItsLockIsHeld: the steps a Renewer gets (announce
// a renewal, spend the refresh token) are refused once Renew has returned,
// so nothing can emit renewal events or redeem the refresh token outside the
// renewal lock (docs/DESIGN.md "Renewal").
func TestARenewalActsOnlyWhileItsLockIsHeld(t *testing.T) {
	e := newEnv(t)
	k := &keepRenewal{}
	m := spa.NewManager(spa.Options{Fetcher: e.op.Fetcher(), Stores: e.stores, Clock: e.clk, Renewer: k})
	m.Subscribe(func(ev spa.Event) { e.mu.Lock(); e.events = append(e.events, ev); e.mu.Unlock() })
	if err := m.Configure(context.Background(), []spa.Config{cfg("a")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.op.Login(context.Background(), m, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Renew(context.Background(), "a"); err != nil {
		t.Fatalf("Renew: %v", err)
	}
	refreshes := len(e.op.Tokens("refresh_token"))
	before := len(e.eventTypes())
	sess, _ := m.Session("a")

	k.kept.Started(spa.MethodIframe)
	err := k.kept.Refresh(context.Background())
	if err == nil || !strings.Contains(err.Error(), "after Renew returned") {
		t.Errorf("Refresh on a finished renewal: %v, want refused", err)
	}
	if n := len(e.op.Tokens("refresh_token")); n != refreshes {
		t.Errorf("the finished renewal sent %d refresh requests", n-refreshes)
	}
	if got := e.eventTypes()[before:]; len(got) != 0 {
		t.Errorf("the finished renewal emitted %v", got)
	}
	if now, _ := m.Session("a"); now.AccessToken != sess.AccessToken {
		t.Error("the finished renewal changed the session")
	}

	// The Renewal of a per-API token (a session without a refresh token)
	// is finished the same way.
	c := cfg("b")
	c.Scope = "openid profile" // no offline_access: no refresh token
	if err := m.Configure(context.Background(), []spa.Config{c}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.op.Login(context.Background(), m, "b"); err != nil {
		t.Fatal(err)
	}
	k.kept = nil
	if _, err := m.AccessTokenFor(context.Background(), "b", spa.TokenOptions{Resource: "https://api.example/orders"}); spa.ErrorCode(err) != spa.CodeTimeout {
		t.Fatalf("AccessTokenFor: %v, want the renewer's timeout", err)
	} else if se := (*spa.Error)(nil); !errors.As(err, &se) || se.ConfigID != "b" {
		t.Errorf("the renewer's error %#v does not name config b", err)
	}
	if k.kept == nil {
		t.Fatal("the per-API token was not asked of the Renewer")
	}
	if err := k.kept.Refresh(context.Background()); err == nil || !strings.Contains(err.Error(), "after Renew returned") {
		t.Errorf("Refresh on a finished per-API renewal: %v, want refused", err)
	}
	if _, err := k.kept.SilentRequest(context.Background()); err == nil || !strings.Contains(err.Error(), "after Renew returned") {
		t.Errorf("SilentRequest on a finished per-API renewal: %v, want refused", err)
	}
	// A Renewer that says it succeeded but stored no token is not believed.
	k.succeed = true
	if _, err := m.AccessTokenFor(context.Background(), "b", spa.TokenOptions{Resource: "https://api.example/orders"}); spa.ErrorCode(err) != spa.CodeLoginRequired || !strings.Contains(err.Error(), "left no token") {
		t.Errorf("AccessTokenFor after a renewal that stored nothing: %v, want login_required saying so", err)
	}
}

// TestARenewalDropsTheRequestsNoAnswerCompleted: a silent request whose
// iframe never answered is dropped when its renewal ends, so a late (or
// forged) answer cannot complete it; a kept Renewal cannot complete one.
func TestARenewalDropsTheRequestsNoAnswerCompleted(t *testing.T) {
	e := newEnv(t)
	f := e.withFrame(noRefresh(cfg("a")))
	e.login("a")
	var kept *spa.Renewal
	f.answer = func(spa.AuthRequest) (string, error) { return "", errors.New("no answer") }
	if _, err := e.m.Renew(context.Background(), "a"); spa.ErrorCode(err) != spa.CodeNetwork {
		t.Fatalf("Renew with an iframe that never answers: %v, want network", err)
	}
	req := f.last(t)
	late, err := e.op.Authorize(req.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.m.Complete(context.Background(), req, late)
	wantCode(t, err, spa.CodeStateMismatch)

	// A Renewer that keeps its Renewal cannot use it afterwards.
	k := &keepRenewal{succeed: true}
	m := e.managerWith(spa.Options{Renewer: k}, noRefresh(cfg("a")))
	m.RenewTokenFor(context.Background(), "a", spa.TokenOptions{Resource: "https://api.example/orders"})
	if kept = k.kept; kept == nil {
		t.Fatal("the Renewer was not asked")
	}
	if err := kept.Complete(context.Background(), req, late); err == nil || !strings.Contains(err.Error(), "after Renew returned") {
		t.Errorf("Complete on a finished renewal: %v, want refused", err)
	}
}

// TestReportExpiredTellsOnlyOfAnExpiredToken: a scheduler that gave up asks
// the Manager to report the expiry; tokenExpired goes out only when the
// session's access token has in fact expired.
func TestReportExpiredTellsOnlyOfAnExpiredToken(t *testing.T) {
	e := newEnv(t)
	e.login("a")
	if e.m.ReportExpired("a") || e.m.ReportExpired("nope") {
		t.Error("ReportExpired reported a live token, or a config that does not exist")
	}
	e.clk.Advance(2 * time.Hour)
	if !e.m.ReportExpired("") {
		t.Error("ReportExpired did not report the expired token of the default config")
	}
	if got := strings.Join(e.eventTypes(), ","); strings.Count(got, "tokenExpired") != 1 || !strings.HasSuffix(got, "tokenExpired:a") {
		t.Errorf("events %s, want one tokenExpired:a at the end", got)
	}
}

// spyLocker records, per lock name, whether each lock was asked for as
// guarding a store shared by the tabs.
type spyLocker struct {
	spa.LocalLocker
	mu     sync.Mutex
	shared map[string][]bool
}

func (l *spyLocker) WithLock(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	l.mu.Lock()
	l.shared[name] = append(l.shared[name], spa.GuardsSharedStore(ctx))
	l.mu.Unlock()
	return l.LocalLocker.WithLock(ctx, name, fn)
}

// TestOnlyALocalStorageSessionsRenewalLockGuardsASharedStore: the Locker
// must fence localStorage (web.WebLocks) for a config with storage "local",
// and need not for one in sessionStorage or memory, whose session no other
// tab writes.
func TestOnlyALocalStorageSessionsRenewalLockGuardsASharedStore(t *testing.T) {
	e := newEnv(t)
	l := &spyLocker{shared: map[string][]bool{}}
	m := spa.NewManager(spa.Options{Fetcher: e.op.Fetcher(), Stores: e.stores, Clock: e.clk, Locker: l})
	var configs []spa.Config
	for _, st := range []string{spa.StorageSession, spa.StorageLocal, spa.StorageMemory} {
		c := cfg(st)
		c.Storage = st
		c.Scope += " orders.read"
		c.SecureRoutes = append(c.SecureRoutes, spa.Route{URL: "https://orders.example/" + st, Resource: orders, Scope: "orders.read"})
		configs = append(configs, c)
	}
	if err := m.Configure(context.Background(), configs); err != nil {
		t.Fatal(err)
	}
	for _, c := range configs {
		if _, err := e.op.Login(context.Background(), m, c.ConfigID); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Renew(context.Background(), c.ConfigID); err != nil {
			t.Fatalf("Renew %s: %v", c.ConfigID, err)
		}
		if _, err := m.RenewTokenFor(context.Background(), c.ConfigID, spa.TokenOptions{Resource: orders, Scope: "orders.read"}); err != nil {
			t.Fatalf("RenewTokenFor %s: %v", c.ConfigID, err)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.shared) != len(configs) {
		t.Fatalf("locks %v, want one per config", l.shared)
	}
	for name, asked := range l.shared {
		want := strings.HasSuffix(name, "."+spa.StorageLocal)
		if len(asked) != 2 || asked[0] != want || asked[1] != want {
			t.Errorf("lock %s asked for as guarding a shared store: %v, want %v for the login and the API token", name, asked, want)
		}
	}
}

// TestAFreshTokenIsServedWithoutTheRenewalLock: AccessToken and
// AccessTokenFor answer a token that is not yet due from the session, with no
// Web Lock round trip (the lock's re-read would hide a missing fast path:
// the answer would be the same, only slower and serialised across tabs).
func TestAFreshTokenIsServedWithoutTheRenewalLock(t *testing.T) {
	e := newEnv(t)
	l := &spyLocker{shared: map[string][]bool{}}
	m := spa.NewManager(spa.Options{Fetcher: e.op.Fetcher(), Stores: e.stores, Clock: e.clk, Locker: l})
	c := cfg("a")
	c.Scope += " orders.read"
	c.SecureRoutes = append(c.SecureRoutes, spa.Route{URL: "https://orders.example/", Resource: orders, Scope: "orders.read"})
	if err := m.Configure(context.Background(), []spa.Config{c}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.op.Login(context.Background(), m, "a"); err != nil {
		t.Fatal(err)
	}
	o := spa.TokenOptions{Resource: orders, Scope: "orders.read"}
	if _, err := m.AccessTokenFor(context.Background(), "a", o); err != nil { // the first one is fetched
		t.Fatal(err)
	}
	locks := func() (n int) {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, asked := range l.shared {
			n += len(asked)
		}
		return n
	}
	before := locks()
	for range 3 {
		if _, err := m.AccessToken(context.Background(), "a"); err != nil {
			t.Fatal(err)
		}
		if _, err := m.AccessTokenFor(context.Background(), "a", o); err != nil {
			t.Fatal(err)
		}
	}
	if n := locks() - before; n != 0 {
		t.Errorf("fresh tokens took the renewal lock %d times, want none", n)
	}
}

// TestARefreshReplacesTheIDTokenAndItsClaims: a refresh answer with an ID
// token replaces the session's (the next logout's id_token_hint) and adds its
// claims to userData; one without keeps the previous ID token (OpenID Connect
// Core §12.2: the ID token is optional there); a store that refuses the new
// session makes the refresh fail with storage_error.
func TestARefreshReplacesTheIDTokenAndItsClaims(t *testing.T) {
	e := newEnv(t)
	withIDToken := true
	m := e.managerWithTokenHook(nil, editTokenAnswer(t, "grant_type=refresh_token", func(body map[string]any) {
		if withIDToken {
			claims := map[string]any{"iss": fakeop.Issuer, "sub": "alice", "aud": "client-a",
				"iat": e.clk.Now().Unix(), "exp": e.clk.Now().Add(time.Hour).Unix(), "nickname": "al"}
			body["id_token"] = e.op.Keys().Sign(claims)
		} else {
			delete(body, "id_token")
		}
	}))
	first, err := e.op.Login(context.Background(), m, "a")
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Renew(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	if s.IDToken == first.IDToken || s.UserData["nickname"] != "al" || s.UserData["sub"] != "alice" {
		t.Errorf("after a refresh with an ID token: new ID token %v, userData %v; want the new token and its nickname", s.IDToken != first.IDToken, s.UserData)
	}
	withIDToken = false
	again, err := m.Renew(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	if again.IDToken != s.IDToken || again.AccessToken == s.AccessToken || again.UserData["nickname"] != "al" {
		t.Errorf("after a refresh without an ID token: ID token kept %v, access token new %v, userData %v",
			again.IDToken == s.IDToken, again.AccessToken != s.AccessToken, again.UserData)
	}
}

func TestARefreshWhoseSessionCannotBeStoredFails(t *testing.T) {
	e := newEnv(t)
	st := &fullStore{}
	e.stores[spa.StorageSession] = st
	m := e.manager()
	if err := m.Configure(context.Background(), []spa.Config{cfg("a")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.op.Login(context.Background(), m, "a"); err != nil {
		t.Fatal(err)
	}
	st.full = true
	_, err := m.Renew(context.Background(), "a")
	wantCode(t, err, spa.CodeStorage)
}

// TestARefreshedIDTokenForAnotherUserEndsTheSession: a refreshed ID token
// must keep iss, sub and aud (OpenID Connect Core §12.2); the old refresh
// token is spent, so the session ends with the check's code.
func TestARefreshedIDTokenForAnotherUserEndsTheSession(t *testing.T) {
	e := newEnv(t)
	e.login("a")
	e.op.SetSubject("bob")
	_, err := e.m.Renew(context.Background(), "a")
	wantCode(t, err, spa.CodeInvalidIDToken)
	if !strings.Contains(err.Error(), "another user") {
		t.Errorf("error %q does not say the user changed", err)
	}
	if e.m.IsAuthenticated("a") {
		t.Error("still signed in as alice after the provider refreshed bob's tokens")
	}
}

// TestAFailedRenewalSaysTokenExpiredOnlyWhenTheTokenHasExpired: a transient
// failure keeps the session; tokenExpired follows silentRenewFailed only when
// the access token has run out, not while it is merely due for renewal.
func TestAFailedRenewalSaysTokenExpiredOnlyWhenTheTokenHasExpired(t *testing.T) {
	for _, tt := range []struct {
		name    string
		advance time.Duration // of the 10-minute token
		expired bool
	}{
		{"due, still valid", 8 * time.Minute, false},
		{"expired", 11 * time.Minute, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.login("a")
			e.op.SetTokenFault(&fakeop.Fault{Network: true})
			e.clk.Advance(tt.advance)
			_, err := e.m.Renew(context.Background(), "a")
			wantCode(t, err, spa.CodeNetwork)
			got := strings.Join(e.eventTypes(), ",")
			if !strings.Contains(got, "silentRenewFailed:a") || strings.Contains(got, "tokenExpired:a") != tt.expired {
				t.Errorf("events %s, want silentRenewFailed and tokenExpired %v", got, tt.expired)
			}
			if s, _ := e.m.Session("a"); s == nil {
				t.Error("a transient failure ended the session")
			}
		})
	}
}
