//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// run explains that the bridge only runs in a browser.
func run() {
	fmt.Fprintln(os.Stderr, "oidc.wasm is the oidcwasm JS bridge: build it with GOOS=js GOARCH=wasm (make build) and load it with oidc.js")
	os.Exit(2)
}
