package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// apiCall is one request sent from the page and what came back.
type apiCall struct {
	target   requestTarget
	at       time.Time
	took     time.Duration
	status   int
	configID string // whose token the request carried; "" none
	api      apiAnswer
	err      error
}

// apiAnswer is what the demo's APIs and echo endpoints answer (dev/demo
// APIResponse): never a token, only its fingerprint.
type apiAnswer struct {
	API           string   `json:"api"`
	Authorization string   `json:"authorization"`
	Subject       string   `json:"sub"`
	Audience      []string `json:"aud"`
	Scope         string   `json:"scope"`
	Fingerprint   string   `json:"fingerprint"`
	Reason        string   `json:"reason"`
	Scheme        string   `json:"scheme"`
	DPoPJKT       string   `json:"dpopJkt"` // the proof's key, shortened
	DPoPJTI       string   `json:"dpopJti"`
}

func parseAPIAnswer(b []byte) apiAnswer {
	var a apiAnswer
	_ = json.Unmarshal(b, &a) // another body: shown as it is not
	return a
}

// ok reports whether the request carried the token it should have.
func (c apiCall) ok() bool { return c.err == nil && c.configID == c.target.ConfigID }

func (s *shell) apisView(set *settings) app.UI {
	var targets []app.UI
	for _, t := range set.Requests {
		expect := "no token"
		if t.ConfigID != "" {
			expect = "token of " + set.provider(t.ConfigID).Name
		}
		busy := s.inFlight[t.ID]
		label := "Call"
		if busy {
			label = "Calling…"
		}
		targets = append(targets, app.Li().Class("target").Body(
			app.Div().Class("target-main").Body(
				app.Div().Class("target-label").Text(t.Label),
				app.Div().Class("mono", "small", "muted").Text("GET "+t.URL),
				app.Div().Class("small", "muted").Text(t.Note),
			),
			app.Div().Class("target-side").Body(
				expectTag(t.ConfigID, expect),
				app.Button().Class("btn").ID("call-"+t.ID).Disabled(busy).Text(label).OnClick(s.call(t)),
			),
		))
	}
	var rows []app.UI
	for _, c := range s.calls {
		rows = append(rows, callRow(set, c))
	}
	results := app.UI(app.P().Class("muted", "empty-small").Text("No requests yet. Call an API above."))
	if len(rows) > 0 {
		results = app.Table().Class("calls").Body(
			app.THead().Body(app.Tr().Body(
				app.Th().Text("Time"), app.Th().Text("Request"), app.Th().Text("Token sent"),
				app.Th().Text("Answer"), app.Th().Text("What the API saw"), app.Th().Text(""),
			)),
			app.TBody().ID("calls").Body(rows...),
		)
	}
	return app.Div().Body(
		app.Section().Class("card").Body(
			app.Div().Class("card-head").Body(
				app.Div().Body(
					app.H2().Text("Request targets"),
					app.P().Class("muted", "small").Text("Routes are parsed, not prefix-matched: the look-alikes below get no token."),
				),
				app.Button().Class("btn", "btn-primary").ID("call-all").Text("Call all").OnClick(s.callAll(set)),
			),
			app.Ul().Class("targets").Body(targets...),
		),
		app.Section().Class("card").Body(
			app.Div().Class("card-head").Body(
				app.H2().Text("Results"),
				app.Button().Class("btn", "btn-quiet").Text("Clear").OnClick(func(ctx app.Context, e app.Event) { s.calls = nil }),
			),
			app.Div().Class("table-wrap").Body(results),
		),
	)
}

func expectTag(configID, text string) app.UI {
	if configID == "" {
		return app.Span().Class("tag", "tag-none").Text("expects " + text)
	}
	return app.Span().Class("tag", "tag-cfg", "cfg-"+configID).Text("expects " + text)
}

func callRow(set *settings, c apiCall) app.UI {
	sent := app.UI(app.Span().Class("tag", "tag-none").Text("none"))
	if c.configID != "" {
		sent = app.Span().Class("tag", "tag-cfg", "cfg-"+c.configID).Text(set.provider(c.configID).Name)
	}
	var answer, saw app.UI
	switch {
	case c.err != nil:
		answer = app.Span().Class("status", "status-bad").Text("failed")
		saw = app.Span().Class("small").Text(c.err.Error())
	default:
		cls := "status-ok"
		if c.status >= 400 {
			cls = "status-bad"
		}
		answer = app.Span().Class("status", cls).Text(fmt.Sprintf("HTTP %d", c.status))
		what := c.api.Authorization
		if c.api.Fingerprint != "" {
			what += " · #" + c.api.Fingerprint
		}
		if c.api.Subject != "" {
			what += " · sub " + c.api.Subject
		}
		if len(c.api.Audience) > 0 { // which token: the login's (aud = the client) or an API's own
			what += " · aud " + strings.Join(c.api.Audience, ", ")
		}
		if c.api.Scope != "" {
			what += " · scope " + c.api.Scope
		}
		if c.api.DPoPJKT != "" { // which proof went with the request
			what += " · " + c.api.Scheme + " proof jti " + c.api.DPoPJTI + " by key " + c.api.DPoPJKT
		}
		if c.api.Authorization != "valid" && c.api.Reason != "" {
			what += " — " + c.api.Reason
		}
		if what == "" {
			what = "—"
		}
		saw = app.Span().Class("mono", "small").Text(what)
	}
	verdict := app.Span().Class("verdict", "verdict-ok").Title("carried the token it should").Text("✓")
	if !c.ok() {
		verdict = app.Span().Class("verdict", "verdict-bad").Title("did not carry the expected token").Text("✕")
	}
	return app.Tr().Class("call").DataSet("target", c.target.ID).DataSet("config", c.configID).DataSet("status", c.status).Body(
		app.Td().Class("mono", "small").Text(clock(c.at)),
		app.Td().Body(app.Div().Text(c.target.Label), app.Div().Class("mono", "small", "muted").Text(c.target.URL)),
		app.Td().Body(sent),
		app.Td().Class("nowrap").Body(answer, app.Span().Class("muted", "small").Text(fmt.Sprintf(" %d ms", c.took.Milliseconds()))),
		app.Td().Body(saw),
		app.Td().Body(verdict),
	)
}
