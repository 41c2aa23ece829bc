package main

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web/goapp"
)

// eventsView lists the logged events, newest first.
func (s *shell) eventsView(set *settings) app.UI {
	var rows []app.UI
	log := s.eventLog()
	for i := len(log) - 1; i >= 0; i-- {
		e := log[i]
		who := app.UI(app.Span().Class("muted").Text("—"))
		if e.ConfigID != "" {
			who = app.Span().Class("tag", "tag-cfg", "cfg-"+e.ConfigID).Text(set.provider(e.ConfigID).Name)
		}
		rows = append(rows, app.Tr().Class("event").DataSet("type", string(e.Type)).DataSet("config", e.ConfigID).Body(
			app.Td().Class("mono", "small").Text(clock(e.At)),
			app.Td().Body(who),
			app.Td().Body(app.Span().Class("event-type", eventClass(e.Type)).Text(string(e.Type))),
			app.Td().Class("small").Text(eventDetail(e)),
		))
	}
	if len(rows) == 0 {
		return app.Section().Class("card").Body(app.P().Class("muted").Text("No events yet."))
	}
	return app.Section().Class("card").Body(
		app.Div().Class("table-wrap").Body(
			app.Table().Class("events").Body(
				app.THead().Body(app.Tr().Body(app.Th().Text("Time"), app.Th().Text("Config"), app.Th().Text("Event"), app.Th().Text("Details"))),
				app.TBody().Body(rows...),
			),
		),
	)
}

func eventClass(t spa.EventType) string {
	switch t {
	case spa.EventAuthenticated, spa.EventTokenRefreshed:
		return "ev-good"
	case spa.EventSilentRenewFailed, spa.EventError, spa.EventTokenExpired:
		return "ev-bad"
	case spa.EventSilentRenewStarted:
		return "ev-busy"
	}
	return "ev-plain"
}

func eventDetail(e goapp.LoggedEvent) string {
	d := ""
	add := func(s string) {
		if d != "" {
			d += " · "
		}
		d += s
	}
	if e.Restored {
		add("restored from storage")
	}
	if e.Method != "" {
		add("method " + methodName(e.Method))
	}
	if e.Resource != "" {
		add("token for " + e.Resource)
	}
	if e.Code != "" {
		add(e.Code)
	}
	if e.Reason == spa.ReasonProvider {
		add("ended by the provider")
	}
	if e.Message != "" {
		add(e.Message)
	}
	switch {
	case e.Resource != "" && !e.Event.ExpiresAt.IsZero():
		add("valid until " + clock(e.Event.ExpiresAt)) // the API's token; the login's is unchanged
	case !e.ExpiresAt.IsZero() && (e.Type == spa.EventAuthenticated || e.Type == spa.EventTokenRefreshed):
		add("token valid until " + clock(e.ExpiresAt) + ", renewal at " + clock(e.RenewAt))
	}
	return d
}
