package spa_test

import (
	"context"
	"testing"

	"github.com/oidcwasm/oidcwasm/internal/fakeop"
	"github.com/oidcwasm/oidcwasm/spa"
)

// keepingStore is a MemoryStore that ignores Remove, so one authorization
// response stays valid and can be validated again and again.
type keepingStore struct{ *spa.MemoryStore }

func (keepingStore) Remove(string) {}

// BenchmarkValidateCallback measures Manager.ValidateCallback on a valid
// authorization response: parsing the URL, reading the transaction from the
// store (JSON), and the state, redirect URI and RFC 9207 iss checks.
//
// A response is valid once: ValidateCallback removes its transaction. The
// transaction store here ignores that removal (a map delete, a few ns in a
// MemoryStore) so the loop can validate the same response without making a
// new authorization request per iteration.
func BenchmarkValidateCallback(b *testing.B) {
	ctx := context.Background()
	op := fakeop.New(b, spa.SystemClock())
	m := spa.NewManager(spa.Options{Fetcher: op.Fetcher(), TxStore: keepingStore{spa.NewMemoryStore()}})
	c := spa.Config{ConfigID: "a", Authority: fakeop.Issuer, ClientID: "client-a",
		RedirectURL: "https://app.example/cb", Scope: "openid profile offline_access"}
	if err := m.Configure(ctx, []spa.Config{c}); err != nil {
		b.Fatal(err)
	}
	authURL, err := m.Authorize(ctx, "a", spa.AuthorizeOptions{MaxAge: -1})
	if err != nil {
		b.Fatal(err)
	}
	back, err := op.Authorize(authURL)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		cb, err := m.ValidateCallback(ctx, back)
		if err != nil || cb.ConfigID() != "a" {
			b.Fatalf("ValidateCallback: %v", err)
		}
	}
}
