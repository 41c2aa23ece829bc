package e2etest

import (
	"testing"
)

// Gesture runs expr in the page as a click handler would: with the
// transient user activation that window.open needs. It does not wait for a
// promise expr returns; keep its outcome in a global and WaitFor it.
func (tb *Tab) Gesture(expr string) {
	tb.T.Helper()
	if err := tb.page.Gesture(tb.Ctx, expr); err != nil {
		tb.T.Fatalf("evaluating %s with a user gesture: %v", short(expr), err)
	}
}

// Popup runs open, which must make the page open a window, and returns that
// window as a Tab (it records its console and navigations like any Tab).
// A popup that closed before it could be reached is a Tab whose Closed is
// already true.
func (tb *Tab) Popup(t testing.TB, open func()) *Tab {
	t.Helper()
	p, err := tb.page.Popup(tb.Ctx, func() error { open(); return nil })
	if err != nil {
		t.Fatalf("e2etest: %v", err)
	}
	return &Tab{T: t, Ctx: tb.Ctx, env: tb.env, page: p}
}
