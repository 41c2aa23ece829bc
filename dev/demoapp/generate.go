//go:build !js

package main

import (
	"bytes"
	_ "embed"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/web/goapp"
)

//go:embed demo.css
var demoCSS []byte

// handler is the go-app handler of the demo. Icons are local files: go-app's
// default icon is on raw.githubusercontent.com, which the service worker
// would have to fetch (and fail offline) to install.
func handler() *app.Handler {
	return &app.Handler{
		Name:            "oidcwasm go-app demo",
		ShortName:       "oidcwasm",
		Title:           "oidcwasm · go-app demo",
		Description:     "OpenID Connect for single-page apps in Go and WebAssembly: two providers in one go-app page.",
		Lang:            "en",
		ThemeColor:      "#151c2e",
		BackgroundColor: "#f4f6fa",
		LoadingLabel:    "Loading the oidcwasm demo… {progress}%",
		// The demo server sends web/app.wasm.br with Content-Encoding: the
		// progress counts decoded bytes, so it needs the raw size.
		WasmContentLengthHeader: "X-Uncompressed-Content-Length",
		Icon:                    app.Icon{Default: "/web/icon-192.png", Large: "/web/icon-512.png", SVG: "/web/icon.svg"},
		Styles:                  []string{"/web/demo.css"},
		// Not listed anywhere here, on purpose: /silent-refresh.html and
		// /demo.json. Everything listed is precached by the service worker
		// and answered from its cache (see goapp.CheckHandler).
		//
		// The origin's one service worker is go-app's, with oidc-sw.js in it:
		// the bridge demo's worker mode (/bridge/?custody=worker) keeps its
		// tokens there, and go-app's cache keeps answering this app.
		ServiceWorkerTemplate: goapp.ServiceWorkerTemplate("/oidc/"),
	}
}

// generate writes the static site into -out: go-app's files (index.html,
// app.js, app-worker.js, manifest.webmanifest, app.css, wasm_exec.js), and
// web/demo.css and the icons next to web/app.wasm, leaving everything else in
// the folder (oidc/, bridge/, silent-refresh.html, demo.json) alone. Then it
// checks the handler against the configs of -out/demo.json.
func generate(d *demoApp) {
	out := flag.String("out", "static", "the folder to write the static site into")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "demoapp:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	h := handler()
	if err := app.GenerateStaticWebsite(out, h); err != nil {
		return fmt.Errorf("generating the static site: %w", err)
	}
	files := map[string][]byte{"web/demo.css": demoCSS, "web/icon.svg": []byte(iconSVG)}
	for _, size := range []int{192, 512} {
		b, err := iconPNG(size)
		if err != nil {
			return err
		}
		files[fmt.Sprintf("web/icon-%d.png", size)] = b
	}
	// go-app writes the wasm_exec.js it embeds; the one that matches the
	// toolchain building app.wasm is GOROOT's.
	if b, err := goRootWasmExec(); err == nil {
		files["wasm_exec.js"] = b
	} else {
		fmt.Fprintln(os.Stderr, "demoapp: keeping go-app's wasm_exec.js:", err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(out, filepath.FromSlash(name)), b, 0o644); err != nil {
			return err
		}
	}
	raw, err := os.ReadFile(filepath.Join(out, "demo.json"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "demoapp: not checking the configs:", err)
		return nil
	}
	s, err := parseSettings(raw)
	if err != nil {
		return err
	}
	if err := goapp.CheckHandler(h, s.configs()); err != nil {
		return fmt.Errorf("the handler does not fit demo.json's configs:\n%w", err)
	}
	return nil
}

func goRootWasmExec() ([]byte, error) {
	root, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(strings.TrimSpace(string(root)), "lib", "wasm", "wasm_exec.js"))
}

const iconSVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
	`<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#4f7cff"/><stop offset="1" stop-color="#7b4dff"/></linearGradient></defs>` +
	`<rect width="32" height="32" rx="8" fill="url(#g)"/>` +
	`<circle cx="16" cy="16" r="9" fill="none" stroke="#fff" stroke-width="2.5"/>` +
	`<circle cx="16" cy="14" r="2.6" fill="#fff"/><path d="M14.6 15.5h2.8l.9 5h-4.6z" fill="#fff"/></svg>`

// iconPNG draws the icon (full-bleed, for maskable use) at size × size.
func iconPNG(size int) ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const ss = 4 // supersampling per axis
	s := float64(size) / 32
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) / s
					y := (float64(py) + (float64(sy)+0.5)/ss) / s
					t := (x + y) / 64 // gradient 0..1 along the diagonal
					cr, cg, cb := 0x4f+(0x7b-0x4f)*t, 0x7c+(0x4d-0x7c)*t, 0xff+(0xff-0xff)*t
					d := math.Hypot(x-16, y-16)
					white := math.Abs(d-9) <= 1.25 || math.Hypot(x-16, y-14) <= 2.6 ||
						(y >= 15.5 && y <= 20.5 && math.Abs(x-16) <= 1.4+0.9*(y-15.5)/5)
					if white {
						cr, cg, cb = 255, 255, 255
					}
					r, g, b = r+cr, g+cg, b+cb
				}
			}
			n := float64(ss * ss)
			img.SetNRGBA(px, py, color.NRGBA{uint8(r / n), uint8(g / n), uint8(b / n), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// newAuth is the prerendering's: go-app renders the page on the server, where
// there is no session (AuthState.Ready stays false).
func newAuth(d *demoApp) *goapp.Auth { return goapp.New(goapp.Options{}) }
