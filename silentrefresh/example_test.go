package silentrefresh_test

import (
	"context"
	"net/http"

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

// The server of the app serves silent-refresh.html at the silentRenewUrl.
func ExampleHandler() {
	http.Handle("GET /silent-refresh.html", silentrefresh.Handler())
}
