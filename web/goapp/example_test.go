package goapp_test

import (
	"context"
	"fmt"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web/goapp"
)

// account shows who is signed in and calls an API with the config's token.
type account struct {
	app.Compo
	auth   *goapp.Auth
	me     goapp.AuthState
	answer string
}

func (c *account) OnMount(ctx app.Context) {
	c.auth.Observe(ctx, "api", &c.me) // re-renders on every change
}

func (c *account) Render() app.UI {
	if !c.me.Ready {
		return app.P().Text("…") // prerendered, or still starting
	}
	if !c.me.SignedIn {
		return app.Button().Text("Sign in").OnClick(func(ctx app.Context, e app.Event) {
			c.auth.Login(ctx, "api", spa.AuthorizeOptions{}) // returns at once
		})
	}
	return app.Div().Body(
		app.P().Textf("%v, your token expires at %s", c.me.Claims["name"], c.me.ExpiresAt.Format("15:04:05")),
		app.Button().Text("Call the API").OnClick(c.call),
		app.P().Text(c.answer),
	)
}

// call sends a request inside ctx.Async: Fetch blocks until the answer is read.
func (c *account) call(ctx app.Context, e app.Event) {
	ctx.Async(func() {
		resp, err := c.auth.Fetch(ctx, &spa.Request{URL: "https://api.example.com/me"})
		ctx.Dispatch(func(ctx app.Context) {
			switch {
			case err != nil:
				c.answer = err.Error()
			default:
				c.answer = fmt.Sprintf("HTTP %d, with the token of config %q", resp.Status, resp.ConfigID)
			}
		})
	})
}

func Example() {
	auth := goapp.New(goapp.Options{Configs: []spa.Config{{
		ConfigID:        "api",
		Authority:       "https://id.example.com",
		ClientID:        "spa",
		RedirectURL:     "https://app.example.com/callback",
		Scope:           "openid profile offline_access",
		SecureRoutes:    spa.Routes("https://api.example.com/"),
		UseRefreshToken: true,
	}}})
	// The same routes in the browser and on the server.
	app.Route("/", func() app.Composer { return &account{auth: auth} })
	app.Route("/callback", func() app.Composer { return &goapp.Callback{Auth: auth} })
	app.RunWhenOnBrowser()
	// ... the server half: http.Handle("/", &app.Handler{...}) ...
}

// Configs read at run time, from a JSON file served next to the app.
func ExampleOptions_loadConfigs() {
	_ = goapp.Options{LoadConfigs: func(ctx context.Context) ([]spa.Config, error) {
		// fetch /configs.json with web.Fetcher{} and decode it
		return nil, nil
	}}
}
