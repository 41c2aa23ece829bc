package spa_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/internal/fakeop"
	"github.com/oidcwasm/oidcwasm/spa"
)

// TestCallbackFetchesTheKeysDuringTheExchangeAndUserinfoAfterVerification:
// on a callback with nothing cached, the JWKS request goes out before the
// token endpoint has answered (it sends nothing of the answer), while the new
// access token goes to userinfo only after the keys arrived and the ID token
// was verified (verify, then use). The token endpoint here answers only once
// the JWKS request has arrived, so a sequential Exchange would wait it out.
func TestCallbackFetchesTheKeysDuringTheExchangeAndUserinfoAfterVerification(t *testing.T) {
	e := newEnv(t)
	jwksAsked := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	var order []string
	f := spa.FetcherFunc(func(ctx context.Context, req *spa.Request) (*spa.Response, error) {
		u, _ := url.Parse(req.URL)
		if u.Path == "/jwks" {
			once.Do(func() { close(jwksAsked) })
		}
		if u.Path == "/token" {
			select {
			case <-jwksAsked:
			case <-time.After(5 * time.Second):
				t.Error("the token endpoint answered before the JWKS was requested")
			}
		}
		mu.Lock()
		order = append(order, u.Path+" asked")
		mu.Unlock()
		resp, err := e.op.Fetcher().Fetch(ctx, req)
		mu.Lock()
		order = append(order, u.Path+" answered")
		mu.Unlock()
		return resp, err
	})
	m := spa.NewManager(spa.Options{Fetcher: f, Stores: e.stores, Clock: e.clk})
	ctx := context.Background()
	if err := m.Configure(ctx, []spa.Config{cfg("a")}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	order = nil // discovery
	mu.Unlock()
	u, err := m.Authorize(ctx, "a", spa.AuthorizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	back, err := e.op.Authorize(u)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.CheckAuth(ctx, back)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || !res[0].IsAuthenticated {
		t.Fatalf("CheckAuth = %+v, want signed in", res)
	}
	s, _ := m.Session("a")
	if s == nil || s.UserData["email"] != "alice@example.com" {
		t.Fatalf("session %+v: userinfo not merged", s)
	}
	mu.Lock()
	defer mu.Unlock()
	if i, j := slices.Index(order, "/jwks answered"), slices.Index(order, "/userinfo asked"); i < 0 || j < i {
		t.Errorf("requests %q: userinfo was asked before the keys to verify the ID token had arrived", order)
	}
}

// TestASilentSignInAsAnotherUserEndsTheSession: the iframe's answer must keep
// the signed-in user (OpenID Connect Core §12.2 applied to
// re-authentication); another user at the provider ends the local session
// rather than swap it (docs/DESIGN.md "Renewal").
func TestASilentSignInAsAnotherUserEndsTheSession(t *testing.T) {
	e := newEnv(t)
	e.withFrame(noRefresh(cfg("a")))
	e.login("a")
	e.op.SetSubject("bob")
	ctx := context.Background()
	_, err := e.m.Renew(ctx, "a")
	wantCode(t, err, spa.CodeInvalidIDToken)
	if !strings.Contains(err.Error(), "another user") {
		t.Errorf("error %q does not say the user changed", err)
	}
	if s, _ := e.m.Session("a"); s != nil {
		t.Error("the session of alice is still there after bob signed in silently")
	}
	if _, ok := e.stores[spa.StorageSession].Get("oidcwasm.a.session"); ok {
		t.Error("the session is still stored")
	}
	if got := strings.Join(e.eventTypes(), ","); !strings.Contains(got, "silentRenewStarted:a,loggedOut:a") {
		t.Errorf("events %s, want loggedOut after the renewal started", got)
	}
}

// TestASilentRenewalKeepsThePerAPITokensAndSaysRefreshed: the same user's
// iframe renewal replaces the login token only, keeps the per-API tokens,
// and is tokenRefreshed, not a new sign-in.
func TestASilentRenewalKeepsThePerAPITokensAndSaysRefreshed(t *testing.T) {
	e := newEnv(t, apiConfig())
	e.withFrame(noRefresh(apiConfig()))
	before := e.login("a")
	ctx := context.Background()
	o := spa.TokenOptions{Resource: orders, Scope: "orders.read"}
	api, err := e.m.AccessTokenFor(ctx, "a", o)
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.m.Renew(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if s.AccessToken == before.AccessToken {
		t.Error("the login token was not renewed")
	}
	if got := s.APITokens[o.Key()]; got == nil || got.AccessToken != api {
		t.Errorf("per-API token after the silent renewal: %+v, want %q kept", got, api)
	}
	if got := e.eventTypes(); got[len(got)-1] != "tokenRefreshed:a" {
		t.Errorf("events %v, want tokenRefreshed last", got)
	}
}

// frameRenewer renews as silentrefresh's hidden iframe does, against the
// fake provider: each Renewal's silent request is loaded (answer; by default
// the provider's answer to its URL) and the answer handed back through
// Renewal.Complete, for the login token and per-API tokens alike; a session
// with a refresh token is refreshed instead. asked records the requests.
type frameRenewer struct {
	op     *fakeop.OP
	answer func(req spa.AuthRequest) (string, error)
	mu     sync.Mutex
	asked  []spa.AuthRequest
}

func (f *frameRenewer) Renew(ctx context.Context, rn *spa.Renewal) error {
	if rn.Session().RefreshToken != "" {
		rn.Started(spa.MethodRefreshToken)
		return rn.Refresh(ctx)
	}
	rn.Started(spa.MethodIframe)
	return f.RenewAPIToken(ctx, rn)
}

func (f *frameRenewer) RenewAPIToken(ctx context.Context, rn *spa.Renewal) error {
	req, err := rn.SilentRequest(ctx)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.asked = append(f.asked, req)
	answer := f.answer
	f.mu.Unlock()
	var back string
	if answer != nil {
		back, err = answer(req)
	} else {
		back, err = f.op.Authorize(req.URL)
	}
	if err != nil {
		return err
	}
	return rn.Complete(ctx, req, back)
}

// last is the last request the renewer was asked to load.
func (f *frameRenewer) last(t *testing.T) spa.AuthRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.asked) == 0 {
		t.Fatal("no silent request was made")
	}
	return f.asked[len(f.asked)-1]
}

// withFrame replaces e.m with a Manager over the same stores whose Renewer
// is a frameRenewer, configured with configs (default cfg("a")).
func (e *env) withFrame(configs ...spa.Config) *frameRenewer {
	e.t.Helper()
	f := &frameRenewer{op: e.op}
	if len(configs) == 0 {
		configs = []spa.Config{cfg("a")}
	}
	e.m = e.managerWith(spa.Options{Renewer: f}, configs...)
	return f
}
