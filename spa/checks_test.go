package spa_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
)

// Checks that no other test noticed when they were turned off (issue: "the
// core, made to carry on"), one test each.

// TestRefreshSendsCustomParamsRefreshTokenRequest: the config's
// customParamsRefreshTokenRequest go with every refresh grant, and cannot
// replace the grant's own parameters.
func TestRefreshSendsCustomParamsRefreshTokenRequest(t *testing.T) {
	e := newEnv(t)
	c := cfg("a")
	c.UseRefreshToken = true
	c.CustomParamsRefreshTokenRequest = map[string]string{"audience_hint": "orders"}
	var mu sync.Mutex
	var forms []url.Values
	inner := e.op.Fetcher()
	m := spa.NewManager(spa.Options{Stores: e.stores, Clock: e.clk, Fetcher: spa.FetcherFunc(func(ctx context.Context, req *spa.Request) (*spa.Response, error) {
		if strings.HasSuffix(strings.SplitN(req.URL, "?", 2)[0], "/token") {
			f, _ := url.ParseQuery(string(req.Body))
			mu.Lock()
			forms = append(forms, f)
			mu.Unlock()
		}
		return inner.Fetch(ctx, req)
	})})
	if err := m.Configure(context.Background(), []spa.Config{c}); err != nil {
		t.Fatal(err)
	}
	e.m = m
	e.login("a")
	if _, err := m.Renew(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(forms) != 2 {
		t.Fatalf("%d token requests, want the code exchange and one refresh", len(forms))
	}
	if forms[0].Has("audience_hint") {
		t.Error("the code exchange carries the refresh-only custom parameter")
	}
	if r := forms[1]; r.Get("grant_type") != "refresh_token" || r.Get("audience_hint") != "orders" {
		t.Errorf("refresh request %v, want grant_type refresh_token and audience_hint=orders", r)
	}
}

// TestOnlyTheNewestPendingTransactionsAreKept: a tab that starts sign-in
// again and again keeps at most 20 pending transactions, the newest; an
// older one's answer is then refused.
func TestOnlyTheNewestPendingTransactionsAreKept(t *testing.T) {
	e := newEnv(t)
	var urls []string
	for range 25 {
		u, err := e.m.Authorize(context.Background(), "a", spa.AuthorizeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, u)
		e.clk.Advance(time.Second)
	}
	if n := len(e.stores[spa.StorageSession].Keys("oidcwasm.tx.")); n != 20 {
		t.Errorf("%d pending transactions stored, want 20", n)
	}
	first, err := e.op.Authorize(urls[0])
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.m.ValidateCallback(context.Background(), first)
	wantCode(t, err, spa.CodeStateMismatch)
	last, err := e.op.Authorize(urls[24])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.ValidateCallback(context.Background(), last); err != nil {
		t.Errorf("the newest transaction was refused: %v", err)
	}
}

// TestAnswerToARequestMadeForAnotherClientIsRefused: configure replaced the
// config's client while the user was at the provider; the answer belongs to
// the old client and is refused without a token request.
func TestAnswerToARequestMadeForAnotherClientIsRefused(t *testing.T) {
	e := newEnv(t)
	back := e.callbackURL("a")
	c := cfg("a")
	c.ClientID = "another-client"
	if err := e.m.Configure(context.Background(), []spa.Config{c}); err != nil {
		t.Fatal(err)
	}
	tokens := e.op.Requests("/token")
	_, err := e.m.CheckAuth(context.Background(), back)
	wantCode(t, err, spa.CodeStateMismatch)
	if !strings.Contains(err.Error(), "another authority or client") {
		t.Errorf("error %q does not say why", err)
	}
	if n := e.op.Requests("/token") - tokens; n != 0 {
		t.Errorf("%d token requests for a refused answer", n)
	}
}
