// Command minimal is the smallest go-app app that signs in with oidcwasm:
// the README's quickstart, kept compiling, and the benchmark's measure of what
// web/goapp adds to a bare go-app app (dev/bench/bareapp). Like bareapp, its
// server half is in a file the wasm build leaves out (server.go).
package main

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web/goapp"
)

var configs = []spa.Config{{
	ConfigID: "main", Authority: "http://localhost:9001", ClientID: "demo-a",
	RedirectURL: "http://localhost:8000/", PostLogoutRedirectURI: "http://localhost:8000/",
	Scope: "openid profile offline_access", UseRefreshToken: true,
	SecureRoutes: spa.Routes("http://localhost:8081/api/"),
}}

type home struct {
	app.Compo
	auth *goapp.Auth
	me   goapp.AuthState
}

func (h *home) OnMount(ctx app.Context) {
	h.auth.Observe(ctx, "main", &h.me) // re-renders on every change of the session
	h.auth.CompleteLogin(ctx, "", nil) // after the provider's redirect to "/", back to where sign-in began
}

func (h *home) Render() app.UI {
	switch {
	case h.me.Error != "" && !h.me.SignedIn: // e.g. the provider is down: say so, never "…" forever
		return app.P().Textf("Sign-in is unavailable: %s (%s)", h.me.Error, h.me.ErrorCode)
	case !h.me.Ready:
		return app.P().Text("…")
	case !h.me.SignedIn:
		return app.Button().Text("Sign in").OnClick(func(ctx app.Context, e app.Event) {
			h.auth.Login(ctx, "main", spa.AuthorizeOptions{})
		})
	}
	return app.Div().Body(
		app.P().Textf("Hello, %v", h.me.Claims["name"]),
		app.Button().Text("Sign out").OnClick(func(ctx app.Context, e app.Event) {
			h.auth.Logout(ctx, "main", spa.EndSessionOptions{})
		}),
	)
}

func main() {
	auth := goapp.New(goapp.Options{Configs: configs})
	app.Route("/", func() app.Composer { return &home{auth: auth} })
	app.RunWhenOnBrowser()
	serve()
}
