package spa_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/oidcwasm/oidcwasm/internal/fakeop"
	"github.com/oidcwasm/oidcwasm/spa"
)

// refusingStore is a store whose writes fail once refuse is set, as a full
// Web Storage does.
type refusingStore struct {
	*spa.MemoryStore
	refuse bool
}

func (s *refusingStore) Set(key, value string) error {
	if s.refuse {
		return errors.New("QuotaExceededError")
	}
	return s.MemoryStore.Set(key, value)
}

// signedInStore returns a session store in which configs "a" (with a refresh
// token) and "b" (without) are signed in, with the OP and configs used.
func signedInStore(t *testing.T, st spa.Store) (*fakeop.OP, []spa.Config) {
	t.Helper()
	op := fakeop.New(t, spa.SystemClock())
	configs := []spa.Config{
		{ConfigID: "a", Authority: fakeop.Issuer, ClientID: "client-a", RedirectURL: "https://app.example/cb",
			Scope: "openid offline_access", UseRefreshToken: true},
		{ConfigID: "b", Authority: fakeop.Issuer, ClientID: "client-b", RedirectURL: "https://app.example/cb"},
	}
	m := spa.NewManager(spa.Options{Fetcher: op.Fetcher(), Stores: map[string]spa.Store{spa.StorageSession: st}})
	if err := m.Configure(context.Background(), configs); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if _, err := op.Login(context.Background(), m, id); err != nil {
			t.Fatalf("login %s: %v", id, err)
		}
	}
	if s, _ := m.Session("a"); s.RefreshToken == "" {
		t.Fatal("config a got no refresh token")
	}
	return op, configs
}

// reloaded returns the sessions a new Manager reads from st.
func reloaded(t *testing.T, op *fakeop.OP, configs []spa.Config, st spa.Store) map[string]*spa.Session {
	t.Helper()
	m := spa.NewManager(spa.Options{Fetcher: op.Fetcher(), Stores: map[string]spa.Store{spa.StorageSession: st}})
	if err := m.Configure(context.Background(), configs); err != nil {
		t.Fatal(err)
	}
	out := map[string]*spa.Session{}
	for _, c := range configs {
		out[c.ConfigID], _ = m.Session(c.ConfigID)
	}
	return out
}

func TestDropRefreshTokensKeepsTheRestOfEachSession(t *testing.T) {
	st := spa.NewMemoryStore()
	op, configs := signedInStore(t, st)
	before := reloaded(t, op, configs, st)
	st.Set("oidcwasm.tab.id", "someone else's key")

	if got := spa.DropRefreshTokens(st); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("DropRefreshTokens = %q, want [a]", got)
	}
	after := reloaded(t, op, configs, st)
	for _, id := range []string{"a", "b"} {
		b, a := before[id], after[id]
		if a == nil {
			t.Fatalf("config %s: the session is gone", id)
		}
		if a.RefreshToken != "" {
			t.Errorf("config %s: the refresh token is still stored", id)
		}
		if a.AccessToken != b.AccessToken || a.IDToken != b.IDToken || !a.ExpiresAt.Equal(b.ExpiresAt) ||
			a.Claims.Subject != b.Claims.Subject || a.UserData["email"] != b.UserData["email"] {
			t.Errorf("config %s: the session changed beyond its refresh token", id)
		}
	}
	if v, _ := st.Get("oidcwasm.tab.id"); v != "someone else's key" {
		t.Errorf("a key that is no session changed to %q", v)
	}
	if got := spa.DropRefreshTokens(st); len(got) != 0 {
		t.Errorf("a second DropRefreshTokens = %q, want none", got)
	}
}

func TestDropRefreshTokensRemovesASessionItCannotRewrite(t *testing.T) {
	st := &refusingStore{MemoryStore: spa.NewMemoryStore()}
	op, configs := signedInStore(t, st)
	st.refuse = true
	if got := spa.DropRefreshTokens(st); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("DropRefreshTokens = %q, want [a]", got)
	}
	st.refuse = false
	after := reloaded(t, op, configs, st)
	if after["a"] != nil {
		t.Error("a session whose refresh token could not be dropped is still stored")
	}
	if after["b"] == nil {
		t.Error("a session without refresh token was removed")
	}
}

func TestDropRefreshTokensLeavesForeignValuesAlone(t *testing.T) {
	st := spa.NewMemoryStore()
	values := map[string]string{
		"oidcwasm.x.session":  `{"v":99,"session":{"refresh_token":"rt"}}`, // another version
		"oidcwasm.y.session":  `not json`,
		"oidcwasm.z.settings": `{"v":1,"session":{"refresh_token":"rt"}}`, // not a session key
		"other.session":       `{"v":1,"session":{"refresh_token":"rt"}}`,
	}
	for k, v := range values {
		st.Set(k, v)
	}
	if got := spa.DropRefreshTokens(st); len(got) != 0 {
		t.Errorf("DropRefreshTokens = %q, want none", got)
	}
	for k, v := range values {
		if got, _ := st.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}
