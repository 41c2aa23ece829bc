// Command fetchonly uses net/http's types (a Header) but not its client, as
// a wasm build of oidcwasm may; the size check must let it pass.
package main

import (
	"net/http"
	"net/url"
)

func main() {
	h := http.Header{}
	h.Set("Authorization", "Bearer x")
	u, _ := url.Parse("https://api.example/x")
	println(h.Get("Authorization"), u.Host)
}
