package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// TestEventsFireInTheDocumentedOrder records the events from the page
// (listeners added before oidc.ready) through one life: configure, a
// callback, a restore, renewals by refresh token and by iframe, a local
// logoff. Every event names its config and carries no token.
func TestEventsFireInTheDocumentedOrder(t *testing.T) {
	tab := env.NewTab(t)
	tab.OpenTestPage()
	tab.Configure()
	expect(t, tab, 0, "configLoaded a", "configLoaded b")

	// A callback page: discovery for both, then the new session.
	tab.SignIn("a", "alice", "alice")
	expect(t, tab, 0, "configLoaded a", "configLoaded b", "authenticated a restored=false")
	tab.SignIn("b", "alice", "alice")
	expect(t, tab, 0, "configLoaded a", "configLoaded b", "authenticated b restored=false", "authenticated a restored=true")

	// A plain reload restores both.
	tab.OpenTestPage()
	tab.Configure()
	tab.CheckAuth()
	expect(t, tab, 0, "configLoaded a", "configLoaded b", "authenticated a restored=true", "authenticated b restored=true")

	n := len(tab.Events())
	e2etest.Eval[any](tab, `oidc.forceRefreshSession("a")`)
	expect(t, tab, n, "silentRenewStarted a method=refresh_token", "tokenRefreshed a")
	n = len(tab.Events())
	e2etest.Eval[any](tab, `oidc.forceRefreshSession("b")`)
	expect(t, tab, n, "silentRenewStarted b method=iframe", "tokenRefreshed b")
	n = len(tab.Events())
	e2etest.Eval[any](tab, `oidc.logoffLocal("a")`)
	expect(t, tab, n, "loggedOut a")

	for _, ev := range tab.Events() {
		if ev.Detail["configId"] == nil {
			t.Errorf("%s without detail.configId", ev.Type)
		}
		if d := fmt.Sprint(ev.Detail); strings.Contains(d, "eyJ") {
			t.Errorf("%s detail holds a JWT", ev.Type)
		}
		if ev.Type == "authenticated" || ev.Type == "tokenRefreshed" {
			if _, ok := ev.Detail["expiresAt"].(float64); !ok {
				t.Errorf("%s without detail.expiresAt", ev.Type)
			}
		}
	}
}

// expect compares the page's events from index from on with want, each
// written "type configId" plus the detail facts that matter.
func expect(t *testing.T, tab *e2etest.Tab, from int, want ...string) {
	t.Helper()
	var got []string
	for _, ev := range tab.Events()[from:] {
		s := ev.Type + " " + fmt.Sprint(ev.Detail["configId"])
		if r, ok := ev.Detail["restored"]; ok && ev.Type == "authenticated" {
			s += fmt.Sprintf(" restored=%v", r)
		}
		if m, ok := ev.Detail["method"]; ok {
			s += fmt.Sprintf(" method=%v", m)
		}
		got = append(got, s)
	}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n got %q\nwant %q", got, want)
	}
}
