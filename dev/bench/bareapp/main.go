// Command bareapp is the smallest go-app v10 application: one route, one
// component, nothing else. The benchmark builds it for GOOS=js to measure
// what the go-app integration (web/goapp) adds over go-app itself, in size
// and in start-up (the page marks when its component mounts; goappmin makes
// the same mark).
//
// It leaves out the server half a go-app main usually has (app.Handler and
// http.ListenAndServe): that half links net/http's server into the wasm
// build, which is not go-app's cost and not ours. Compare it with an app built
// the same way. Run natively, it writes its static site (site_other.go).
package main

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/dev/bench/goappsite"
)

type hello struct{ app.Compo }

func (h *hello) OnMount(ctx app.Context) { goappsite.Mark(goappsite.Mounted) }

func (h *hello) Render() app.UI { return app.H1().Text("Hello, go-app") }

func main() {
	app.Route("/", func() app.Composer { return &hello{} })
	app.RunWhenOnBrowser() // in the browser it never returns
	site()
}
