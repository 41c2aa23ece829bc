//go:build !wasm

package main

import (
	"log"
	"net/http"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/silentrefresh"
	"github.com/oidcwasm/oidcwasm/web/goapp"
)

// serve is the server half: the go-app handler for the page and its files
// (build the wasm into web/app.wasm first), and silent-refresh.html for
// iframe renewal.
func serve() {
	h := &app.Handler{Name: "Hello", Title: "Hello"}
	if err := goapp.CheckHandler(h, configs); err != nil { // the go-app traps (see README)
		log.Fatal(err)
	}
	http.Handle("/silent-refresh.html", silentrefresh.Handler())
	http.Handle("/", h)
	log.Fatal(http.ListenAndServe("localhost:8000", nil))
}
