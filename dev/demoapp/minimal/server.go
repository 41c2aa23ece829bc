//go:build !wasm

package main

import (
	"log"
	"net/http"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/silentrefresh"
)

// serve is the server half: the go-app handler for the page and its files
// (build the wasm into web/app.wasm first), and silent-refresh.html for
// iframe renewal.
func serve() {
	http.Handle("/silent-refresh.html", silentrefresh.Handler())
	http.Handle("/", &app.Handler{Name: "Hello", Title: "Hello"})
	log.Fatal(http.ListenAndServe("localhost:8000", nil))
}
