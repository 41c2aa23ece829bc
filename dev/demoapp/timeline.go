package main

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web/goapp"
)

// token is one access token as the event log saw it.
type token struct {
	issued, renewAt, expires time.Time
	method                   string // how it was obtained: "login", "restored", refresh_token, iframe
}

// mark is a moment on the timeline: a renewal, a failure, a sign-out.
type mark struct {
	at    time.Time
	kind  string // "renewed", "failed", "out"
	label string
}

// history reads a config's tokens and marks from the event log.
func history(events []goapp.LoggedEvent, id string) ([]token, []mark) {
	var toks []token
	var marks []mark
	method := ""
	seen := map[time.Time]bool{}
	for _, e := range events {
		if e.ConfigID != id {
			continue
		}
		switch e.Type {
		case spa.EventSilentRenewStarted:
			method = e.Method
		case spa.EventAuthenticated, spa.EventTokenRefreshed:
			if e.IssuedAt.IsZero() || e.ExpiresAt.IsZero() || seen[e.IssuedAt] {
				continue
			}
			seen[e.IssuedAt] = true
			how := "login"
			switch {
			case e.Type == spa.EventTokenRefreshed && method != "":
				how = method
				marks = append(marks, mark{at: e.At, kind: "renewed", label: "↻ " + methodName(method)})
			case e.Type == spa.EventTokenRefreshed:
				how = "other tab"
				marks = append(marks, mark{at: e.At, kind: "renewed", label: "↻ from another tab"})
			case e.Restored:
				how = "restored"
			}
			method = ""
			toks = append(toks, token{issued: e.IssuedAt, renewAt: e.RenewAt, expires: e.ExpiresAt, method: how})
		case spa.EventSilentRenewFailed:
			label := "✕ " + e.Code
			if e.Resource != "" {
				label += " (API token)"
			}
			marks = append(marks, mark{at: e.At, kind: "failed", label: label})
			method = ""
		case spa.EventLoggedOut:
			marks = append(marks, mark{at: e.At, kind: "out", label: "signed out"})
		}
	}
	return toks, marks
}

func methodName(m string) string {
	switch m {
	case spa.MethodRefreshToken:
		return "refresh token"
	case spa.MethodIframe:
		return "iframe"
	}
	return m
}

// timelineView draws each config's tokens on a shared time axis.
func (s *shell) timelineView(set *settings) app.UI {
	// The window fits the tokens' lifetime: about four of them, and the
	// next renewal ahead of "now".
	life := 60 * time.Second
	for _, id := range s.status.ConfigIDs {
		if st := s.state(id); !st.IssuedAt.IsZero() && st.ExpiresAt.After(st.IssuedAt) {
			life = st.ExpiresAt.Sub(st.IssuedAt)
			break
		}
	}
	life = max(10*time.Second, min(20*time.Minute, life))
	end := s.now.Add(life * 3 / 4)
	start := end.Add(-life * 9 / 2)
	var cards []app.UI
	for _, id := range s.status.ConfigIDs {
		st := s.state(id)
		p := set.provider(id)
		toks, marks := history(s.events, id)
		how := "iframe (prompt=none)"
		if set.config(id).UseRefreshToken {
			how = "refresh token"
		}
		summary := fmt.Sprintf("%d token(s) this visit · renews by %s", len(toks), how)
		cards = append(cards, app.Section().Class("card", "timeline-card").ID("timeline-"+id).Body(
			app.Div().Class("card-head").Body(
				app.Div().Class("provider").Body(
					app.Span().Class("provider-mark", "cfg-"+id).Text(markOf(p.Name)),
					app.Div().Body(app.H2().Text(p.Name), app.Div().Class("muted", "small").Text(summary)),
				),
				statusPill(st),
			),
			app.Raw(timelineSVG(id, toks, marks, start, end, s.now)),
		))
	}
	return app.Div().Body(
		app.Div().Body(cards...),
		app.Div().Class("legend", "small").Body(
			legend("sw-valid", "valid, before the renewal point"),
			legend("sw-window", "renewal window (last 25% of the lifetime)"),
			legend("sw-renew", "renewal point"),
			legend("sw-mark", "renewal done"),
			legend("sw-fail", "renewal failed"),
			legend("sw-now", "now"),
		),
	)
}

func legend(cls, text string) app.UI {
	return app.Span().Class("legend-item").Body(app.Span().Class("swatch", cls), app.Text(text))
}

// timelineSVG is the picture of one config's tokens between start and end.
func timelineSVG(id string, toks []token, marks []mark, start, end, now time.Time) string {
	const (
		w, h             = 960.0, 190.0
		left, right      = 16.0, 16.0
		top, axisY       = 34.0, 146.0
		laneH, barH, gap = 44.0, 22.0, 8.0
	)
	span := end.Sub(start).Seconds()
	x := func(t time.Time) float64 {
		return left + (w-left-right)*t.Sub(start).Seconds()/span
	}
	clampX := func(t time.Time) float64 { return max(left, min(w-right, x(t))) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="timeline" viewBox="0 0 %g %g" role="img" aria-label="access tokens of config %s" xmlns="http://www.w3.org/2000/svg">`, w, h, html.EscapeString(id))
	fmt.Fprintf(&b, `<defs><pattern id="hatch-%s" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" class="tl-window-bg cfg-%s"/><line x1="0" y1="0" x2="0" y2="6" class="tl-hatch cfg-%s"/></pattern>`, id, id, id)
	fmt.Fprintf(&b, `<clipPath id="plot-%s"><rect x="%g" y="0" width="%g" height="%g"/></clipPath></defs>`, id, left, w-left-right, h)
	// Grid and axis: a line every step, some 6 to 12 of them.
	step := time.Second
	for _, st := range []time.Duration{2, 5, 10, 15, 30, 60, 120, 300, 600, 1800} {
		if step = st * time.Second; end.Sub(start)/step <= 12 {
			break
		}
	}
	first := start.Truncate(step).Add(step)
	for t := first; t.Before(end); t = t.Add(step) {
		fmt.Fprintf(&b, `<line class="tl-grid" x1="%.1f" y1="%g" x2="%.1f" y2="%g"/>`, x(t), top-10, x(t), axisY)
		fmt.Fprintf(&b, `<text class="tl-tick" x="%.1f" y="%g" text-anchor="middle">%s</text>`, x(t), axisY+18, t.Local().Format("15:04:05"))
	}
	fmt.Fprintf(&b, `<line class="tl-axis" x1="%g" y1="%g" x2="%g" y2="%g"/>`, left, axisY, w-right, axisY)
	b.WriteString(`<g clip-path="url(#plot-` + id + `)">`)
	if len(toks) == 0 {
		fmt.Fprintf(&b, `<text class="tl-empty" x="%g" y="%g" text-anchor="middle">no access token yet — sign in to start the timeline</text>`, w/2, top+laneH)
	}
	for i, t := range toks {
		if t.expires.Before(start) {
			continue
		}
		y := top + float64(i%2)*laneH
		x0, xr, x1 := x(t.issued), x(t.renewAt), x(t.expires)
		fmt.Fprintf(&b, `<g class="tl-token" data-issued="%d"><title>token %d (%s): issued %s, renewal point %s, expires %s</title>`,
			t.issued.Unix(), i+1, methodName(t.method), clock(t.issued), clock(t.renewAt), clock(t.expires))
		fmt.Fprintf(&b, `<rect class="tl-valid cfg-%s" x="%.1f" y="%g" width="%.1f" height="%g" rx="4"/>`, id, x0, y, max(0, xr-x0), barH)
		fmt.Fprintf(&b, `<rect class="tl-window cfg-%s" x="%.1f" y="%g" width="%.1f" height="%g" rx="4" fill="url(#hatch-%s)"/>`, id, xr, y, max(0, x1-xr), barH, id)
		fmt.Fprintf(&b, `<line class="tl-expiry cfg-%s" x1="%.1f" y1="%g" x2="%.1f" y2="%g"/>`, id, x1, y-3, x1, y+barH+3)
		fmt.Fprintf(&b, `<path class="tl-renew" d="M%.1f %g l6 6 l-6 6 l-6 -6 z"/>`, xr, y+barH/2-6)
		fmt.Fprintf(&b, `<text class="tl-label" x="%.1f" y="%g">#%d %s</text>`, x0+6, y+barH/2+4, i+1, html.EscapeString(methodName(t.method)))
		b.WriteString(`</g>`)
	}
	lastLabel := -1e9
	for _, m := range marks {
		if m.at.Before(start) {
			continue
		}
		mx := x(m.at)
		fmt.Fprintf(&b, `<line class="tl-mark tl-%s" x1="%.1f" y1="%g" x2="%.1f" y2="%g"><title>%s at %s</title></line>`,
			m.kind, mx, top-16, mx, axisY, html.EscapeString(m.label), clock(m.at))
		if mx-lastLabel >= 120 { // labels closer than that would overlap
			fmt.Fprintf(&b, `<text class="tl-marklabel tl-%s" x="%.1f" y="%g" text-anchor="middle">%s</text>`, m.kind, mx, top-20, html.EscapeString(m.label))
			lastLabel = mx
		}
	}
	b.WriteString(`</g>`)
	nx := clampX(now)
	fmt.Fprintf(&b, `<line class="tl-now" x1="%.1f" y1="%g" x2="%.1f" y2="%g"/>`, nx, top-26, nx, axisY+4)
	fmt.Fprintf(&b, `<text class="tl-nowlabel" x="%.1f" y="%g" text-anchor="middle">now</text>`, nx, axisY+38)
	b.WriteString(`</svg>`)
	return b.String()
}
