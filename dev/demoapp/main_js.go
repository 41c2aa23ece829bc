package main

import (
	"context"
	"fmt"
	"syscall/js"

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
		// The worker mode (?custody=worker) keeps b's tokens in go-app's
		// service worker, which runs ours (goapp.ServiceWorkerTemplate).
		Worker: goapp.NewWorker(),
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
			return withCustody(s.configs(), custodyHere()), nil
		}})
}

// custodyKey keeps the tab's choice across the provider's redirect back,
// which drops the query.
const custodyKey = "oidcwasm-goapp-demo:custody"

// custodyHere is config b's custody in this tab: ?custody=worker or
// ?custody=page chooses, "page" by default.
func custodyHere() string {
	w := js.Global()
	q := w.Get("URLSearchParams").New(w.Get("location").Get("search")).Call("get", "custody")
	st := w.Get("sessionStorage")
	if q.Type() == js.TypeString && (q.String() == spa.CustodyWorker || q.String() == spa.CustodyPage) {
		st.Call("setItem", custodyKey, q.String())
	}
	if v := st.Call("getItem", custodyKey); v.Type() == js.TypeString && v.String() == spa.CustodyWorker {
		return spa.CustodyWorker
	}
	return spa.CustodyPage
}

// generate is the generator's; the browser never gets there.
func generate(*demoApp) {}
