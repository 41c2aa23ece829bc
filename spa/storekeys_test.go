package spa_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/oidcwasm/oidcwasm/spa"
)

// TestStoreKeysAreWhatARestoreReads: StoreKeys names the two keys a signed-in
// config keeps in its store, and with only them a new Manager restores the
// session without the network.
func TestStoreKeysAreWhatARestoreReads(t *testing.T) {
	e := newEnv(t)
	e.login("a")
	session, discovery := spa.StoreKeys("a")
	st := e.stores[spa.StorageSession]
	kept := spa.NewMemoryStore()
	for _, k := range []string{session, discovery} {
		v, ok := st.Get(k)
		if !ok {
			t.Fatalf("%s is not in the config's store (keys: %v)", k, st.Keys(""))
		}
		kept.Set(k, v)
	}
	offline := spa.FetcherFunc(func(ctx context.Context, req *spa.Request) (*spa.Response, error) {
		t.Errorf("request to %s: a restore from the kept keys needs none", req.URL)
		return nil, context.Canceled
	})
	m := spa.NewManager(spa.Options{Fetcher: offline, Stores: map[string]spa.Store{spa.StorageSession: kept}, Clock: e.clk})
	if err := m.Configure(context.Background(), []spa.Config{cfg("a")}); err != nil {
		t.Fatalf("Configure from the kept keys: %v", err)
	}
	res, err := m.CheckAuth(context.Background(), "https://app.example/")
	if err != nil || len(res) != 1 || !res[0].IsAuthenticated {
		t.Fatalf("CheckAuth from the kept keys: %+v, %v", res, err)
	}
}

// TestResponseParamsNameEveryResponse: every URL that IsCallbackURL takes
// for an authorization response has one of ResponseParams in its query or
// its fragment: a URL without any is none (what oidc.js relies on before
// the module runs; dev/e2e's early tests check its side).
func TestResponseParamsNameEveryResponse(t *testing.T) {
	params := spa.ResponseParams()
	for _, raw := range []string{
		"https://app.example/cb?code=c&state=s",
		"https://app.example/cb?error=access_denied&state=s",
		"https://app.example/cb#code=c&state=s",
		"https://app.example/cb?st%61te=s&c%6Fde=c",
		"https://app.example/cb?x=1#error=e&state=s",
		"https://app.example/cb?state=s&code=c&iss=https%3A%2F%2Fop.example",
	} {
		if !spa.IsCallbackURL(raw) {
			t.Fatalf("IsCallbackURL(%s) = false; the table is wrong", raw)
		}
		u, _ := url.Parse(raw)
		named := false
		for _, part := range []string{u.RawQuery, u.EscapedFragment()} {
			q, _ := url.ParseQuery(part)
			for _, p := range params {
				named = named || q.Has(p)
			}
		}
		if !named {
			t.Errorf("%s is a response without any of %v", raw, params)
		}
	}
	params[0] = "changed"
	if spa.ResponseParams()[0] == "changed" {
		t.Error("ResponseParams hands out its own slice")
	}
}
