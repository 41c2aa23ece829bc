package e2etest

import (
	"testing"
)

// NewTabInSameContext opens another tab in tb's browser context, as a user
// opens a second tab of the same browser profile: it shares tb's cookies,
// localStorage, Web Locks and BroadcastChannels, and has its own
// sessionStorage. It is closed when t ends, before tb when both belong to
// the same test.
func (tb *Tab) NewTabInSameContext(t testing.TB) *Tab {
	t.Helper()
	p, err := tb.page.NewTab(tb.Ctx)
	if err != nil {
		t.Fatalf("e2etest: opening a tab in the same browser context: %v", err)
	}
	nt := &Tab{T: t, Ctx: tb.Ctx, env: tb.env, page: p}
	t.Cleanup(func() {
		nt.dumpConsole()
		p.Close()
	})
	return nt
}
