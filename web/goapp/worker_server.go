//go:build !wasm

package goapp

import (
	"encoding/json"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// ServiceWorkerTemplate is go-app's service worker (app.DefaultAppWorkerJS)
// with oidcwasm's worker custody in it, for app.Handler's
// ServiceWorkerTemplate: one worker per scope, so a go-app site whose pages
// use custody "worker" (README, "Worker custody") runs both in go-app's
// app-worker.js. oidcDir is the folder that serves oidc-sw.js, oidc.wasm
// and wasm_exec.js (`make build`'s static/oidc/, "/oidc/" in the demo).
//
// oidc-sw.js is imported before go-app's code, so its fetch listener sees
// each request first: a request to a secure route of a worker-custody
// config it answers with the token, and go-app's listener never sees it;
// every other request goes on to go-app's cache-first answer. A request
// that arrives while the worker starts waits for oidc.wasm to run (to be
// decided by the route table), and then, when it is not ours, goes to
// go-app's fetchWithCache, so go-app's offline cache keeps answering.
// go-app's install, activate, push and notification listeners are kept
// as they are, and so is the {{.Version}} cache name.
//
// The go-app pages themselves reach it with Options.Worker (NewWorker).
//
// The worker then runs oidc.wasm whether or not a page uses worker
// custody (tens of MB of worker memory, ~100–200 ms of compile at each
// start of the worker): use it only for a site that does.
func ServiceWorkerTemplate(oidcDir string) string {
	if !strings.HasSuffix(oidcDir, "/") {
		oidcDir += "/"
	}
	dir, _ := json.Marshal(oidcDir) // a JS string literal; json escapes <, > and &
	return "// oidcwasm worker custody (web/goapp.ServiceWorkerTemplate): oidc-sw.js decides first.\n" +
		"self.oidcwasmWorker = { base: " + string(dir) + ", fallback: (request) => fetchWithCache(request) };\n" +
		"importScripts(" + string(dir) + " + \"oidc-sw.js\");\n\n" +
		app.DefaultAppWorkerJS
}
