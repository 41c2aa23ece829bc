package web

import (
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
	stopWake  func()
}

// NewClient wires a Client and starts its renewal scheduler. Call Configure next.
func NewClient() *Client {
	session := SessionStorage(StorePrefix)
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
	})
	c := &Client{Manager: m, Scheduler: silentrefresh.NewScheduler(m, silentrefresh.SchedulerOptions{})}
	c.broadcast = NewBroadcast(m)
	c.Scheduler.Start()
	c.stopWake = WatchWake(c.Scheduler.Recheck)
	return c
}

// Close stops renewal and releases the browser resources.
func (c *Client) Close() {
	c.stopWake()
	c.broadcast.Close()
	c.Scheduler.Stop()
}
