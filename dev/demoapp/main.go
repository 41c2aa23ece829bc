// Command demoapp is the go-app demo of oidcwasm: one page that signs in to
// two OpenID Providers at once (one renewing by refresh token, the other in
// a hidden iframe), shows each session, the user's claims, a timeline of the
// access tokens, the requests that did or did not carry a token, and the
// events, through package web/goapp.
//
// Built for GOOS=js it is the app (static/web/app.wasm); run natively it
// writes the static site around it with go-app's GenerateStaticWebsite:
//
//	GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o ../static/web/app.wasm ./demoapp
//	go run ./demoapp -out ../static
//
// It reads its configs at run time from /demo.json (the demo server's, or
// static/demo.json on a static host), so one build runs on any origin.
package main

import (
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/web/goapp"
)

// demoApp is what the page's components share.
type demoApp struct {
	auth *goapp.Auth

	mu  sync.Mutex
	set *settings // nil until demo.json is loaded
}

func (d *demoApp) settings() *settings {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.set
}

func (d *demoApp) setSettings(s *settings) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.set = s
}

// routes registers the pages, in the browser and in the generator alike: go-app
// serves and writes pages for registered routes only. The whole demo is one
// route; its views are fragments (#claims, ...), so any static host can serve
// it from index.html and the providers redirect to "/".
func routes(d *demoApp) {
	app.Route("/", func() app.Composer { return &shell{d: d} })
}

func main() {
	d := &demoApp{}
	d.auth = newAuth(d)
	routes(d)
	app.RunWhenOnBrowser() // in the browser it never returns
	generate(d)
}
