package demo

import (
	"html/template"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// staticHandler serves dir the way the demo needs it during development:
//   - Content-Type application/wasm for .wasm, which
//     WebAssembly.instantiateStreaming requires;
//   - Cache-Control: no-cache on everything, so a browser revalidates and
//     never runs an oidc.wasm older than the last `make build`;
//   - no directory listings: a folder without index.html is a 404;
//   - "/" falls back to a landing page when the go-app demo was not built.
//
// hits counts the GETs of each path, for tests that need to know whether a
// file came from the server or from a service worker's cache.
func staticHandler(dir string, landing http.Handler, hits *hitCounter) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			hits.add(r.URL.Path)
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := path.Clean("/" + r.URL.Path)
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
		if err == nil && fi.IsDir() {
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name), "index.html")); err != nil {
				if name == "/" {
					landing.ServeHTTP(w, r)
					return
				}
				http.NotFound(w, r)
				return
			}
		}
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if name == "/oidc/oidc-sw.js" {
			// Worker custody: oidc.js registers the worker for the whole
			// origin, above its own folder (README, "Worker custody").
			w.Header().Set("Service-Worker-Allowed", "/")
		}
		if strings.HasSuffix(name, ".wasm") {
			w.Header().Set("Content-Type", "application/wasm")
			w.Header().Add("Vary", "Accept-Encoding")
			if enc, ext := precompressed(dir, name, r.Header.Get("Accept-Encoding")); enc != "" {
				w.Header().Set("Content-Encoding", enc)
				if fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name))); err == nil {
					// go-app's loader shows progress over the decoded size.
					w.Header().Set("X-Uncompressed-Content-Length", strconv.FormatInt(fi.Size(), 10))
				}
				r = r.Clone(r.Context())
				r.URL.Path = name + ext
			}
		}
		files.ServeHTTP(w, r)
	})
}

// precompressed picks the NAME.br or NAME.gz that `make build` wrote beside a
// file, when the request accepts that encoding (RFC 9110 §12.5.3; brotli first,
// it is ~30% smaller than gzip for wasm). Both are empty when there is none.
func precompressed(dir, name, accept string) (encoding, ext string) {
	for _, c := range []struct{ enc, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
		if !acceptsEncoding(accept, c.enc) {
			continue
		}
		if fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name+c.ext))); err == nil && fi.Mode().IsRegular() {
			return c.enc, c.ext
		}
	}
	return "", ""
}

// acceptsEncoding reports whether an Accept-Encoding header value allows enc
// (a listed coding without q=0).
func acceptsEncoding(accept, enc string) bool {
	for _, part := range strings.Split(accept, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), enc) {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

var landingPage = template.Must(template.New("landing").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>oidcwasm demo</title>
<link rel="stylesheet" href="/bridge/bridge.css">
</head><body><main class="page narrow">
<header class="masthead"><h1>oidcwasm <span class="muted">demo</span></h1>
<p class="lede">OpenID Connect for single-page apps, in Go compiled to WebAssembly.</p></header>
<section class="card"><h2><a href="/bridge/">Bridge demo</a></h2>
<p>A plain HTML + JavaScript page that signs in to two providers through <code>oidc.js</code> and calls APIs with <code>oidc.fetch</code>.</p></section>
<section class="card"><h2>go-app demo</h2>
<p class="muted">Not built: the go-app demo's output (static/index.html) is missing.</p></section>
<section class="card"><h2>Providers</h2><ul class="plain">
{{range .Providers}}<li><b>{{.Name}}</b> <code>{{.Issuer}}</code>{{if .Users}} — users {{range $i, $u := .Users}}{{if $i}}, {{end}}<code>{{$u}}</code>{{end}}{{end}}</li>{{end}}
</ul></section>
</main></body></html>`))

func landingHandler(s Settings) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_ = landingPage.Execute(w, s)
	})
}

// hitCounter counts requests by path.
type hitCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *hitCounter) add(path string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == nil {
		h.n = map[string]int{}
	}
	h.n[path]++
}

func (h *hitCounter) get(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[path]
}
