//go:build !wasm

package goapp

import (
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/spa"
)

type page struct{ app.Compo }

func (*page) Render() app.UI { return app.Div().Text("page") }

func init() {
	// go-app's routes are global; these are the test binary's.
	app.Route("/", func() app.Composer { return &page{} })
	app.Route("/callback", func() app.Composer { return &Callback{} })
}

func TestCheckHandler(t *testing.T) {
	cfg := spa.Config{ConfigID: "a", RedirectURL: "https://app.example/callback"}
	tests := []struct {
		name    string
		handler *app.Handler
		configs []spa.Config
		want    []string // substrings of the error; none: no error
	}{
		{"routed callback, nothing precached", &app.Handler{Name: "t"}, []spa.Config{cfg}, nil},
		{"root as the callback", &app.Handler{Name: "t"}, []spa.Config{{ConfigID: "r", RedirectURL: "https://app.example/"}}, nil},
		{"callback without a route", &app.Handler{Name: "t"},
			[]spa.Config{{ConfigID: "x", RedirectURL: "https://app.example/signin-oidc"}},
			[]string{`config "x": redirectUrl path /signin-oidc is not a go-app route`}},
		{"precached silent-refresh page and callback",
			&app.Handler{Name: "t", CacheableResources: []string{"/silent-refresh.html", "/callback"}},
			[]spa.Config{cfg},
			[]string{"silentRenewUrl path /silent-refresh.html is in the service worker's precache list",
				"redirectUrl path /callback is in the service worker's precache list"}},
		{"silent renewal on a route", &app.Handler{Name: "t"},
			[]spa.Config{{ConfigID: "s", RedirectURL: "https://app.example/callback", SilentRenewURL: "https://app.example/callback"}},
			[]string{"silentRenewUrl path /callback is a go-app route"}},
		{"front-channel logout page on a route", &app.Handler{Name: "t", CacheableResources: []string{"/fc.html"}},
			[]spa.Config{{ConfigID: "f", RedirectURL: "https://app.example/callback", FrontchannelLogoutURL: "https://app.example/"}},
			[]string{"frontchannelLogoutUrl path / is a go-app route: the hidden iframe would load the whole app instead of frontchannel-logout.html"}},
		{"front-channel logout page precached", &app.Handler{Name: "t", CacheableResources: []string{"/fc.html"}},
			[]spa.Config{{ConfigID: "f", RedirectURL: "https://app.example/callback", FrontchannelLogoutURL: "https://app.example/fc.html"}},
			[]string{"frontchannelLogoutUrl path /fc.html is in the service worker's precache list"}},
		{"front-channel logout page served beside the app", &app.Handler{Name: "t"},
			[]spa.Config{{ConfigID: "f", RedirectURL: "https://app.example/callback", FrontchannelLogoutURL: "https://app.example/frontchannel-logout.html"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckHandler(tt.handler, tt.configs)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("CheckHandler: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckHandler = nil, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("CheckHandler = %v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}
