// Command bareapp is the smallest go-app v10 application: one route, one
// component, nothing else. The benchmark builds it for GOOS=js to measure
// what the go-app integration (web/goapp) adds over go-app itself.
//
// It leaves out the server half a go-app main usually has (app.Handler and
// http.ListenAndServe): that half links net/http's server into the wasm
// build, which is not go-app's cost and not ours. Compare it with an app built
// the same way.
package main

import "github.com/maxence-charriere/go-app/v10/pkg/app"

type hello struct{ app.Compo }

func (h *hello) Render() app.UI { return app.H1().Text("Hello, go-app") }

func main() {
	app.Route("/", func() app.Composer { return &hello{} })
	app.RunWhenOnBrowser()
}
