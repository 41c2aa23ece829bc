package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/bench"
	"github.com/oidcwasm/oidcwasm/dev/devop"
	"github.com/oidcwasm/oidcwasm/spa"
)

// The libraries, as path segments of the page URLs.
const (
	libBridge = "bridge" // oidcwasm's JS bridge
	libOCT    = "oct"    // oidc-client-ts
)

var libs = []string{libBridge, libOCT}

// variant is one provider and one page configuration; each library gets the
// same one.
type variant struct {
	name        string
	op          *devop.Server
	lifetime    time.Duration // access tokens
	storage     string        // session or local; "" with worker custody, which refuses it
	silentRenew bool          // bridge silentRenew, oidc-client-ts automaticSilentRenew
	custody     string        // the bridge's custody: "" (page) or "worker"
}

// The variants: main (long-lived tokens: login, reload, token reads, fetch),
// expiry (short-lived tokens, no automatic renewal: callers at expiry) and
// auto (short-lived tokens, automatic renewal, shared storage across tabs).
const (
	variantMain   = "main"
	variantExpiry = "expiry"
	variantAuto   = "auto"
	variantDPoP   = "dpop" // the bridge only: the main config with dpop on
	// The bridge only: the main config with custody "worker", its tokens
	// in the service worker oidc-sw.js (no storage: the worker's memory).
	variantWorker = "worker"
)

const clientID = "bench-spa"

// pageParams is window.BENCH of a page.
type pageParams struct {
	Lib         string `json:"lib"`
	Variant     string `json:"variant"`
	Authority   string `json:"authority"`
	ClientID    string `json:"clientId"`
	RedirectURL string `json:"redirectUrl"`
	Storage     string `json:"storage"`
	SilentRenew bool   `json:"silentRenew"`
	// DPoP turns the config's dpop on (the bridge page only).
	DPoP bool `json:"dpop"`
	// Custody is the bridge config's custody ("" or "worker"); with
	// "worker" the page leaves storage out (Storage is "").
	Custody string `json:"custody"`
	// oidc-client-ts renews this long before expiry; a quarter of the
	// lifetime matches the bridge's timeoutFactor 0.75.
	ExpiringNoticeSeconds float64 `json:"expiringNoticeSeconds"`
}

// site is the benchmark's web server and its providers, all on loopback.
type site struct {
	origin   string // http://localhost:PORT
	srv      *http.Server
	variants map[string]*variant
	pages    map[string]*template.Template
}

// startSite starts the page server and one development provider per variant.
func startSite(ctx context.Context, e *env) (*site, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &site{origin: fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port), pages: map[string]*template.Template{}}
	for _, lib := range libs {
		t, err := template.ParseFS(bench.Pages, "pages/"+lib+".html")
		if err != nil {
			ln.Close()
			return nil, err
		}
		s.pages[lib] = t
	}
	s.variants = map[string]*variant{
		variantMain:   {name: variantMain, lifetime: 10 * time.Minute, storage: "session", silentRenew: true},
		variantExpiry: {name: variantExpiry, lifetime: 5 * time.Second, storage: "local", silentRenew: false},
		variantAuto:   {name: variantAuto, lifetime: 8 * time.Second, storage: "local", silentRenew: true},
		variantDPoP:   {name: variantDPoP, lifetime: 10 * time.Minute, storage: "session", silentRenew: true},
		variantWorker: {name: variantWorker, lifetime: 10 * time.Minute, silentRenew: true, custody: spa.CustodyWorker},
	}
	for _, v := range s.variants {
		var uris []string
		for _, lib := range libs {
			uris = append(uris, s.pageURL(lib, v.name))
		}
		v.op, err = devop.Start(ctx, devop.Config{
			Clients:             []devop.Client{{ID: clientID, RedirectURIs: uris}},
			AutoLogin:           "alice",
			AccessTokenLifetime: v.lifetime,
			Resources:           []devop.Resource{{URI: s.origin + "/api/res"}}, // the bridge's per-API route
		})
		if err != nil {
			s.close()
			ln.Close()
			return nil, fmt.Errorf("starting the %s provider: %w", v.name, err)
		}
	}

	mux := http.NewServeMux()
	for _, lib := range libs {
		mux.HandleFunc("GET /"+lib+"/{variant}/{$}", func(w http.ResponseWriter, r *http.Request) { s.servePage(w, r, lib) })
	}
	pagesFS, _ := fs.Sub(bench.Pages, "pages")
	mux.Handle("GET /bench/", cached(http.StripPrefix("/bench/", http.FileServerFS(pagesFS))))
	if e.opts.wasm != "" {
		mux.Handle("GET /oidc/oidc.wasm", cached(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, e.opts.wasm)
		})))
	}
	mux.Handle("GET /oidc/", cached(workerScope(http.StripPrefix("/oidc/", http.FileServer(http.Dir(filepath.Join(e.root, "static/oidc")))))))
	oct := filepath.Join(e.dev, "node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js")
	mux.Handle("GET /lib/oidc-client-ts.min.js", cached(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, oct)
	})))
	if err := s.addFloors(mux, e); err != nil {
		s.close()
		ln.Close()
		return nil, err
	}
	mux.HandleFunc("GET /silent-refresh.html", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(e.root, "static/silent-refresh.html"))
	})
	// A secure route of the bridge config: says whether a Bearer token came.
	// /api/res is a route with a resource of its own (a per-API token).
	ping := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]bool{"bearer": strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "),
			"dpop": strings.HasPrefix(r.Header.Get("Authorization"), "DPoP ") && r.Header.Get("DPoP") != ""})
	}
	mux.HandleFunc("GET /api/ping", ping)
	mux.HandleFunc("GET /api/res/ping", ping)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// workerScope lets oidc-sw.js control the whole origin: oidc.js registers
// it with scope "/", above its own folder, which the browser allows only
// with this header on the script (README, "Worker custody"; the demo
// server does the same).
func workerScope(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oidc/oidc-sw.js" {
			w.Header().Set("Service-Worker-Allowed", "/")
		}
		h.ServeHTTP(w, r)
	})
}

// cached marks library files cacheable for an hour, as a static host would
// serve versioned assets, so a warm load takes them from the HTTP cache
// without revalidating. Both libraries are served the same way.
func cached(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

func (s *site) pageURL(lib, variant string) string {
	return s.origin + "/" + lib + "/" + variant + "/"
}

func (s *site) servePage(w http.ResponseWriter, r *http.Request, lib string) {
	t, v := s.pages[lib], s.variants[r.PathValue("variant")]
	if t == nil || v == nil {
		http.NotFound(w, r)
		return
	}
	p := pageParams{Lib: lib, Variant: v.name, Authority: v.op.Issuer(), ClientID: clientID,
		RedirectURL: s.pageURL(lib, v.name), Storage: v.storage, SilentRenew: v.silentRenew,
		ExpiringNoticeSeconds: v.lifetime.Seconds() / 4, DPoP: v.name == variantDPoP, Custody: v.custody}
	isolatedPage(w)
	if err := t.Execute(w, p); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// isolatedPage sets the headers of every bench page: revalidated on each
// load, and cross-origin isolated, which gives performance.now() 5 µs
// resolution instead of 100 µs (see bench.js). The provider is reached by
// top-level navigation and CORS fetches, which isolation allows.
func isolatedPage(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
	w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
}

func (s *site) close() {
	if s.srv != nil {
		s.srv.Close()
	}
	for _, v := range s.variants {
		if v.op != nil {
			v.op.Close()
		}
	}
}
