package main

import (
	"testing"
	"time"
)

// TestTimelineLayout checks the geometry a reader relies on, for the shapes
// a visit takes: the axis fits the tokens, one lane per token, labels inside
// the picture, apart from each other and from the now line, and every mark
// labelled while there is room.
func TestTimelineLayout(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.Local)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	tok := func(issued, life float64, method string) token {
		return token{issued: at(issued), renewAt: at(issued + life*3/4), expires: at(issued + life), method: method}
	}
	renewed := func(s float64) mark { return mark{at: at(s), kind: "renewed", label: "↻ refresh token"} }
	failed := func(s float64) mark { return mark{at: at(s), kind: "failed", label: "✕ server_error"} }
	type want struct {
		lanes, labelled, hidden int
	}
	cases := []struct {
		name  string
		toks  []token
		marks []mark
		now   float64
		w     float64
		want  want
	}{
		{"one 60s token", []token{tok(0, 60, "login")}, nil, 10, 960, want{1, 0, 0}},
		{"60s tokens renewed twice", []token{tok(0, 60, "login"), tok(45, 60, "refresh_token"), tok(90, 60, "refresh_token")},
			[]mark{renewed(45), renewed(90)}, 95, 960, want{3, 2, 0}},
		{"renewals 4s apart, a failure between", []token{tok(0, 60, "login"), tok(2, 60, "refresh_token"), tok(6, 60, "refresh_token")},
			[]mark{renewed(2), failed(4), renewed(6)}, 7, 960, want{3, 3, 0}},
		{"renewals 4s apart on a phone", []token{tok(0, 60, "login"), tok(2, 60, "refresh_token"), tok(6, 60, "refresh_token")},
			[]mark{renewed(2), failed(4), renewed(6)}, 7, 312, want{3, 3, 0}},
		{"1h tokens", []token{tok(0, 3600, "login"), tok(3, 3600, "refresh_token"), tok(7, 3600, "iframe")},
			[]mark{renewed(3), failed(5), renewed(7)}, 8, 960, want{3, 3, 0}},
		{"1h token on a phone", []token{tok(0, 3600, "login")}, nil, 30, 312, want{1, 0, 0}},
		{"now at the last expiry", []token{tok(0, 60, "login"), tok(45, 60, "iframe")}, []mark{renewed(45)}, 105, 960, want{2, 1, 0}},
		{"a long visit", []token{tok(0, 60, "login"), tok(45, 60, "refresh_token"), tok(90, 60, "refresh_token"), tok(135, 60, "refresh_token"),
			tok(180, 60, "refresh_token"), tok(225, 60, "refresh_token"), tok(270, 60, "refresh_token"), tok(315, 60, "refresh_token")},
			[]mark{renewed(45), renewed(90), renewed(135), renewed(180), renewed(225), renewed(270), renewed(315)}, 320, 700, want{6, 6, 2}},
		{"no token", nil, nil, 0, 960, want{0, 0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := layoutTimeline(c.toks, c.marks, at(c.now), c.w)
			if len(l.lanes) != c.want.lanes || l.hidden != c.want.hidden {
				t.Fatalf("%d lanes, %d hidden; want %d, %d", len(l.lanes), l.hidden, c.want.lanes, c.want.hidden)
			}
			labelled := 0
			for _, m := range l.marks {
				if m.labelled {
					labelled++
				}
			}
			if labelled != c.want.labelled {
				t.Errorf("%d of %d marks labelled, want %d", labelled, len(l.marks), c.want.labelled)
			}
			checkTimelineLayout(t, l)
		})
	}
}

// TestTimelineLayoutTicks: whatever second the token was issued at, its
// axis has two labelled ticks or more, inside the picture, on a phone too.
func TestTimelineLayoutTicks(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.Local)
	for _, life := range []time.Duration{12 * time.Second, time.Minute, time.Hour} {
		for _, w := range []float64{312, 960} {
			for off := time.Duration(0); off < 60; off++ {
				issued := t0.Add(off * life / 60)
				tok := token{issued: issued, renewAt: issued.Add(life * 3 / 4), expires: issued.Add(life), method: "login"}
				l := layoutTimeline([]token{tok}, nil, issued.Add(life/10), w)
				if len(l.ticks) < 2 {
					t.Errorf("%v token issued at %v, %g wide: %d ticks", life, issued.Format("15:04:05"), w, len(l.ticks))
				}
				if !t.Failed() {
					checkTimelineLayout(t, l)
				}
			}
		}
	}
}

func checkTimelineLayout(t *testing.T, l timelineLayout) {
	t.Helper()
	plot := l.plotX1 - l.plotX0
	if len(l.lanes) > 0 {
		left, right := l.lanes[0].x0, l.lanes[0].x1
		for _, ln := range l.lanes {
			left, right = min(left, ln.x0), max(right, ln.x1)
		}
		right = max(right, l.nowX)
		if gap := (left - l.plotX0) / plot; gap > 0.05 || gap < 0 {
			t.Errorf("the first token starts %.0f%% into the axis", gap*100)
		}
		if gap := (l.plotX1 - right) / plot; gap > 0.05 || gap < 0 {
			t.Errorf("the axis goes on %.0f%% past the last expiry or now", gap*100)
		}
	}
	for i, a := range l.lanes {
		ab := tlBox{a.x0, a.y - 3, a.x1, a.y + tlBarH + 3}
		for _, b := range l.lanes[i+1:] {
			if ab.overlaps(tlBox{b.x0, b.y - 3, b.x1, b.y + tlBarH + 3}) {
				t.Errorf("tokens #%d and #%d share a lane", a.n, b.n)
			}
		}
	}
	if len(l.ticks) < 2 {
		t.Errorf("%d ticks", len(l.ticks))
	}
	texts := l.texts()
	now := tlBox{l.nowX - 1, l.nowTop, l.nowX + 1, l.axisY + 4}
	for i, a := range texts {
		if a.box.x0 < 0 || a.box.x1 > l.w || a.box.y0 < 0 || a.box.y1 > l.h {
			t.Errorf("label %q at %+v is outside the %gx%g picture", a.text, a.box, l.w, l.h)
		}
		if a.box.overlaps(now) {
			t.Errorf("label %q at %+v is on the now line (x %.1f)", a.text, a.box, l.nowX)
		}
		for _, b := range texts[i+1:] {
			if a.box.overlaps(b.box) {
				t.Errorf("labels %q %+v and %q %+v overlap", a.text, a.box, b.text, b.box)
			}
		}
	}
	// A labelled mark's line runs from its label down: through no label.
	for _, m := range l.marks {
		line := tlBox{m.x - 0.75, m.top, m.x + 0.75, l.axisY}
		for _, tx := range texts {
			if tx.box.overlaps(line) && !(m.labelled && tx == m.label) {
				t.Errorf("the line of %q at %.1f crosses label %q %+v", m.m.label, m.x, tx.text, tx.box)
			}
		}
	}
}

func TestItoa(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 10: "10", 42: "42", 305: "305", -3: "-3"} {
		if got := itoa(n); got != want {
			t.Errorf("itoa(%d) = %q", n, got)
		}
	}
}
