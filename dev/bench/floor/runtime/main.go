//go:build js && wasm

// Command runtime is the start-up floor of any Go wasm loaded by oidc.js:
// Go's runtime and syscall/js, nothing else. Its main registers with the
// loader at once (oidc.ready resolves), as the bridge's main does after its
// work. See dev/bench/pages/floor.html.
package main

import "syscall/js"

func main() {
	js.Global().Get("__oidcwasm_boot").Call("register", js.ValueOf(map[string]any{}))
	select {}
}
