//go:build !js

package main

import "github.com/oidcwasm/oidcwasm/dev/bench/goappsite"

// site writes the app's static site (go run ./bench/goappmin -out DIR).
func site() { goappsite.Main("goappmin") }
