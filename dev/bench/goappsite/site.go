// Package goappsite is what the benchmark's go-app apps (bench/bareapp,
// bench/goappmin) share: the performance marks that time their start in the
// browser, and, run natively, the static site go-app needs around their
// wasm (index.html, app.js, app-worker.js, wasm_exec.js, manifest), made by
// go-app's own GenerateStaticWebsite so the page loads as any go-app app's.
package goappsite

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// The marks the apps make (performance.mark), read by dev/cmd/bench.
const (
	// Mounted: the app's page component is mounted (go-app's first render
	// in the browser).
	Mounted = "app:mounted"
	// SignedIn: the page shows the signed-in state (goappmin).
	SignedIn = "app:signedIn"
)

// Mark records the moment name in the page's performance timeline; it does
// nothing outside the browser.
func Mark(name string) {
	if app.IsClient {
		app.Window().Get("performance").Call("mark", name)
	}
}
