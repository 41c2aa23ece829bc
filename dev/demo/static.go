package demo

import (
	"html/template"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// staticHandler serves dir the way the demo needs it during development:
//   - Content-Type application/wasm for .wasm, which
//     WebAssembly.instantiateStreaming requires;
//   - Cache-Control: no-cache on everything, so a browser revalidates and
//     never runs an oidc.wasm older than the last `make build`;
//   - no directory listings: a folder without index.html is a 404;
//   - "/" falls back to a landing page when the go-app demo was not built.
func staticHandler(dir string, landing http.Handler) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
		if strings.HasSuffix(name, ".wasm") {
			w.Header().Set("Content-Type", "application/wasm")
		}
		files.ServeHTTP(w, r)
	})
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
