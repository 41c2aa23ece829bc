package e2etest

import (
	"embed"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/oidcwasm/oidcwasm/silentrefresh"
)

// The test pages, served under TestPagePath:
//
//	/e2e/                  index.html: /oidc/oidc.js and record.js
//	/e2e/record.js         records events and how oidc.ready settled (window.e2e)
//	/e2e/early.js          before oidc.js: records CSP violations (e2e.violations)
//	                       and takes away what ?without= names (locks,
//	                       broadcastchannel), as an engine without them
//	/e2e/blank.html        a page of the app's origin without the bridge
//	/e2e/broken.html       oidc.js from /e2e/broken-oidc/, where oidc.wasm is a 404
//	/e2e/mime.html         oidc.js from /e2e/mime-oidc/, where oidc.wasm comes as
//	                       application/octet-stream, so instantiateStreaming fails
//	/e2e/frontchannel-logout.html  silentrefresh's front-channel logout page,
//	                       framed by anyone (the demo's own copy at the root
//	                       may be framed by the bundled providers only)
//	/e2e/csp/              index.html under StrictCSP (register it with
//	                       ProviderOptions.RedirectPaths to sign in there)
//	/e2e/nowasm/           index.html under StrictCSP without 'wasm-unsafe-eval'
//	/e2e/held.html         index.html with oidc.js from /e2e/held-oidc/, whose
//	                       oidc.wasm waits while held (below)
//	/e2e/broken-oidc/*     oidc.js and wasm_exec.js of static/oidc/; oidc.wasm 404
//	/e2e/mime-oidc/*       static/oidc/ with the wrong MIME type for oidc.wasm
//	/e2e/held-oidc/*       static/oidc/; a request for oidc.wasm that carries the
//	                       cookie e2e_hold=TOKEN waits until the page (or anyone)
//	                       requests /e2e/held-oidc/release?token=TOKEN, so a test
//	                       sees what the page does before the module runs, in
//	                       every engine (a cookie is its browser context's own);
//	                       its oidc-sw.js may be registered for "/": a worker
//	                       script at another URL, a new build to the browser
//
//go:embed pages
var pageFS embed.FS

type pages struct {
	files     http.Handler
	staticDir string

	mu       sync.Mutex
	wasm     map[string]int           // oidc.wasm requests per loader folder
	requests []string                 // every request's path and query, in order
	holds    map[string]chan struct{} // held-oidc: closed when released, by token
}

func newPages(staticDir string) (*pages, error) {
	sub, err := fs.Sub(pageFS, "pages")
	if err != nil {
		return nil, err
	}
	return &pages{files: http.StripPrefix(strings.TrimSuffix(TestPagePath, "/"), http.FileServerFS(sub)),
		staticDir: staticDir, wasm: map[string]int{}, holds: map[string]chan struct{}{}}, nil
}

// StrictCSP is the policy of the test page at CSPPagePath: what README.md
// ("Content-Security-Policy") tells a site to send, with the development
// providers' and APIs' origins (any port of localhost) for connect-src and
// frame-src. Nothing inline, no eval; WebAssembly by 'wasm-unsafe-eval'.
const StrictCSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' http://localhost:*; " +
	"frame-src 'self' http://localhost:*; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// FrontchannelLogoutPagePath is the front-channel logout page
// (ProviderOptions.FrontchannelLogout).
const FrontchannelLogoutPagePath = TestPagePath + "frontchannel-logout.html"

// CSPPagePath and NoWASMPagePath are the test page under StrictCSP, and
// under StrictCSP without 'wasm-unsafe-eval'.
const (
	CSPPagePath    = TestPagePath + "csp/"
	NoWASMPagePath = TestPagePath + "nowasm/"
)

func (p *pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.requests = append(p.requests, r.URL.RequestURI())
	p.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	switch r.URL.Path {
	case FrontchannelLogoutPagePath:
		silentrefresh.FrontchannelLogoutHandler().ServeHTTP(w, r)
		return
	case CSPPagePath, NoWASMPagePath:
		csp := StrictCSP
		if r.URL.Path == NoWASMPagePath {
			csp = strings.Replace(csp, " 'wasm-unsafe-eval'", "", 1)
		}
		page, err := pageFS.ReadFile("pages/index.html")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, TestPagePath)
	folder, name, nested := strings.Cut(rest, "/")
	if !nested || (folder != "broken-oidc" && folder != "mime-oidc" && folder != "held-oidc") {
		p.files.ServeHTTP(w, r)
		return
	}
	switch name {
	case "oidc.js", "wasm_exec.js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		http.ServeFile(w, r, filepath.Join(p.staticDir, "oidc", name))
	case "oidc-sw.js":
		if folder != "held-oidc" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Service-Worker-Allowed", "/")
		http.ServeFile(w, r, filepath.Join(p.staticDir, "oidc", name))
	case "release":
		if folder == "held-oidc" {
			close(p.hold(r.URL.Query().Get("token"), true))
			return
		}
		http.NotFound(w, r)
	case "oidc.wasm":
		p.mu.Lock()
		p.wasm[folder]++
		p.mu.Unlock()
		if c, err := r.Cookie("e2e_hold"); folder == "held-oidc" && err == nil {
			select {
			case <-p.hold(c.Value, false):
			case <-r.Context().Done():
				return
			case <-time.After(TabTimeout):
			}
		}
		if folder == "broken-oidc" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeFile(w, r, filepath.Join(p.staticDir, "oidc", name))
	default:
		http.NotFound(w, r)
	}
}

// hold is the channel of a held-oidc token, made on first use; release
// takes it out, so each token is released once.
func (p *pages) hold(token string, release bool) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch, ok := p.holds[token]
	if !ok {
		ch = make(chan struct{})
		p.holds[token] = ch
	}
	if release {
		delete(p.holds, token)
	}
	return ch
}

func (p *pages) wasmRequests(folder string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.wasm[folder]
}

func (p *pages) requested() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}
