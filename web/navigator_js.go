package web

import "syscall/js"

// Navigator moves the page and reads its address: the browser side of
// redirect login and logoff, and of removing code and state from the address
// bar after a callback. The zero value is ready to use.
type Navigator struct{}

// Assign navigates the page to url, keeping the current page in the history
// (location.assign), as a login redirect does. The Go program ends with the
// page, so nothing after Assign should matter.
func (Navigator) Assign(url string) {
	js.Global().Get("location").Call("assign", url)
}

// ReplaceURL changes the address bar to url without loading anything and
// without a new history entry (history.replaceState, keeping history.state).
// url must be on the page's origin, or the browser throws and ReplaceURL
// panics with a js.Error.
func (Navigator) ReplaceURL(url string) {
	h := js.Global().Get("history")
	h.Call("replaceState", h.Get("state"), "", url)
}

// Location is the page's address, location.href.
func (Navigator) Location() string {
	return js.Global().Get("location").Get("href").String()
}

// Origin is the page's origin, location.origin, such as
// "https://app.example.com".
func (Navigator) Origin() string {
	return js.Global().Get("location").Get("origin").String()
}
