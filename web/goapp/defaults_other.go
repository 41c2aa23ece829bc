//go:build !js

package goapp

// defaults leaves Options as they are outside the browser: go-app prerenders
// pages on the server, where there is no session to publish. A Manager and a
// Navigator given explicitly (tests) are used as in the browser.
func defaults(o *Options) (closeFn func()) { return nil }
