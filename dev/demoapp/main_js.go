package main

import (
	"context"
	"fmt"

	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web"
	"github.com/oidcwasm/oidcwasm/web/goapp"
)

// newAuth starts the integration with the configs of /demo.json, fetched with
// window.fetch when the page starts.
func newAuth(d *demoApp) *goapp.Auth {
	return goapp.New(goapp.Options{
		// Config a of demo.json uses DPoP: its key lives in IndexedDB.
		DPoP: spa.NewDPoP(web.NewDPoPKeys()),
		LoadConfigs: func(ctx context.Context) ([]spa.Config, error) {
			resp, err := web.Fetcher{}.Fetch(ctx, &spa.Request{URL: "/demo.json"})
			if err != nil {
				return nil, err
			}
			if resp.Status != 200 {
				return nil, fmt.Errorf("cannot load /demo.json: HTTP %d", resp.Status)
			}
			s, err := parseSettings(resp.Body)
			if err != nil {
				return nil, err
			}
			d.setSettings(s)
			return s.configs(), nil
		}})
}

// generate is the generator's; the browser never gets there.
func generate(*demoApp) {}
