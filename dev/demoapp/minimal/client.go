//go:build wasm

package main

// serve is the server's: in the browser app.RunWhenOnBrowser never returns.
func serve() {}
