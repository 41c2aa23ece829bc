package e2e

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/devop"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// The go-app demo's token timeline and its layout on a phone, as a user sees
// them: each test saves screenshots in dev/artifacts/screenshots/ and checks
// the geometry the page relies on, measured in Chromium with
// getBoundingClientRect: the axis fits the tokens, one lane per token,
// labels inside the picture and apart from each other and from the now line,
// "now" in another colour than a failed renewal; at 390 px the session card
// on the first screen and nothing wider than the screen.

// TestGoAppTimelineScreenshot60s: 60-second tokens (the demo's default),
// renewed by hand twice with a failed renewal between, seconds apart.
func TestGoAppTimelineScreenshot60s(t *testing.T) {
	tab := goApp(t, env)
	start := time.Now()
	timelineScenario(t, env, tab)
	goAppView(tab, "timeline")
	timelineWait(tab, 3, 2)
	// The axis runs from the first token's issue to the last one's expiry:
	// 60 s plus the time the sign-ins and renewals took (seconds apart, more
	// on a loaded machine: WebKit's took 21 s in one CI run).
	most := 60 + time.Since(start).Seconds() + 5
	timelineScreenshot(tab, "timeline-60s")
	for _, id := range []string{"a", "b"} {
		g := timelineMeasure(tab, id)
		checkTimeline(t, id, g)
		if span := g.AxisSeconds; span < 60 || span > most {
			t.Errorf("config %s: the axis spans %.0f s for 60-second tokens issued within %.0f s, want about 60 s and at most %.0f", id, span, most-65, most)
		}
	}
	checkNowColour(t, timelineMeasure(tab, "a"))
}

// TestGoAppTimelineScreenshot1h: the same with one-hour tokens, in a demo of
// its own whose providers issue them.
func TestGoAppTimelineScreenshot1h(t *testing.T) {
	e, err := e2etest.Start(e2etest.Options{AccessTokenLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	tab := goApp(t, e)
	timelineScenario(t, e, tab)
	goAppView(tab, "timeline")
	timelineWait(tab, 3, 2)
	timelineScreenshot(tab, "timeline-1h")
	for _, id := range []string{"a", "b"} {
		g := timelineMeasure(tab, id)
		checkTimeline(t, id, g)
		if span := g.AxisSeconds; span < 3600 || span > 4000 {
			t.Errorf("config %s: the axis spans %.0f s for one-hour tokens, want about an hour", id, span)
		}
	}
	checkNowColour(t, timelineMeasure(tab, "a"))
}

// TestGoAppLayoutAt390px: a phone's width. The sessions come first, not the
// navigation; no element runs past the screen's right edge; the timeline
// keeps its labels apart and at their size. The screen is what a 390 px
// phone's browser shows between its toolbars: 664 px high.
func TestGoAppLayoutAt390px(t *testing.T) {
	tab := env.NewTab(t)
	tab.SetViewport(390, 664)
	tab.Open(env.AppURL() + "/")
	goAppStarted(tab)
	goAppSignIn(tab, "a")
	// The card's head and first lines (120 px) on the first screen.
	firstScreen := func(sel string) {
		t.Helper()
		top := e2etest.Eval[float64](tab, `document.querySelector(`+e2etest.MustJSON(sel)+`).getBoundingClientRect().top + scrollY`)
		if h := e2etest.Eval[float64](tab, `innerHeight`); top+120 > h {
			t.Errorf("%s starts %.0f px down a %.0f px screen: want its first 120 px on the first screen", sel, top, h)
		}
	}
	firstScreen("#session-a")
	noHorizontalOverflow(t, tab, "the sessions")
	timelineScreenshot(tab, "layout-390-sessions")

	goAppClick(tab, "#renew-a")
	goAppView(tab, "timeline")
	timelineWait(tab, 2, 0)
	firstScreen("#timeline-a")
	noHorizontalOverflow(t, tab, "the timeline")
	timelineScreenshot(tab, "layout-390-timeline")
	g := timelineMeasure(tab, "a")
	checkTimeline(t, "a", g)
	if scale := g.SVG.W() / g.ViewBoxW; scale < 0.85 || scale > 1.15 {
		t.Errorf("the timeline is drawn at %.2f × its size: its 11 px labels would be %.1f px", scale, 11*scale)
	}

	// The bridge demo page has no sidebar, but must fit a phone too.
	tab.Open(env.AppURL() + "/bridge/")
	tab.WaitFor(`document.querySelectorAll("[data-config]").length >= 2 && document.querySelector('[data-config="a"]').dataset.state !== "loading"`)
	firstScreen(`[data-config="a"]`)
	noHorizontalOverflow(t, tab, "the bridge demo")
	timelineScreenshot(tab, "layout-390-bridge")
}

// timelineScenario signs in to both configs, then renews a's token, fails
// one renewal of it at the provider, renews it again, and renews b's once:
// a has three tokens and three marks a few seconds apart, b two and one.
func timelineScenario(t *testing.T, e *e2etest.Env, tab *e2etest.Tab) {
	t.Helper()
	goAppSignIn(tab, "a")
	goAppSignIn(tab, "b")
	renew := func(id string, events string, n int) {
		t.Helper()
		goAppClick(tab, "#renew-"+id)
		tab.WaitFor(fmt.Sprintf(`goAppEvents(%q, %q) >= %d`, id, events, n))
	}
	e2etest.Eval[any](tab, `window.goAppEvents = (id, types) =>
		JSON.parse(sessionStorage.getItem("demo.events") || "[]").filter((e) => e.ConfigID === id && types.split(",").includes(e.Type)).length`)
	renew("a", "tokenRefreshed", 1)
	time.Sleep(1500 * time.Millisecond)
	if err := e.A.FailNextToken(1, devop.FailStatus500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.A.FailNextToken(0, devop.FailStatus500) })
	renew("a", "silentRenewFailed", 1)
	time.Sleep(1500 * time.Millisecond)
	renew("a", "tokenRefreshed", 2)
	renew("b", "tokenRefreshed", 1)
}

// timelineWait waits until the timeline shows a's tokens and b's.
func timelineWait(tab *e2etest.Tab, a, b int) {
	tab.T.Helper()
	tab.WaitFor(fmt.Sprintf(`document.querySelectorAll("#timeline-a .tl-token").length >= %d && (%d === 0 || document.querySelectorAll("#timeline-b .tl-token").length >= %d)`, a, b, b))
	// One more tick of the page's clock, so "now" has moved with the view.
	time.Sleep(1100 * time.Millisecond)
}

// timelineScreenshot saves the page as dev/artifacts/<engine>/screenshots/name.png.
func timelineScreenshot(tab *e2etest.Tab, name string) {
	tab.T.Helper()
	dir := filepath.Join(filepath.Dir(goAppStatic(tab.T.(*testing.T))), "dev", "artifacts", string(env.Engine()), "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tab.T.Fatal(err)
	}
	png := tab.PNG()
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tab.T.Fatal(err)
	}
}

type rect struct{ L, T, R, B float64 }

func (r rect) W() float64 { return r.R - r.L }

// overlaps is true when a and b share more than a sliver (a pixel's half).
func (r rect) overlaps(o rect) bool {
	const e = 0.5
	return r.L+e < o.R && o.L+e < r.R && r.T+e < o.B && o.T+e < r.B
}

func (r rect) String() string { return fmt.Sprintf("[%.0f,%.0f–%.0f,%.0f]", r.L, r.T, r.R, r.B) }

// timelineGeometry is one config's timeline as the browser laid it out.
type timelineGeometry struct {
	Card, SVG, Axis, Now rect
	ViewBoxW             float64
	AxisSeconds          float64
	Tokens               []struct {
		Box, Valid, Window rect
	}
	Labels []struct {
		Class, Text string
		Box         rect
	}
	Marks, MarkLabels                                int
	NowStroke, FailedStroke, SwatchNow, SwatchFailed string
}

func timelineMeasure(tab *e2etest.Tab, id string) timelineGeometry {
	tab.T.Helper()
	return e2etest.Eval[timelineGeometry](tab, `(() => {
		const card = document.querySelector("#timeline-`+id+`");
		const svg = card.querySelector("svg.timeline");
		const r = (e) => { const b = e.getBoundingClientRect(); return {L: b.left, T: b.top, R: b.right, B: b.bottom}; };
		const q = (s) => Array.from(svg.querySelectorAll(s));
		const ticks = q(".tl-tick");
		const failed = svg.querySelector(".tl-mark.tl-failed");
		return {
			Card: r(card), SVG: r(svg), Axis: r(svg.querySelector(".tl-axis")), Now: r(svg.querySelector(".tl-now")),
			ViewBoxW: svg.viewBox.baseVal.width,
			AxisSeconds: +svg.dataset.span,
			Tokens: q(".tl-token").map((g) => ({Box: r(g), Valid: r(g.querySelector(".tl-valid")), Window: r(g.querySelector(".tl-window"))})),
			Labels: q("text").map((t) => ({Class: t.getAttribute("class"), Text: t.textContent, Box: r(t)})),
			Marks: q(".tl-mark").length, MarkLabels: q(".tl-marklabel").length,
			NowStroke: getComputedStyle(svg.querySelector(".tl-now")).stroke,
			FailedStroke: failed ? getComputedStyle(failed).stroke : "",
			SwatchNow: getComputedStyle(document.querySelector(".sw-now")).backgroundColor,
			SwatchFailed: getComputedStyle(document.querySelector(".sw-fail")).backgroundColor,
		};
	})()`)
}

// checkTimeline asserts what a reader of the timeline relies on.
func checkTimeline(t *testing.T, id string, g timelineGeometry) {
	t.Helper()
	if len(g.Tokens) == 0 {
		t.Fatalf("config %s: no token drawn", id)
	}
	// The axis fits the tokens: the first starts near its left end, the
	// latest expires near its right end.
	left, right := g.Tokens[0].Valid.L, g.Tokens[0].Window.R
	for _, tk := range g.Tokens {
		left, right = math.Min(left, tk.Valid.L), math.Max(right, tk.Window.R)
	}
	w := g.Axis.W()
	if gap := (left - g.Axis.L) / w; gap > 0.15 || gap < -0.01 {
		t.Errorf("config %s: the first token starts %.0f%% into the axis %v (at %.0f); want at most 15%% empty", id, gap*100, g.Axis, left)
	}
	if gap := (g.Axis.R - right) / w; gap > 0.15 || gap < -0.01 {
		t.Errorf("config %s: the axis %v runs %.0f%% past the latest expiry (at %.0f); want at most 15%% empty", id, g.Axis, gap*100, right)
	}
	// One lane per token.
	for i, a := range g.Tokens {
		for j, b := range g.Tokens[i+1:] {
			if a.Box.overlaps(b.Box) {
				t.Errorf("config %s: tokens %d %v and %d %v share a lane", id, i+1, a.Box, i+j+2, b.Box)
			}
		}
	}
	// Labels: apart, off the now line, inside the picture.
	nowLine := rect{g.Now.L - 1, g.Now.T, g.Now.R + 1, g.Now.B}
	ticks := 0
	for i, a := range g.Labels {
		if a.Box.overlaps(nowLine) {
			t.Errorf("config %s: label %q %v is on the now line %v", id, a.Text, a.Box, g.Now)
		}
		for _, b := range g.Labels[i+1:] {
			if a.Box.overlaps(b.Box) {
				t.Errorf("config %s: labels %q %v and %q %v overlap", id, a.Text, a.Box, b.Text, b.Box)
			}
		}
		if a.Box.L < g.SVG.L-0.5 || a.Box.R > g.SVG.R+0.5 || a.Box.L < g.Card.L || a.Box.R > g.Card.R {
			t.Errorf("config %s: label %q %v is outside the timeline %v (card %v)", id, a.Text, a.Box, g.SVG, g.Card)
		}
		if strings.Contains(a.Class, "tl-tick") {
			ticks++
		}
	}
	if ticks < 2 {
		t.Errorf("config %s: %d tick labels on the axis", id, ticks)
	}
	if g.MarkLabels != g.Marks {
		t.Errorf("config %s: %d of %d marks have a label", id, g.MarkLabels, g.Marks)
	}
}

// checkNowColour: "now" must not look like a failed renewal, on the picture
// and in the legend.
func checkNowColour(t *testing.T, g timelineGeometry) {
	t.Helper()
	if g.FailedStroke == "" {
		t.Fatal("no failed renewal on the timeline")
	}
	for _, c := range [][2]string{{g.NowStroke, g.FailedStroke}, {g.SwatchNow, g.SwatchFailed}} {
		if d := colourDistance(t, c[0], c[1]); d < 100 {
			t.Errorf("now is %s, a failed renewal %s: too alike (distance %.0f, want 100 or more)", c[0], c[1], d)
		}
	}
}

func colourDistance(t *testing.T, a, b string) float64 {
	t.Helper()
	parse := func(s string) (c [3]float64) {
		if _, err := fmt.Sscanf(s, "rgb(%g, %g, %g)", &c[0], &c[1], &c[2]); err != nil {
			t.Fatalf("colour %q: %v", s, err)
		}
		return c
	}
	x, y := parse(a), parse(b)
	return math.Sqrt((x[0]-y[0])*(x[0]-y[0]) + (x[1]-y[1])*(x[1]-y[1]) + (x[2]-y[2])*(x[2]-y[2]))
}

// noHorizontalOverflow: the page does not scroll sideways, and no element
// (outside a scroller of its own) runs past the screen's edges.
func noHorizontalOverflow(t *testing.T, tab *e2etest.Tab, what string) {
	t.Helper()
	type result struct {
		ScrollWidth, InnerWidth float64
		Wide                    []string
	}
	r := e2etest.Eval[result](tab, `(() => {
		const scrolls = (e) => { for (let p = e.parentElement; p; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === "auto" || o === "scroll" || o === "hidden") return true; } return false; };
		const wide = [];
		for (const e of document.body.querySelectorAll("*")) {
			const b = e.getBoundingClientRect();
			if (b.width === 0 || b.height === 0 || scrolls(e)) continue;
			if (b.left < -0.5 || b.right > innerWidth + 0.5) wide.push(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.getAttribute("class") ? "." + e.getAttribute("class").trim().split(/\s+/).join(".") : "") + " " + Math.round(b.left) + ".." + Math.round(b.right));
		}
		return {ScrollWidth: document.scrollingElement.scrollWidth, InnerWidth: innerWidth, Wide: wide.slice(0, 12)};
	})()`)
	if r.ScrollWidth > r.InnerWidth {
		t.Errorf("%s: the page is %.0f px wide on a %.0f px screen (it scrolls sideways)", what, r.ScrollWidth, r.InnerWidth)
	}
	for _, w := range r.Wide {
		t.Errorf("%s: wider than the %.0f px screen: %s", what, r.InnerWidth, w)
	}
}
