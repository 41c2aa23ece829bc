package web

import (
	"context"

	"github.com/oidcwasm/oidcwasm/silentrefresh"
	"github.com/oidcwasm/oidcwasm/spa"
)

// StorePrefix starts every key oidcwasm writes to Web Storage.
const StorePrefix = "oidcwasm:"

// Client is a spa.Manager wired to the browser: window.fetch, Web Storage,
// Web Locks across tabs, iframe renewal, automatic renewal that re-checks when
// the device wakes, and BroadcastChannel for sessions in localStorage. The JS
// bridge and the go-app integration both stand on it.
type Client struct {
	*spa.Manager
	Navigator Navigator
	Scheduler *silentrefresh.Scheduler

	broadcast *Broadcast
	tab       *Tab          // set before claimed closes
	claimed   chan struct{} // closed when the tab claim has finished
	stopWake  func()
	signOut   func() // front-channel logout and check-session (watchSignOut)
}

// NewClient wires a Client and starts its renewal scheduler. Call Configure
// next. dpop signs the proofs of configs with DPoP on:
// spa.NewDPoP(NewDPoPKeys()), or the zero spa.DPoP for none (such configs
// are then refused, and the DPoP code stays out of the wasm). It returns at
// once; finding out whether this tab is a duplicate (up to TabClaimGrace)
// goes on in the background, and the first read of sessionStorage waits
// for it.
func NewClient(dpop spa.DPoP) *Client {
	raw := SessionStorage(StorePrefix)
	// A duplicated tab has a copy of sessionStorage: it must drop the copied
	// refresh tokens before anything reads them, or both tabs would rotate the
	// same token and the provider would revoke the family (RFC 9700 §4.14.2).
	c := &Client{claimed: make(chan struct{})}
	go func() {
		defer close(c.claimed)
		c.tab, _ = ClaimTab(context.Background(), raw)
	}()
	session := &claimedStore{Store: raw, claimed: c.claimed}
	m := spa.NewManager(spa.Options{
		Fetcher: Fetcher{},
		Stores: map[string]spa.Store{
			spa.StorageSession: session,
			spa.StorageLocal:   LocalStorage(StorePrefix),
			spa.StorageMemory:  spa.NewMemoryStore(),
		},
		// Login transactions must survive the redirect in this tab, whatever the
		// config's storage, and must not be visible to other tabs.
		TxStore: session,
		Locker:  WebLocks{},
		Renewer: silentrefresh.New(&IframeFrame{}),
		DPoP:    dpop,
	})
	c.Manager, c.Scheduler = m, silentrefresh.NewScheduler(m, silentrefresh.SchedulerOptions{})
	c.broadcast = NewBroadcast(m)
	c.signOut = watchSignOut(m)
	c.Scheduler.Start()
	c.stopWake = WatchWake(c.Scheduler.Recheck)
	return c
}

// Close stops renewal and releases the browser resources.
func (c *Client) Close() {
	c.stopWake()
	c.signOut()
	c.broadcast.Close()
	c.Scheduler.Stop()
	<-c.claimed
	if c.tab != nil {
		c.tab.Close()
	}
}
