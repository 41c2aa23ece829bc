package e2etest

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// Gesture runs expr in the page as a click handler would: with the
// transient user activation that window.open needs. It does not wait for a
// promise expr returns; keep its outcome in a global and WaitFor it.
func (tb *Tab) Gesture(expr string) {
	tb.T.Helper()
	withGesture := func(p *runtime.EvaluateParams) {
		yes := true
		p.UserGesture = &yes
	}
	if _, err := chromedp.Run(tb.Ctx, chromedp.Evaluate[any]("void ("+expr+")", withGesture)); err != nil {
		tb.T.Fatalf("evaluating %s with a user gesture: %v", short(expr), err)
	}
}

// Popup runs open, which must make the page open a window, and returns that
// window as a Tab (it records its console and navigations like any Tab).
// A popup that closed before it could be attached to is a Tab whose Ctx is
// already done.
func (tb *Tab) Popup(t testing.TB, open func()) *Tab {
	t.Helper()
	opener := chromedp.FromContext(tb.Ctx).Target.TargetID
	ch := chromedp.WaitNewTarget(tb.Ctx, func(i *target.Info) bool { return i.OpenerID == opener })
	open()
	var id target.ID
	select {
	case id = <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("e2etest: the page opened no window")
	}
	ctx, cancel := chromedp.NewContext(tb.Ctx, chromedp.WithTargetID(id))
	t.Cleanup(cancel)
	pt := &Tab{T: t, Ctx: ctx, env: tb.env, rec: &recorder{}}
	if err := chromedp.Do(ctx); err != nil {
		if strings.Contains(err.Error(), "detached") || strings.Contains(err.Error(), "closed") {
			// Done and closed before we got there (an auto-login): the
			// Tab's Ctx is over.
			cancel()
			return pt
		}
		t.Fatalf("e2etest: attaching to the popup: %v", err)
	}
	pt.record()
	return pt
}
