//go:build !wasm

package goapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/spa"
)

// CheckHandler checks a go-app server (or the handler given to
// app.GenerateStaticWebsite) against the traps of OpenID Connect in go-app,
// for the configs the app will use, after the app's routes are registered:
//
//   - the path of every RedirectURL must be a route of h: go-app answers 404
//     for a path it has no route for, and GenerateStaticWebsite writes pages
//     for routes only, so the server must register the same routes as the wasm;
//   - the path of every SilentRenewURL (and FrontchannelLogoutURL) must not
//     be a route of h: the hidden iframe would load the whole app instead of
//     silent-refresh.html (frontchannel-logout.html);
//   - neither may be in the service worker's precache list (app-worker.js,
//     built from the fixed app files, Icon, Fonts, Styles, Scripts and
//     CacheableResources): the worker answers precached URLs from its cache
//     for the life of the version. Callback and silent-refresh URLs carry a
//     query, which the default worker's caches.match keeps, so they miss the
//     cache today; a worker with ignoreSearch or an app-shell fallback would
//     serve a stale page in their place. "/" is always precached: it is the
//     app shell, so a callback at "/" is fine. A custom ServiceWorkerTemplate
//     without the resourcesToCache list is not checked.
//
// It runs h in memory (net/http/httptest) and is for servers and generators,
// not for the wasm build.
func CheckHandler(h *app.Handler, configs []spa.Config) error {
	precached, err := precacheList(h)
	if err != nil {
		return err
	}
	var errs []error
	seen := map[string]bool{}
	for _, c := range configs {
		for _, p := range []struct {
			field, raw string
			routed     bool
		}{{"redirectUrl", c.RedirectURL, true}, {"silentRenewUrl", silentRenewURL(c), false},
			{"frontchannelLogoutUrl", c.FrontchannelLogoutURL, false}} {
			path, ok := pathOf(p.raw)
			if !ok || seen[p.field+path] {
				continue
			}
			seen[p.field+path] = true
			// go-app always precaches "/", the app shell itself: a callback
			// there loads the same page from the cache or the network.
			if precached[path] && !(p.routed && path == "/") {
				errs = append(errs, fmt.Errorf("config %q: %s path %s is in the service worker's precache list (app.Handler CacheableResources, Styles, Scripts, Fonts or Icon): the worker would answer it from its cache", c.ConfigID, p.field, path))
			}
			status := serve(h, path)
			switch {
			case p.routed && status == http.StatusNotFound:
				errs = append(errs, fmt.Errorf("config %q: redirectUrl path %s is not a go-app route on the server: register it with app.Route on the server as in the wasm (the provider sends the browser there)", c.ConfigID, path))
			case !p.routed && status != http.StatusNotFound:
				page := "silent-refresh.html"
				if p.field == "frontchannelLogoutUrl" {
					page = "frontchannel-logout.html"
				}
				errs = append(errs, fmt.Errorf("config %q: %s path %s is a go-app route: the hidden iframe would load the whole app instead of %s", c.ConfigID, p.field, path, page))
			}
		}
	}
	return errors.Join(errs...)
}

// silentRenewURL is the config's SilentRenewURL with its default.
func silentRenewURL(c spa.Config) string {
	if c.SilentRenewURL != "" {
		return c.SilentRenewURL
	}
	if u, err := url.Parse(c.RedirectURL); err == nil && u.Host != "" {
		return u.Scheme + "://" + u.Host + spa.DefaultSilentRenewPath
	}
	return ""
}

func pathOf(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return "", false
	}
	if u.Path == "" {
		return "/", true
	}
	return u.Path, true
}

// serve runs one GET through h and returns the status.
func serve(h http.Handler, path string) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code
}

// precacheList reads the resourcesToCache list of h's app-worker.js; empty
// when the worker template has none.
func precacheList(h *app.Handler) (map[string]bool, error) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/app-worker.js", nil))
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("oidcwasm/goapp: GET /app-worker.js: HTTP %d", rec.Code)
	}
	js := rec.Body.String()
	const decl = "const resourcesToCache = "
	i := strings.Index(js, decl)
	if i < 0 {
		return map[string]bool{}, nil
	}
	var list []string
	if err := json.NewDecoder(strings.NewReader(js[i+len(decl):])).Decode(&list); err != nil {
		return nil, fmt.Errorf("oidcwasm/goapp: app-worker.js: resourcesToCache: %w", err)
	}
	out := make(map[string]bool, len(list))
	for _, r := range list {
		if u, err := url.Parse(r); err == nil && u.Host != "" {
			continue // another origin's
		}
		if p, ok := pathOf(r); ok {
			out[p] = true
		}
	}
	return out, nil
}
