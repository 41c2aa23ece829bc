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
	short string // where label has no room; default: its first word
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
			marks = append(marks, mark{at: e.At, kind: "out", label: "signed out", short: "out"})
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

// timelineView draws each config's tokens, each on an axis that fits them.
func (s *shell) timelineView(set *settings) app.UI {
	var cards []app.UI
	for _, id := range s.status.ConfigIDs {
		st := s.state(id)
		p := set.provider(id)
		toks, marks := history(s.events, id)
		how := "iframe (prompt=none)"
		if set.config(id).UseRefreshToken {
			how = "refresh token"
		}
		l := layoutTimeline(toks, marks, s.now, s.timelineWidth())
		summary := fmt.Sprintf("%d token(s) this visit · renews by %s", len(toks), how)
		if l.hidden > 0 {
			summary += fmt.Sprintf(" · the last %d shown", len(l.lanes))
		}
		cards = append(cards, app.Section().Class("card", "timeline-card").ID("timeline-"+id).Body(
			app.Div().Class("card-head").Body(
				app.Div().Class("provider").Body(
					app.Span().Class("provider-mark", "cfg-"+id).Text(markOf(p.Name)),
					app.Div().Body(app.H2().Text(p.Name), app.Div().Class("muted", "small").Text(summary)),
				),
				statusPill(st),
			),
			app.Raw(timelineSVG(id, l)),
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
			legend("sw-out", "signed out"),
			legend("sw-now", "now"),
		),
	)
}

// timelineWidth is how wide a timeline card's inside is, from the page's
// width and demo.css: the SVG is drawn at that size, one unit a pixel, so
// that its labels keep their size on a phone.
func (s *shell) timelineWidth() float64 {
	w := float64(s.width)
	if w <= 0 {
		return 960
	}
	if w > 860 { // the sidebar (248) and the content's padding (2 × 36)
		w = min(w-248, 1240) - 72
	} else {
		w -= 32
	}
	return w - 2*22 - 2 // the card's padding and border
}

func legend(cls, text string) app.UI {
	return app.Span().Class("legend-item").Body(app.Span().Class("swatch", cls), app.Text(text))
}

// timelineSVG draws one config's timeline as laid out by layoutTimeline.
func timelineSVG(id string, l timelineLayout) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="timeline" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" data-span="%.0f" role="img" aria-label="access tokens of config %s" xmlns="http://www.w3.org/2000/svg">`,
		l.w, l.h, l.w, l.h, l.end.Sub(l.start).Seconds(), html.EscapeString(id))
	fmt.Fprintf(&b, `<defs><pattern id="hatch-%s" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" class="tl-window-bg cfg-%s"/><line x1="0" y1="0" x2="0" y2="6" class="tl-hatch cfg-%s"/></pattern></defs>`, id, id, id)
	for _, t := range l.ticks {
		if len(l.lanes) > 0 { // else the grid would cross the "no token yet" text
			fmt.Fprintf(&b, `<line class="tl-grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, t.x, l.gridTop, t.x, l.axisY)
		}
	}
	for i, ln := range l.lanes {
		if i%2 == 0 {
			fmt.Fprintf(&b, `<rect class="tl-lane" x="%.1f" y="%.1f" width="%.1f" height="%g"/>`, l.plotX0, ln.y-(tlLaneH-tlBarH)/2, l.plotX1-l.plotX0, tlLaneH)
		}
	}
	fmt.Fprintf(&b, `<line class="tl-axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, l.plotX0, l.axisY, l.plotX1, l.axisY)
	for _, t := range l.ticks {
		fmt.Fprintf(&b, `<line class="tl-tickmark" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, t.x, l.axisY, t.x, l.axisY+4)
		writeText(&b, "tl-tick", t.label)
	}
	if l.empty != nil {
		writeText(&b, "tl-empty", *l.empty)
	}
	for _, ln := range l.lanes {
		t := ln.tok
		fmt.Fprintf(&b, `<g class="tl-token" data-issued="%d" data-lane="%d"><title>token %d (%s): issued %s, renewal point %s, expires %s</title>`,
			t.issued.Unix(), ln.n, ln.n, methodName(t.method), clock(t.issued), clock(t.renewAt), clock(t.expires))
		fmt.Fprintf(&b, `<rect class="tl-valid cfg-%s" x="%.1f" y="%.1f" width="%.1f" height="%g" rx="3"/>`, id, ln.x0, ln.y, max(0, ln.xRenew-ln.x0), tlBarH)
		fmt.Fprintf(&b, `<rect class="tl-window cfg-%s" x="%.1f" y="%.1f" width="%.1f" height="%g" rx="3" fill="url(#hatch-%s)"/>`, id, ln.xRenew, ln.y, max(0, ln.x1-ln.xRenew), tlBarH, id)
		fmt.Fprintf(&b, `<line class="tl-expiry cfg-%s" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, id, ln.x1, ln.y-3, ln.x1, ln.y+tlBarH+3)
		fmt.Fprintf(&b, `<path class="tl-renew" d="M%.1f %.1f l5 5 l-5 5 l-5 -5 z"/>`, ln.xRenew, ln.y+tlBarH/2-5)
		b.WriteString(`</g>`)
		writeText(&b, "tl-lanelabel", ln.label)
	}
	for _, m := range l.marks {
		fmt.Fprintf(&b, `<line class="tl-mark tl-%s" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"><title>%s at %s</title></line>`,
			m.m.kind, m.x, m.top, m.x, l.axisY, html.EscapeString(m.m.label), clock(m.m.at))
		if m.labelled {
			writeText(&b, "tl-marklabel tl-"+m.m.kind, m.label)
		}
	}
	fmt.Fprintf(&b, `<line class="tl-now" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, l.nowX, l.nowTop, l.nowX, l.axisY+4)
	writeText(&b, "tl-nowlabel", l.nowLabel)
	b.WriteString(`</svg>`)
	return b.String()
}

func writeText(b *strings.Builder, class string, t tlText) {
	fmt.Fprintf(b, `<text class="%s" x="%.1f" y="%.1f" text-anchor="%s">%s</text>`, class, t.x, t.y, t.anchor, html.EscapeString(t.text))
}
