package goapp

import "github.com/oidcwasm/oidcwasm/web"

// defaults fills the browser's wiring: web.NewClient(o.DPoP) (window.fetch, Web
// Storage, Web Locks, iframe renewal, the renewal scheduler), its navigator,
// and window.fetch for Auth.Fetch. It returns what Close must stop.
func defaults(o *Options) (closeFn func()) {
	if o.Manager == nil {
		c := web.NewClient(o.DPoP)
		o.Manager = c.Manager
		if o.Navigator == nil {
			o.Navigator = c.Navigator
		}
		closeFn = c.Close
	}
	if o.Navigator == nil {
		o.Navigator = web.Navigator{}
	}
	if o.Fetcher == nil {
		o.Fetcher = web.Fetcher{}
	}
	return closeFn
}
