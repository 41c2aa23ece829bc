//go:build !js

package goappsite

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Main writes the static site of the app named name into the folder of the
// -out flag, for the routes the app registered, and exits when it fails.
// The icon is a local file: go-app's default is on the internet, which its
// service worker would try to fetch while installing.
func Main(name string) {
	out := flag.String("out", "", "the folder to write the static site into")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, name+": run natively with -out DIR to write the static site; build for GOOS=js for the app")
		os.Exit(2)
	}
	h := &app.Handler{Name: name, Title: name, Icon: app.Icon{Default: "/web/icon.svg", SVG: "/web/icon.svg"}}
	if err := app.GenerateStaticWebsite(*out, h); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
	// go-app writes the wasm_exec.js it embeds; the one that matches the
	// toolchain building app.wasm is GOROOT's (as dev/demoapp does).
	if root, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		if b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(root)), "lib", "wasm", "wasm_exec.js")); err == nil {
			os.WriteFile(filepath.Join(*out, "wasm_exec.js"), b, 0o644)
		}
	}
	icon := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2"><rect width="2" height="2"/></svg>`
	if err := os.WriteFile(filepath.Join(*out, "web", "icon.svg"), []byte(icon), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}
