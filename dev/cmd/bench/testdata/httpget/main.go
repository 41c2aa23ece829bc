// Command httpget does HTTP through net/http's client, which a wasm build of
// oidcwasm must never do; the size check must catch it.
package main

import "net/http"

func main() {
	resp, err := http.Get("http://localhost/")
	if err == nil {
		resp.Body.Close()
	}
}
