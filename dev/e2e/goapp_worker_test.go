package e2e

import (
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/demo"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
	"github.com/oidcwasm/oidcwasm/dev/internal/engine"
)

// TestGoAppsWorkerCarriesWorkerCustodyAndItsCache: the go-app demo's
// service worker is go-app's with oidc-sw.js in it
// (goapp.ServiceWorkerTemplate), the origin's one worker for both demos.
// go-app's cache answers the app (a reload fetches no app.wasm from the
// server, also while the worker starts again after the browser stopped
// it), and the bridge demo's worker mode keeps b's tokens in that worker:
// oidc.js registers nothing over it, and API B gets b's token once.
func TestGoAppsWorkerCarriesWorkerCustodyAndItsCache(t *testing.T) {
	tab := goApp(t, env)
	tab.WaitFor(`navigator.serviceWorker.controller !== null && navigator.serviceWorker.controller.scriptURL.endsWith("/app-worker.js")`)
	fromCache := func(when string) {
		t.Helper()
		before := env.Demo.StaticHits("/web/app.wasm")
		goAppReload(tab)
		if n := env.Demo.StaticHits("/web/app.wasm") - before; n != 0 {
			t.Errorf("%s: the server answered %d requests for /web/app.wasm; want none (go-app's cache)", when, n)
		}
	}
	fromCache("a reload")

	page := env.AppURL() + "/bridge/"
	card := func(id string) string { return `document.querySelector('[data-config="` + id + `"]')` }
	tab.Open(page + "?custody=worker")
	tab.WaitFor(`navigator.serviceWorker.controller !== null && ` + card("b") + `.dataset.state === "out" && ` + card("b") + `.querySelector(".provider-error").hidden`)
	click(t, tab, `[data-config="b"] .act-signin`)
	tab.WaitFor(`location.href.startsWith(` + e2etest.MustJSON(page) + `) && ` + card("b") + `?.dataset.state === "in"`)
	tab.WaitFor(card("b") + `.querySelector(".token-fp").textContent === "in the service worker"`)
	env.Demo.ResetRequests()
	click(t, tab, `[data-target="api-b"] .req-send`)
	tab.WaitFor(`document.querySelector('[data-target="api-b"] .verdict')`)
	if seen := env.Demo.Requests(); len(seen) != 1 || seen[0].Authorization != demo.AuthValid {
		t.Errorf("API B saw %+v; want one request, with b's valid token, added by go-app's worker", seen)
	}
	reg := e2etest.Eval[string](tab, `navigator.serviceWorker.getRegistration("/").then((r) =>
  [r.active && r.active.scriptURL, r.installing && r.installing.scriptURL, r.waiting && r.waiting.scriptURL].join(" "))`)
	if !strings.HasSuffix(strings.Fields(reg)[0], "/app-worker.js") || len(strings.Fields(reg)) != 1 {
		t.Errorf("the origin's worker after the bridge page: %q; want go-app's app-worker.js alone", reg)
	}

	tab.Open(env.AppURL() + "/")
	goAppStarted(tab)
	if env.Supports(engine.CapStopWorkers) {
		tab.StopWorkers()
		fromCache("a reload that starts the stopped worker")
	}
}
