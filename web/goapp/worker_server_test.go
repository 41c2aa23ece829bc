//go:build !wasm

package goapp

import (
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The template keeps go-app's worker whole, and names the go-app function
// its fallback calls: a go-app release that renames fetchWithCache (or
// stops caching through it) fails here, not in a user's offline page.
func TestServiceWorkerTemplateImportsOursBeforeGoApps(t *testing.T) {
	s := ServiceWorkerTemplate("/oidc")
	imp := strings.Index(s, `importScripts("/oidc/" + "oidc-sw.js")`)
	goapp := strings.Index(s, app.DefaultAppWorkerJS)
	if imp < 0 || goapp < 0 || imp > goapp {
		t.Fatalf("the import of oidc-sw.js comes before go-app's worker: import at %d, go-app's worker at %d", imp, goapp)
	}
	if !strings.Contains(s, `base: "/oidc/"`) {
		t.Errorf("base is not the folder with a trailing slash:\n%s", s[:goapp])
	}
	if !strings.Contains(app.DefaultAppWorkerJS, "async function fetchWithCache(request)") ||
		!strings.Contains(app.DefaultAppWorkerJS, "event.respondWith(fetchWithCache(event.request))") {
		t.Error("go-app's worker no longer answers with fetchWithCache(request), which the fallback calls")
	}
	if strings.Contains(s[:goapp], "{{") {
		t.Error("the prefix holds a go-app placeholder")
	}
	if got := ServiceWorkerTemplate(`/x"</script>/`); !strings.Contains(got, `base: "/x\"\u003c/script\u003e/"`) {
		t.Errorf("a folder with a quote is not a JS string literal:\n%s", got[:200])
	}
}
