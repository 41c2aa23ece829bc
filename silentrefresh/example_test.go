package silentrefresh_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/oidcwasm/oidcwasm/silentrefresh"
	"github.com/oidcwasm/oidcwasm/spa"
)

// A Manager that renews by refresh token, else by hidden iframe, and renews on
// its own at timeoutFactor of each token's lifetime.
func Example() {
	var fetcher spa.Fetcher       // window.fetch, from package web
	var frame silentrefresh.Frame // the hidden iframe navigator, from package web

	m := spa.NewManager(spa.Options{Fetcher: fetcher, Renewer: silentrefresh.New(frame)})
	if err := m.Configure(context.Background(), []spa.Config{{
		Authority:   "https://op.example",
		ClientID:    "spa",
		RedirectURL: "https://app.example/callback",
		// SilentRenewURL defaults to https://app.example/silent-refresh.html.
	}}); err != nil {
		panic(err)
	}
	sch := silentrefresh.NewScheduler(m, silentrefresh.SchedulerOptions{})
	sch.Start()
	defer sch.Stop()
}

// The server of the app serves silent-refresh.html at the silentRenewUrl
// (and popupRedirectUrl): never cached, never in a Referer, and allowed to run
// only its own script.
func ExampleHandler() {
	mux := http.NewServeMux()
	mux.Handle("GET /silent-refresh.html", silentrefresh.Handler())

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/silent-refresh.html?code=c&state=s", nil))
	fmt.Println(rec.Code, rec.Header().Get("Cache-Control"), rec.Header().Get("Referrer-Policy"))
	fmt.Println(strings.Contains(rec.Header().Get("Content-Security-Policy"), "script-src '"+silentrefresh.ScriptHash()+"'"))
	// Output:
	// 200 no-store no-referrer
	// true
}
