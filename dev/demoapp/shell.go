package main

import (
	"context"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web/goapp"
)

// The views of the page, chosen by the URL's fragment.
const (
	viewOverview = ""
	viewClaims   = "claims"
	viewTimeline = "timeline"
	viewAPIs     = "apis"
	viewEvents   = "events"
)

var views = []struct{ id, title, icon, lede string }{
	{viewOverview, "Sessions", "◎", "Sign in to two providers at once. Each keeps its own session and renews it its own way."},
	{viewClaims, "Claims", "☰", "What each provider says about the user: the ID token's claims overlaid by userinfo."},
	{viewTimeline, "Token timeline", "⟿", "Each access token from issue to expiry. Renewal starts at 75% of the lifetime, without reloading the page."},
	{viewAPIs, "API calls", "⇄", "Requests through Auth.Fetch. A token goes only to a URL that is a secure route of its config."},
	{viewEvents, "Event log", "≡", "What the Manager reported, newest first. Events never carry tokens."},
}

// shell is the page: a sidebar, a header and the current view. It observes
// every state the integration publishes and re-renders once a second for the
// countdowns and the timeline's "now".
type shell struct {
	app.Compo
	d *demoApp

	status   goapp.Status
	states   map[string]*goapp.AuthState
	events   []goapp.LoggedEvent // this page load's, from Auth
	earlier  []goapp.LoggedEvent // earlier page loads' of this tab (sessionStorage)
	view     string
	now      time.Time
	width    int // the page's, in CSS pixels, for the timeline
	calls    []apiCall
	inFlight map[string]bool
	loginErr error
}

func (s *shell) OnMount(ctx app.Context) {
	s.now = time.Now()
	s.OnResize(ctx)
	s.view = ctx.Page().URL().Fragment
	s.states = map[string]*goapp.AuthState{}
	s.inFlight = map[string]bool{}
	a := s.d.auth
	a.ObserveStatus(ctx, &s.status).OnChange(func() { s.observeConfigs(ctx) })
	// The log outlives the redirects to the providers and back (a sign-out's
	// loggedOut happens on the page that leaves): kept per tab in
	// sessionStorage. Events hold no token.
	_ = ctx.SessionStorage().Get(eventLogKey, &s.earlier)
	a.ObserveEvents(ctx, &s.events).OnChange(func() {
		_ = ctx.SessionStorage().Set(eventLogKey, s.eventLog())
	})
	s.observeConfigs(ctx)
	// The providers redirect to "/": after a callback, go back to the view
	// the user signed in from.
	a.CompleteLogin(ctx, "", func(ctx app.Context, err error) { s.loginErr = err })
	ctx.Async(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for range t.C {
			if !s.Mounted() {
				return
			}
			ctx.Dispatch(func(ctx app.Context) { s.now = time.Now() })
		}
	})
}

// eventLogKey is where the demo keeps its event log across page loads.
const eventLogKey = "demo.events"

// eventLog is the tab's whole log, oldest first, the newest
// goapp.DefaultEventLogSize at most.
func (s *shell) eventLog() []goapp.LoggedEvent {
	all := append(append([]goapp.LoggedEvent(nil), s.earlier...), s.events...)
	if n := len(all) - goapp.DefaultEventLogSize; n > 0 {
		all = all[n:]
	}
	return all
}

// observeConfigs observes the AuthState of each config as it becomes known.
func (s *shell) observeConfigs(ctx app.Context) {
	for _, id := range s.status.ConfigIDs {
		if _, ok := s.states[id]; !ok {
			st := &goapp.AuthState{}
			s.states[id] = st
			s.d.auth.Observe(ctx, id, st)
		}
	}
}

// OnResize keeps the page's width, without its scroll bar.
func (s *shell) OnResize(ctx app.Context) {
	if el := app.Window().Get("document").Get("documentElement"); el.Truthy() {
		s.width = el.Get("clientWidth").Int()
	}
}

func (s *shell) OnNav(ctx app.Context) {
	s.view = ctx.Page().URL().Fragment
}

func (s *shell) state(id string) goapp.AuthState {
	if st, ok := s.states[id]; ok {
		return *st
	}
	return goapp.AuthState{ConfigID: id}
}

func (s *shell) Render() app.UI {
	v := views[0]
	for _, x := range views {
		if x.id == s.view {
			v = x
		}
	}
	return app.Div().Class("layout").Body(
		s.sidebar(),
		app.Main().Class("content").Body(
			app.Header().Class("topbar").Body(
				app.Div().Body(
					app.H1().Text(v.title),
					app.P().Class("lede").Text(v.lede),
				),
				s.userChips(),
			),
			s.banner(),
			s.viewBody(v.id),
		),
	)
}

func (s *shell) viewBody(id string) app.UI {
	set := s.d.settings()
	if !s.status.Ready || set == nil {
		if s.status.Ready {
			return app.Div()
		}
		return app.Div().Class("card", "loading").Body(
			app.Span().Class("spinner"), app.Span().Text("Connecting to the providers…"))
	}
	switch id {
	case viewClaims:
		return s.claimsView(set)
	case viewTimeline:
		return s.timelineView(set)
	case viewAPIs:
		return s.apisView(set)
	case viewEvents:
		return s.eventsView(set)
	}
	return s.overview(set)
}

// banner shows why start-up or the callback failed.
func (s *shell) banner() app.UI {
	msg := ""
	switch {
	case s.loginErr != nil:
		msg = "Sign-in could not be completed: " + s.loginErr.Error()
	case s.status.Error != "":
		msg = s.status.Error
	}
	if msg == "" {
		return nil
	}
	return app.Div().Class("alert").Aria("role", "alert").Text(msg)
}

func (s *shell) sidebar() app.UI {
	var items []app.UI
	for _, v := range views {
		href := "#" + v.id
		if v.id == "" {
			href = "#"
		}
		cls := "nav-item"
		if v.id == s.view {
			cls += " active"
		}
		items = append(items, app.A().Class(cls).Href(href).ID("nav-"+navID(v.id)).Body(
			app.Span().Class("nav-icon").Aria("hidden", true).Text(v.icon),
			app.Span().Text(v.title),
		))
	}
	var sessions []app.UI
	if set := s.d.settings(); set != nil {
		for _, id := range s.status.ConfigIDs {
			st := s.state(id)
			kind, label := sessionStatus(st)
			dot := "dot-" + kind
			if kind == "" {
				dot = "dot-off"
			}
			sessions = append(sessions, app.Li().Body(
				app.Span().Class("dot", dot, "cfg-"+id),
				app.Span().Class("side-provider").Text(set.provider(id).Name),
				app.Span().Class("side-state").Text(label),
			))
		}
	}
	return app.Aside().Class("sidebar").Body(
		app.A().Class("brand").Href("#").Body(
			app.Raw(logoSVG),
			app.Div().Body(
				app.Div().Class("brand-name").Text("oidcwasm"),
				app.Div().Class("brand-sub").Text("go-app demo"),
			),
		),
		app.Nav().Class("nav").Body(items...),
		app.Div().Class("side-foot").Body(
			app.H2().Text("Sessions"),
			app.Ul().Class("side-sessions").Body(sessions...),
			// Not a link: go-app routes every same-origin <a> itself, and
			// /bridge/ is no route of this app ("not found").
			app.Button().Class("side-link").ID("to-bridge").Text("Plain JS bridge demo ↗").
				OnClick(func(ctx app.Context, e app.Event) { app.Window().Get("location").Call("assign", "/bridge/") }),
		),
	)
}

func navID(view string) string {
	if view == "" {
		return "sessions"
	}
	return view
}

// userChips shows who is signed in where, in the header.
func (s *shell) userChips() app.UI {
	var chips []app.UI
	for _, id := range s.status.ConfigIDs {
		st := s.state(id)
		if !st.SignedIn {
			continue
		}
		name := displayName(st)
		where := "config " + id
		if set := s.d.settings(); set != nil {
			where = set.provider(id).Name
		}
		chips = append(chips, app.Span().Class("chip", "cfg-"+id).Title(name+", signed in at "+where).Body(
			app.Span().Class("avatar-sm").Text(initials(name)),
			app.Span().Text(name),
			app.Span().Class("chip-where").Text(where),
		))
	}
	return app.Div().Class("chips").Body(chips...)
}

// Handlers of the session buttons: the helpers return at once and work in
// ctx.Async, as go-app event handlers run on its UI goroutine.

func (s *shell) login(id string) app.EventHandler {
	return func(ctx app.Context, e app.Event) { s.d.auth.Login(ctx, id, spa.AuthorizeOptions{}) }
}

// loginPopup opens the popup in the handler itself: browsers allow it only
// right after the click.
func (s *shell) loginPopup(id string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		s.d.auth.LoginPopup(ctx, id, spa.AuthorizeOptions{}, goapp.PopupOptions{})
	}
}

func (s *shell) logout(id string) app.EventHandler {
	return func(ctx app.Context, e app.Event) { s.d.auth.Logout(ctx, id, spa.EndSessionOptions{}) }
}

func (s *shell) renew(id string) app.EventHandler {
	return func(ctx app.Context, e app.Event) { s.d.auth.Renew(ctx, id) }
}

func (s *shell) revoke(id string) app.EventHandler {
	return func(ctx app.Context, e app.Event) { s.d.auth.Revoke(ctx, id, spa.HintAccessToken) }
}

func (s *shell) revokeAndForget(id string) app.EventHandler {
	return func(ctx app.Context, e app.Event) { s.d.auth.LogoutAndRevoke(ctx, id, spa.EndSessionOptions{}) }
}

// call sends one request through Auth.Fetch inside ctx.Async and records
// which token it carried and what the API made of it.
func (s *shell) call(t requestTarget) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		if s.inFlight[t.ID] {
			return
		}
		s.inFlight[t.ID] = true
		ctx.Async(func() {
			c := s.send(ctx, t)
			ctx.Dispatch(func(ctx app.Context) {
				delete(s.inFlight, t.ID)
				s.calls = append([]apiCall{c}, s.calls...)
				if len(s.calls) > 30 {
					s.calls = s.calls[:30]
				}
			})
		})
	}
}

func (s *shell) callAll(set *settings) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		for _, t := range set.Requests {
			s.call(t)(ctx, e)
		}
	}
}

func (s *shell) send(ctx context.Context, t requestTarget) apiCall {
	c := apiCall{target: t, at: time.Now()}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	resp, err := s.d.auth.Fetch(ctx, &spa.Request{Method: "GET", URL: t.URL})
	c.took = time.Since(c.at)
	if err != nil {
		c.err = err
		return c
	}
	c.status, c.configID = resp.Status, resp.ConfigID
	c.api = parseAPIAnswer(resp.Body)
	return c
}
