package silentrefresh

import (
	"bytes"
	_ "embed"
	"net/http"
	"strconv"
)

// page is silent-refresh.html: the redirect URI of iframe renewals. It is a
// few lines of plain JavaScript, not the library: loading megabytes of wasm
// per renewal would make every renewal slow. Inside the iframe it posts
// location.href (the authorization response) to the parent with targetOrigin
// location.origin, so only a page of its own origin can receive it. Opened on
// its own (no parent), it replaces itself with the app's directory, so the
// code neither stays on screen nor in the history.
//
//go:embed silent-refresh.html
var page []byte

// scriptHash is the CSP source of the page's inline script.
var scriptHash = inlineScriptHash(page)

// HTML returns silent-refresh.html, for static hosting (make build copies the
// same file to static/).
func HTML() []byte { return bytes.Clone(page) }

// ScriptHash returns the CSP hash source of the page's inline script
// ("sha256-…"). A site that serves silent-refresh.html itself under a
// Content-Security-Policy allows the script with script-src 'sha256-…'
// (quoted, as CSP wants); Handler sends such a policy itself.
func ScriptHash() string { return scriptHash }

// Handler serves silent-refresh.html on GET and HEAD, wherever it is mounted
// (mount it at the path of silentRenewUrl). The response URL carries an
// authorization code, so the page is never cached (Cache-Control: no-store)
// and never leaks its URL in a Referer (Referrer-Policy: no-referrer); it
// also sends X-Content-Type-Options: nosniff and a Content-Security-Policy
// that allows only its own script and framing by its own origin.
func Handler() http.Handler {
	// img-src 'self': Firefox fetches /favicon.ico for the sign-in popup's
	// window, which default-src 'none' would turn into a CSP violation on the
	// console of every popup sign-in.
	return servePage(page, "default-src 'none'; script-src '"+scriptHash+"'; img-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
}

// servePage serves one of the package's pages on GET and HEAD: its URL
// carries a code or a session ID, so never cached (Cache-Control: no-store)
// nor sent on (Referrer-Policy: no-referrer), with nosniff and csp.
func servePage(body []byte, csp string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", csp)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodHead {
			return
		}
		w.Write(body)
	})
}
