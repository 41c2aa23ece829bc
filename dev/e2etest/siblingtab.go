package e2etest

import (
	"fmt"
	"os"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// NewTabInSameContext opens another tab in tb's browser context, as a user
// opens a second tab of the same browser profile: it shares tb's cookies,
// localStorage, Web Locks and BroadcastChannels, and has its own
// sessionStorage. It is closed when t ends, before tb when both belong to
// the same test. It records its console and navigations like NewTab's tabs.
func (tb *Tab) NewTabInSameContext(t testing.TB) *Tab {
	t.Helper()
	// Without WithNewBrowserContext, chromedp opens the target in the
	// parent's browser context.
	ctx, cancel := chromedp.NewContext(tb.Ctx)
	t.Cleanup(cancel)
	nt := &Tab{T: t, Ctx: ctx, env: tb.env, rec: &recorder{}}
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		t.Fatalf("e2etest: opening a tab in the same browser context: %v", err)
	}
	nt.record()
	return nt
}

// record keeps the tab's console messages and frame navigations, for every
// tab NewTab or NewTabInSameContext opens; with OIDCWASM_E2E_VERBOSE set the
// console goes to stderr as well.
func (tb *Tab) record() {
	verbose := os.Getenv("OIDCWASM_E2E_VERBOSE") != ""
	console := chromedp.Console(tb.Ctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if verbose {
				fmt.Fprintf(os.Stderr, "console %s: %s %s\n", m.Type, m.Text, m.URL)
			}
			tb.rec.mu.Lock()
			tb.rec.console = append(tb.rec.console, m)
			tb.rec.mu.Unlock()
		}
	}()
	navs := chromedp.Events(tb.Ctx, page.FrameNavigated)
	go func() {
		for ev, err := range navs {
			if err != nil {
				return
			}
			if ev.Frame != nil {
				tb.rec.mu.Lock()
				tb.rec.visited = append(tb.rec.visited, ev.Frame.URL+ev.Frame.URLFragment)
				tb.rec.mu.Unlock()
			}
		}
	}()
}
