package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/e2etest"
	"github.com/oidcwasm/oidcwasm/dev/internal/engine"
)

// TestTheDemoSignsOutEveryTabWhenTheProviderDoes is the demo as the README
// tells it: the go-app demo and the bridge demo signed in to config a in
// two tabs, "Sign out at the provider" opens provider A's own sign-out page,
// and signing out there signs config a out in both tabs (front-channel
// logout through the demo's frontchannel-logout.html, which only the
// bundled providers may frame); config b stays.
func TestTheDemoSignsOutEveryTabWhenTheProviderDoes(t *testing.T) {
	env.Require(t, engine.CapSharedFrameStorage) // the provider frames the app's logout page
	goapp := goApp(t, env)
	goAppSignIn(goapp, "a")
	goAppSignIn(goapp, "b")

	bridge := goapp.NewTabInSameContext(t)
	page := env.AppURL() + "/bridge/"
	bridge.Open(page)
	card := func(id string) string { return `document.querySelector('[data-config="` + id + `"]')` }
	bridge.WaitFor(card("a") + `.dataset.state === "out"`)
	click(t, bridge, `[data-config="a"] .act-signin`) // the provider's session: no login form
	bridge.WaitURL("the bridge page", func(u *url.URL) bool { return strings.HasPrefix(u.String(), page) })
	bridge.WaitFor(card("a") + `.dataset.state === "in"`)

	signOut := e2etest.Eval[string](goapp, `document.querySelector("#provider-signout-a")?.href ?? ""`)
	if signOut != env.A.Issuer()+"/signout" || e2etest.Eval[string](bridge, card("a")+`.querySelector(".act-provider-signout").href`) != signOut {
		t.Fatalf("the demo pages link %q for provider A's sign-out page", signOut)
	}
	provider := goapp.NewTabInSameContext(t)
	provider.Open(signOut)
	provider.WaitFor(`document.querySelector("#user")?.textContent === "alice"`)
	clicked := time.Now()
	click(t, provider, "#signout")
	provider.WaitFor(`document.querySelector("h1")?.textContent === "Signed out" && document.querySelectorAll("li.done").length === 1`)

	goapp.WaitFor(`document.querySelector("#signed-out-a")?.textContent === "Signed out by the provider"`)
	bridge.WaitFor(card("a") + `.dataset.state === "out" && ` + card("a") + `.querySelector(".provider-error").textContent === "Signed out by the provider."`)
	t.Logf("both demo tabs signed out %v after the click", time.Since(clicked).Round(time.Millisecond))
	if took := time.Since(clicked); took > 2*time.Second {
		t.Errorf("the demo tabs took %v to sign out", took)
	}
	if goAppPill(goapp, "b") != "Signed in" {
		t.Errorf("config b: %q, want still signed in", goAppPill(goapp, "b"))
	}
	goAppScreenshot(goapp, "goapp-signed-out-by-the-provider")
}
