package spa

import (
	"context"
	"sync"
	"testing"
)

// gatedKeys are MemoryDPoPKeys whose Key, while gate is set, stops after it
// has read the stored key and before it returns it: a lookup still loading
// when a logoff comes.
type gatedKeys struct {
	inner   *MemoryDPoPKeys
	mu      sync.Mutex
	gate    chan struct{}
	loading chan struct{} // closed when a gated Key has read its key
}

func (g *gatedKeys) Key(ctx context.Context, id string) (DPoPKey, error) {
	key, err := g.inner.Key(ctx, id)
	g.mu.Lock()
	gate, loading := g.gate, g.loading
	g.gate = nil
	g.mu.Unlock()
	if gate != nil {
		close(loading)
		<-gate
	}
	return key, err
}

func (g *gatedKeys) Delete(id string) { g.inner.Delete(id) }

// TestADPoPKeyDeletedWhileItLoadsIsNeitherCachedNorUsed: a logoff (forget)
// that comes while a lookup holds the old key from the store makes that
// lookup load again: it returns a new key, and the cache never holds the
// deleted one, so no later proof is signed with it.
func TestADPoPKeyDeletedWhileItLoadsIsNeitherCachedNorUsed(t *testing.T) {
	g := &gatedKeys{inner: NewMemoryDPoPKeys(), gate: make(chan struct{}), loading: make(chan struct{})}
	old, err := g.inner.Key(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	kp := &keyProver{keys: g}
	release := g.gate
	got := make(chan DPoPKey, 1)
	go func() {
		key, err := kp.key(context.Background(), "a")
		if err != nil {
			t.Error(err)
		}
		got <- key
	}()
	<-g.loading // the lookup holds the old key
	kp.forget("a")
	close(release)
	key := <-got
	if string(key.PublicJWK()) == string(old.PublicJWK()) {
		t.Error("the lookup that overlapped the logoff returned the deleted key")
	}
	kp.mu.Lock()
	cached := kp.cache["a"]
	kp.mu.Unlock()
	if cached == nil || string(cached.PublicJWK()) == string(old.PublicJWK()) {
		t.Errorf("the cache holds %v after the logoff, want the new key", cached)
	}
	if again, _ := kp.key(context.Background(), "a"); string(again.PublicJWK()) != string(key.PublicJWK()) {
		t.Error("the next lookup does not give the new key")
	}
}
