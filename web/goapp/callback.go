package goapp

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// CompleteLogin is the work of the callback route. Start-up (New) has already
// handled the authorization response the page was loaded with; CompleteLogin
// waits for it, then takes the app to the response's return URL
// (spa.AuthResult.ReturnURL: Login's o.ReturnURL, by default the page the
// user signed in from), or to fallback when the page was no callback or the
// response had no return URL, without leaving the callback in the history.
// With fallback "" it does nothing then: an app whose callback is its home
// page ("/") calls CompleteLogin(ctx, "", onError) in the home page's OnMount.
// When start-up rejected the response (for example state_mismatch on a
// reloaded or replayed callback) or could not configure, it calls onError on
// the UI goroutine instead.
//
// The navigation replaces the history entry and then lets go-app route it as
// it routes the back button (a popstate event): app.Context.Navigate always
// pushes a new entry, and "back" would return to the callback.
func (a *Auth) CompleteLogin(ctx app.Context, fallback string, onError func(ctx app.Context, err error)) {
	if app.IsServer {
		return // prerendering: there is no response to complete
	}
	a.Bind(ctx)
	ctx.Async(func() {
		<-a.ready
		err := a.configErr
		if err == nil {
			err = a.callbackErr
		}
		target := fallback
		for _, r := range a.results {
			if r.ReturnURL != "" {
				target = r.ReturnURL
			}
		}
		if err == nil && target == "" {
			return
		}
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				if onError != nil {
					onError(ctx, err)
				}
				return
			}
			a.replace(target)
		})
	})
}

// replace loads the app's page at target (same origin) in place of the
// current history entry.
func (a *Auth) replace(target string) {
	a.nav.ReplaceURL(target)
	a.reroute()
}

// popState makes go-app route the address bar's URL as it does after the back
// button: its popstate handler navigates without adding a history entry.
func popState() {
	if app.IsServer {
		return
	}
	w := app.Window()
	w.Call("dispatchEvent", w.Get("PopStateEvent").New("popstate"))
}

// Callback is a page for the callback route (the path of the configs'
// RedirectURL): it shows that sign-in is being completed, then goes to the
// return URL (see CompleteLogin), or shows why sign-in failed with a link to
// Fallback. Route it in the browser and on the server alike:
//
//	app.Route("/callback", func() app.Composer { return &goapp.Callback{Auth: auth} })
type Callback struct {
	app.Compo
	_    [0]func() // no ==: no equality function in the wasm (size budget)
	Auth *Auth
	// Fallback is where to go when the response named no return URL, and the
	// link shown after a failure; default "/".
	Fallback string

	err error
}

// OnMount completes the login.
func (c *Callback) OnMount(ctx app.Context) {
	if c.Auth == nil {
		return
	}
	c.Auth.CompleteLogin(ctx, c.fallback(), func(ctx app.Context, err error) { c.err = err })
}

func (c *Callback) fallback() string {
	if c.Fallback == "" {
		return "/"
	}
	return c.Fallback
}

// Render shows progress, or the failure.
func (c *Callback) Render() app.UI {
	if c.err != nil {
		return app.Main().Class("oidcwasm-callback", "oidcwasm-callback-failed").Body(
			app.H1().Text("Sign-in failed"),
			app.P().Text(c.err.Error()),
			app.A().Href(c.fallback()).Text("Continue"),
		)
	}
	return app.Main().Class("oidcwasm-callback").Aria("busy", true).Body(
		app.P().Text("Completing sign-in…"),
	)
}
