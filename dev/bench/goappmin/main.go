// Command goappmin is bareapp (the smallest go-app v10 application) plus
// the least an app does with the go-app integration (web/goapp): one config,
// the callback route, a component that observes the sign-in state and a
// login button. The benchmark builds both for GOOS=js; the difference is
// what the integration costs an app, without any demo UI, in size and in
// start-up (the page marks when its component mounts, as bareapp does, and
// when it first shows the user signed in). Run natively, it writes its
// static site (site_other.go).
package main

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/dev/bench/goappsite"
	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web/goapp"
)

// The config, as an app compiles its own in. The benchmark's start-up build
// sets them to its provider and page (go build -ldflags -X); the size
// budget measures the build with these.
var (
	authority   = "https://op.example"
	clientID    = "spa"
	redirectURL = "https://app.example/callback"
)

type hello struct {
	app.Compo
	auth  *goapp.Auth
	state goapp.AuthState
}

func (h *hello) OnMount(ctx app.Context) {
	goappsite.Mark(goappsite.Mounted)
	h.auth.Observe(ctx, "api", &h.state)
}

func (h *hello) Render() app.UI {
	if !h.state.SignedIn {
		return app.Button().Text("Sign in").OnClick(func(ctx app.Context, e app.Event) {
			h.auth.Login(ctx, "api", spa.AuthorizeOptions{})
		})
	}
	goappsite.Mark(goappsite.SignedIn)
	return app.H1().Text("Hello, go-app")
}

func main() {
	auth := goapp.New(goapp.Options{Configs: []spa.Config{{
		ConfigID:    "api",
		Authority:   authority,
		ClientID:    clientID,
		RedirectURL: redirectURL,
	}}})
	app.Route("/", func() app.Composer { return &hello{auth: auth} })
	app.Route("/callback", func() app.Composer { return &goapp.Callback{Auth: auth} })
	app.RunWhenOnBrowser() // in the browser it never returns
	site()
}
