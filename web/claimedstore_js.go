package web

import (
	"strings"

	"github.com/oidcwasm/oidcwasm/spa"
)

// claimedStore is the tab's sessionStorage store while the tab claim
// (ClaimTab) may still be running: reading or writing a session, or listing
// keys, waits until the claim has finished, since a duplicated tab must
// drop its copied refresh tokens before anything reads them. Everything
// else (the kept discovery documents, login transactions) passes at once:
// the claim touches no other key. NewClient claims in the background, so
// neither the page's start nor the discovery request waits for it.
//
// Every caller of the Manager's store-reading methods runs on a goroutine of
// its own (the Promise helpers, go-app's ctx.Async, Broadcast's handler),
// never in a js.FuncOf callback, where waiting would deadlock.
type claimedStore struct {
	spa.Store
	claimed <-chan struct{}
}

// wait waits for the claim when key is a session's.
func (s *claimedStore) wait(key string) {
	id, ok := strings.CutSuffix(strings.TrimPrefix(key, "oidcwasm."), ".session")
	if session, _ := spa.StoreKeys(id); ok && key == session {
		<-s.claimed
	}
}

func (s *claimedStore) Get(key string) (string, bool) {
	s.wait(key)
	return s.Store.Get(key)
}

func (s *claimedStore) Set(key, value string) error {
	s.wait(key)
	return s.Store.Set(key, value)
}

func (s *claimedStore) Remove(key string) {
	s.wait(key)
	s.Store.Remove(key)
}

func (s *claimedStore) Keys(prefix string) []string {
	<-s.claimed
	return s.Store.Keys(prefix)
}
