// Package goapp is the go-app v10 integration of oidcwasm: each config's
// sign-in state as a go-app state that any component observes, a callback
// page that completes the login and returns to where the user was, login and
// logout helpers, and a Fetch for secure APIs that uses the JS bridge's
// secure-route table. It is its own package so that the JS bridge never links
// go-app.
//
// The flow:
//
//	auth := goapp.New(goapp.Options{Configs: configs})   // before app.RunWhenOnBrowser
//	app.Route("/", func() app.Composer { return &home{auth: auth} })
//	app.Route("/callback", func() app.Composer { return &goapp.Callback{Auth: auth} })
//	app.RunWhenOnBrowser()
//
//	func (h *home) OnMount(ctx app.Context) {
//		h.auth.Observe(ctx, "api", &h.state)          // re-renders on every change
//	}
//	func (h *home) Render() app.UI {
//		if !h.state.SignedIn {
//			return app.Button().Text("Sign in").OnClick(func(ctx app.Context, e app.Event) {
//				h.auth.Login(ctx, "api", spa.AuthorizeOptions{})
//			})
//		}
//		return app.P().Textf("Hello %v", h.state.Claims["name"])
//	}
//
// New configures the Manager and calls CheckAuth on the page's URL in the
// background; the Manager's events (authenticated, tokenRefreshed,
// silentRenewStarted, silentRenewFailed, tokenExpired, loggedOut, ...) update
// the states: StateKey(configID) holds an AuthState, StatusStateKey the
// start-up Status, EventsStateKey the latest events.
//
// # go-app traps, and what this package does about each
//
//   - Navigation to another origin. app.Context.Navigate, and go-app's click
//     handler on every <a>, open a URL whose host differs from the page's in
//     a new tab, unless it starts with one of app.Handler.InternalURLs. Login
//     and Logout therefore navigate with location.assign (web.Navigator), so
//     no provider URL needs listing; render sign-in as a button calling
//     Login, never as a link to the provider. (InternalURLs matches by string
//     prefix: list "http://localhost:5556/", with the slash, if you list one.)
//   - Routes on the server. go-app's server and GenerateStaticWebsite serve
//     and write pages for registered routes only, and answer 404 elsewhere:
//     register the callback route (the path of RedirectURL) on the server as
//     in the wasm. CheckHandler checks this.
//   - The service worker. app-worker.js precaches the files built from
//     app.Handler (the app files, Icon, Fonts, Styles, Scripts and
//     CacheableResources) and answers them from its cache, cache first, until
//     the version changes. Never list silent-refresh.html or the callback
//     route there; CheckHandler checks this too. The default worker matches
//     URLs with their query, so callbacks (which carry code and state) reach
//     the network.
//   - Blocking in event handlers. go-app runs event handlers and OnMount on
//     its UI goroutine: a fetch there freezes every update until it returns.
//     The helpers return at once and work inside ctx.Async; call Fetch and
//     the Manager's blocking methods inside ctx.Async too, and change a
//     component's fields inside ctx.Dispatch.
//   - History. Context.Navigate always adds a history entry; the callback
//     page replaces its own (CompleteLogin), so "back" never returns to it.
//   - Prerendering. go-app renders pages on the server, where there is no
//     session: AuthState.Ready is false there and until start-up has
//     finished in the browser; render a placeholder rather than "signed out".
//   - Persisting states. Never call Persist or Broadcast on these states: they
//     hold claims (personal data); sessions already follow each config's
//     storage and are shared across tabs by the Manager.
package goapp
