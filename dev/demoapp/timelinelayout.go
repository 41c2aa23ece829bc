package main

import (
	"time"
	"unicode/utf8"
)

// The timeline's geometry, apart from its drawing (timeline.go) so that a
// native test can check it: the axis fits the tokens shown, each token has
// its own lane, and no two labels overlap each other or the "now" line.
// Lengths are SVG user units, which the page draws at about one CSS pixel
// each (the SVG is laid out as wide as its card).

const (
	tlMaxLanes = 6    // the newest tokens shown, one lane each
	tlMarkRows = 3    // rows for the marks' labels, above the lanes
	tlCharW    = 7.0  // an 11px label's widest average glyph, generous
	tlRowH     = 17.0 // a row of labels
	tlLaneH    = 26.0 // a lane: a bar and the space around it
	tlBarH     = 16.0
	tlPad      = 12.0 // the SVG's margin left and right
	tlLabelGap = 5.0  // between a line and its label, and between labels
)

// tlBox is a rectangle: x0 <= x1, y0 <= y1.
type tlBox struct{ x0, y0, x1, y1 float64 }

func (a tlBox) overlaps(b tlBox) bool {
	return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
}

// tlText is a label: its text, where it is drawn (x with anchor "start" or
// "end", y its baseline) and the box it takes.
type tlText struct {
	text   string
	x, y   float64
	anchor string
	box    tlBox
}

type tlTick struct {
	x     float64
	label tlText
}

type tlLane struct {
	n              int // the token's number in the visit, from 1
	tok            token
	y              float64 // the bar's top
	x0, xRenew, x1 float64 // issued, renewal point, expiry
	label          tlText  // in the gutter, left of the axis
}

type tlMark struct {
	m        mark
	x        float64
	top      float64 // where its line starts: beside its label, or at the lanes
	label    tlText
	labelled bool
}

// timelineLayout is where everything of one config's timeline goes.
type timelineLayout struct {
	w, h           float64
	plotX0, plotX1 float64 // the axis
	start, end     time.Time
	laneTop        float64 // the first lane's top; the mark rows are above it
	axisY          float64
	gridTop        float64
	ticks          []tlTick
	lanes          []tlLane
	hidden         int // older tokens not shown
	marks          []tlMark
	nowX           float64
	nowTop         float64
	nowLabel       tlText
	empty          *tlText // "no token yet", when there is none
}

// textWidth is how wide a label of the timeline can be, a little more than
// it is: a wrong guess must leave room, not overlap.
func textWidth(s string) float64 { return float64(utf8.RuneCountInString(s))*tlCharW + 2 }

// label places s at x (anchor "start": s begins at x; "end": s ends there)
// on the row whose top is rowTop.
func label(s string, x, rowTop float64, anchor string) tlText {
	w := textWidth(s)
	x0 := x
	if anchor == "end" {
		x0 = x - w
	}
	return tlText{text: s, x: x, y: rowTop + tlRowH - 5, anchor: anchor, box: tlBox{x0, rowTop + 1, x0 + w, rowTop + tlRowH - 1}}
}

// laneName is the short name of a token in the gutter: "#3 refresh".
func laneName(n int, method string) string {
	short := method
	switch method {
	case "refresh_token":
		short = "refresh"
	}
	return "#" + itoa(n) + " " + short
}

// itoa is strconv.Itoa for the small counts here, without the import.
func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// tickSteps are the axis' possible distances between two ticks.
var tickSteps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// layoutTimeline places tokens (oldest first) and marks between the first
// shown token's issue and the later of the last expiry and now, in an SVG w
// wide.
func layoutTimeline(toks []token, marks []mark, now time.Time, w float64) timelineLayout {
	w = max(280, w)
	l := timelineLayout{w: w}
	first := max(0, len(toks)-tlMaxLanes)
	l.hidden = first
	shown := toks[first:]

	// The axis: from the first shown issue to the last expiry, or now when
	// later, with a little room at either end.
	if len(shown) == 0 {
		l.start, l.end = now, now.Add(time.Minute)
	} else {
		l.start, l.end = shown[0].issued, shown[0].expires
		for _, t := range shown {
			l.start = minTime(l.start, t.issued)
			l.end = maxTime(l.end, t.expires)
		}
		l.start = minTime(l.start, now)
		l.end = maxTime(l.end, now)
	}
	pad := max(100*time.Millisecond, l.end.Sub(l.start)/40)
	l.start, l.end = l.start.Add(-pad), l.end.Add(pad)

	// The gutter holds the lanes' names.
	gutter := 0.0
	for i := range shown {
		gutter = max(gutter, textWidth(laneName(first+i+1, shown[i].method)))
	}
	if gutter > 0 {
		gutter += 10
	}
	l.plotX0, l.plotX1 = tlPad+gutter, w-tlPad
	span := l.end.Sub(l.start).Seconds()
	x := func(t time.Time) float64 {
		return l.plotX0 + (l.plotX1-l.plotX0)*t.Sub(l.start).Seconds()/span
	}

	// Rows from the top: "now", the marks' labels (as many rows as they
	// need, tlMarkRows at most), the lanes, the axis, the ticks' labels.
	const nowRow = 2.0
	l.nowX = max(l.plotX0, min(l.plotX1, x(now)))
	l.nowTop = nowRow
	if l.nowX+tlLabelGap+textWidth("now") <= w {
		l.nowLabel = label("now", l.nowX+tlLabelGap, nowRow, "start")
	} else {
		l.nowLabel = label("now", l.nowX-tlLabelGap, nowRow, "end")
	}

	// The marks' labels, in rows above the lanes (see placeMarkLabels).
	var visible []mark
	for _, m := range marks {
		if !m.at.Before(l.start) && !m.at.After(l.end) {
			visible = append(visible, m)
		}
	}
	xs, widths, shortWidths := make([]float64, len(visible)), make([]float64, len(visible)), make([]float64, len(visible))
	for i, m := range visible {
		xs[i], widths[i], shortWidths[i] = x(m.at), textWidth(m.label), textWidth(m.shortLabel())
	}
	spots, rows := placeMarkLabels(xs, widths, shortWidths, l.nowX, w)
	l.marks = make([]tlMark, len(visible))
	markRowTop := func(r int) float64 { return nowRow + tlRowH + tlRowH*float64(rows-1-r) }
	l.gridTop = nowRow + tlRowH + tlRowH*float64(rows)
	for i, m := range visible {
		l.marks[i] = tlMark{m: m, x: xs[i], top: l.gridTop}
		if sp := spots[i]; sp.row >= 0 {
			lx := xs[i] + tlLabelGap
			if sp.anchor == "end" {
				lx = xs[i] - tlLabelGap
			}
			text := m.label
			if sp.short {
				text = m.shortLabel()
			}
			l.marks[i].label = label(text, lx, markRowTop(sp.row), sp.anchor)
			l.marks[i].labelled = true
			l.marks[i].top = markRowTop(sp.row) + 2
		}
	}

	// One lane per token.
	l.laneTop = l.gridTop + 4
	for i, t := range shown {
		y := l.laneTop + float64(i)*tlLaneH
		ln := tlLane{n: first + i + 1, tok: t, y: y, x0: x(t.issued), xRenew: x(t.renewAt), x1: x(t.expires)}
		ln.label = label(laneName(ln.n, t.method), tlPad, y+tlBarH/2-tlRowH/2, "start")
		l.lanes = append(l.lanes, ln)
	}
	lanes := max(1, len(shown))
	l.axisY = l.laneTop + float64(lanes)*tlLaneH
	if len(shown) == 0 {
		e := label("no token yet — sign in", l.nowX+3*tlLabelGap, l.laneTop+tlLaneH/2-tlRowH/2, "start")
		if e.box.x1 > w {
			e = label("no token yet", l.nowX+3*tlLabelGap, e.box.y0-1, "start")
		}
		l.empty = &e
	}

	// Ticks: the shortest step whose labels keep apart, each label wholly
	// inside the SVG.
	format := "15:04:05"
	tickW := textWidth(format)
	perSec := (l.plotX1 - l.plotX0) / span
	step := tickSteps[len(tickSteps)-1]
	for _, st := range tickSteps {
		if st >= time.Minute {
			tickW = textWidth("15:04")
		}
		if perSec*st.Seconds() >= tickW+16 {
			step = st
			break
		}
	}
	if step >= time.Minute {
		format = "15:04"
	}
	// 3 px below the tick marks (and the now line, which ends with them): the
	// text box Firefox reports for an 11px label reaches 2 px above its row.
	tickY := l.axisY + 7
	for t := l.start.Truncate(step); !t.After(l.end); t = t.Add(step) {
		if t.Before(l.start) {
			continue
		}
		// A label that would cross the SVG's edge moves in (by less than
		// half its width: the ticks are inside the axis, tlPad from the
		// edges), keeping clear of its neighbour (the steps leave room).
		tx := x(t)
		s := t.Local().Format(format)
		tw := textWidth(s)
		lx := max(0, min(w-tw, tx-tw/2))
		lb := label(s, lx+tw/2, tickY, "start")
		lb.box = tlBox{lx, lb.box.y0, lx + tw, lb.box.y1}
		lb.anchor = "middle"
		if n := len(l.ticks); n > 0 && l.ticks[n-1].label.box.x1+tlLabelGap > lx {
			continue
		}
		l.ticks = append(l.ticks, tlTick{x: tx, label: lb})
	}
	l.h = tickY + tlRowH + 4
	return l
}

// tlSpot is where a mark's label goes: its row, counted up from the lanes
// (-1: nowhere, there is no room), and its side of the mark's line.
type tlSpot struct {
	row    int
	x0, x1 float64
	anchor string
	short  bool // the mark's short label, as the long one had no room
}

// placeMarkLabels finds a spot for the label of each mark (at xs, its label
// widths wide, or shortWidths for its short label, in time order) on at most tlMarkRows rows: a label overlaps
// no other label nor the now line and stays in the picture, no mark's line
// (from the lanes up to its label) crosses another's label. Lines that go
// higher must lie left of labels to their right on lower rows (a staircase),
// so it tries both orders and both sides, and keeps the one that labels the
// most marks, on the fewest rows. It returns the spots and the rows used.
func placeMarkLabels(xs, widths, shortWidths []float64, nowX, w float64) ([]tlSpot, int) {
	var best []tlSpot
	bestN, bestShort, bestRows := -1, 0, 0
	for _, try := range []struct {
		leftToRight bool
		sides       []string
	}{
		{false, []string{"start", "end"}},
		{true, []string{"end", "start"}},
		{true, []string{"start", "end"}},
		{false, []string{"end", "start"}},
	} {
		spots, n, short, rows := placeMarkLabelsIn(xs, widths, shortWidths, nowX, w, try.leftToRight, try.sides)
		better := n > bestN ||
			n == bestN && short < bestShort ||
			n == bestN && short == bestShort && rows < bestRows
		if better {
			best, bestN, bestShort, bestRows = spots, n, short, rows
		}
	}
	return best, bestRows
}

func placeMarkLabelsIn(xs, widths, shortWidths []float64, nowX, w float64, leftToRight bool, sides []string) (spots []tlSpot, n, short, rows int) {
	// Boxes in row units vertically: row r is [r, r+1].
	nowLine := tlBox{nowX - 2, -1, nowX + 2, tlMarkRows + 1}
	lineOf := func(x float64, row int) tlBox { return tlBox{x - 1.5, 0, x + 1.5, float64(row) + 1} }
	spots = make([]tlSpot, len(xs))
	placed := make([]bool, len(xs))
	var done []int
	// strict: nor over the line of a mark still to place, whose label could
	// then only go below this one (on row 0, nowhere).
	fits := func(x0, x1, x float64, row int, strict bool) bool {
		b := tlBox{x0, float64(row), x1, float64(row) + 1}
		if x0 < 0 || x1 > w || b.overlaps(nowLine) {
			return false
		}
		grown := tlBox{x0 - tlLabelGap/2, b.y0, x1 + tlLabelGap/2, b.y1}
		for _, j := range done {
			p := spots[j]
			pb := tlBox{p.x0, float64(p.row), p.x1, float64(p.row) + 1}
			if grown.overlaps(pb) || lineOf(x, row).overlaps(pb) || lineOf(xs[j], p.row).overlaps(b) {
				return false
			}
		}
		if strict {
			for j, ok := range placed {
				if !ok && xs[j] != x && lineOf(xs[j], row).overlaps(b) {
					return false
				}
			}
		}
		return true
	}
	for k := range xs {
		i := len(xs) - 1 - k
		if leftToRight {
			i = k
		}
		spots[i].row = -1
	place:
		for _, pass := range []struct{ short, strict bool }{{false, true}, {true, true}, {false, false}, {true, false}} {
			tw := widths[i]
			if pass.short {
				tw = shortWidths[i]
			}
			for r := 0; r < tlMarkRows; r++ {
				for _, side := range sides {
					x0 := xs[i] + tlLabelGap
					if side == "end" {
						x0 = xs[i] - tlLabelGap - tw
					}
					if fits(x0, x0+tw, xs[i], r, pass.strict) {
						spots[i] = tlSpot{r, x0, x0 + tw, side, pass.short}
						placed[i] = true
						done = append(done, i)
						n, rows = n+1, max(rows, r+1)
						if pass.short {
							short++
						}
						break place
					}
				}
			}
		}
	}
	return spots, n, short, rows
}

// shortLabel is the mark's label where the whole one has no room: its
// symbol, or its first word.
func (m mark) shortLabel() string {
	if m.short != "" {
		return m.short
	}
	for i, r := range m.label {
		if r == ' ' {
			return m.label[:i]
		}
	}
	return m.label
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// texts are every label of the layout, for the test.
func (l timelineLayout) texts() []tlText {
	out := []tlText{l.nowLabel}
	for _, t := range l.ticks {
		out = append(out, t.label)
	}
	for _, ln := range l.lanes {
		out = append(out, ln.label)
	}
	for _, m := range l.marks {
		if m.labelled {
			out = append(out, m.label)
		}
	}
	if l.empty != nil {
		out = append(out, *l.empty)
	}
	return out
}
