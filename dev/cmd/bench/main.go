// Command bench measures oidcwasm and compares it with oidc-client-ts.
//
//	go run ./cmd/bench          # sizes, Go benchmarks, Chromium side by side; one table
//	go run ./cmd/bench -check   # sizes only: exit 1 when a budget of docs/DESIGN.md is broken
//	go run ./cmd/bench -probe bridge -js 'bench.internals(500)' [-profile] [-wasm file]
//	go run ./cmd/bench -skip sizes,go -flows main,goapp -runs 2   # a part of the Chromium section
//	go run ./cmd/bench -skip sizes,stability,go -flows main,worker # page and worker custody, same runs
//
// Run it from dev/ after `make build` (the Makefile's bench and check-size
// targets do both). It prints one table and writes it, with the raw samples,
// to artifacts/bench.json.
//
// # Sizes
//
// Raw, gzip -9 and brotli -q 11 (window 22) of static/oidc/oidc.wasm, of a
// bare go-app app (bench/bareapp), of the least app that uses web/goapp
// (bench/goappmin: the go-app integration's budget is its size over the bare
// app), of the go-app demo (dev/demoapp, reported), and of oidc-client-ts's
// minified browser bundle. Every wasm is built with the Makefile's WASMFLAGS.
// 1 MB is 10^6 bytes. A build without -s -w gives function names (the wasm
// name section; `go tool nm` cannot read wasm) for the net/http client check
// and for the analysis printed under the table.
//
// -check measures raw sizes only (no compression: a few seconds) and fails,
// one line per broken budget, when the bridge is over 9.0 MB raw, when the
// go-app integration adds more than 2.55 MB raw over the bare go-app app, or
// when the bridge links net/http.(*Client).do or
// net/http.(*Transport).RoundTrip. Raw bytes are the gate because they are
// deterministic and are what the browser decompresses and compiles on every
// load; brotli -q 11 moves by KBs when only line numbers move, so it is
// reported, not gated. Compressed sizes are cached by content hash in
// artifacts/sizes.json.
//
// # Gate stability
//
// The tree is copied three times: as it is, with every line of one file
// shifted down, and with one function renamed; the bridge and the least
// go-app app are built from each. The section fails (a note, and FAIL in the
// table) when either change moves a gated raw number by 0.1% of its headroom
// under the budget or more, and shows what brotli did with the same builds.
//
// # Go benchmarks
//
// go test -bench -count 5 -benchtime 500ms on spa: route matching (10,000
// routes over 50 configs), the AccessToken fast path, ValidateCallback and
// ID-token verification, summarised as medians with their range.
//
// # Chromium, side by side
//
// Development providers (devop, in this process, auto-login as alice) and a
// page server on loopback; bench/pages/bridge.html uses the bridge's oidc.js,
// bench/pages/oct.html oidc-client-ts's UserManager, with the same provider,
// client, scope (openid profile offline_access), storage and refresh tokens;
// both load bench/pages/bench.js, which times in the page: like an app, it
// calls configure and then checkAuth / getUser at once, without waiting for
// the library to be ready (the bridge may answer both before its module
// runs), and notes when the library became ready on the side. Pages are
// cross-origin isolated, so performance.now() resolves 5 µs. Every flow runs
// in a Chromium of its own (fresh user-data-dir), the libraries alternate
// which goes first, and the table shows medians with min–max over runs:
//
//   - library ready: performance.now() (from the navigation start) when
//     oidc.ready resolves, or when the oidc-client-ts script has run; cold is
//     the first load with the HTTP cache disabled, warm the reloads; the
//     target for cold is 2× oidc-client-ts, as for the first load's
//     checkAuth() (signed out) after it;
//   - checkAuth() vs signinRedirectCallback(): the duration of that one call
//     on the page the provider redirected to (code exchange, userinfo, and
//     for the bridge ID-token signature verification; oidc-client-ts then
//     cleans the address bar itself); both libraries have loaded discovery
//     before (configure; metadataService.getMetadata());
//   - nav start → signed in: performance.now() when that call resolved,
//     counted from the start of the navigation that began at the provider's
//     authorization endpoint, so it includes the redirect, loading the page
//     and the library, configure and the call; cold with the HTTP cache
//     disabled, warm from the HTTP cache after three reloads;
//   - reload → session restored: Page.reload, then performance.now() when
//     checkAuth() (bridge) or getUser() (oidc-client-ts) resolved signed in
//     (target: 1.5× oidc-client-ts);
//   - valid access token from JS: the median time of one awaited
//     oidc.getAccessToken() or (await mgr.getUser()).access_token, 2000 calls;
//   - fetch overhead: the median time of fetch to a secure route on the page
//     server through oidc.fetch (or getUser() + fetch with an Authorization
//     header) minus that of a plain window.fetch, 150 requests each,
//     interleaved; also split into sending a header at all and the library's
//     own part, and, for the bridge, oidc.fetch taken apart step by step;
//   - token requests at expiry: access tokens of 5 s, no automatic renewal,
//     localStorage shared by 1 or 3 tabs; once the token has expired, 100
//     callers per tab ask at the same wall-clock instant (bridge:
//     oidc.getAccessToken(); oidc-client-ts: getUser(), then signinSilent()
//     when user.expired, which uses the refresh token); the count is the
//     provider's Counts()["token:refresh_token"], with how many callers got
//     a token;
//   - automatic renewal: access tokens of 8 s, silentRenew /
//     automaticSilentRenew on, 3 tabs, 16 s: refresh requests and when each
//     arrived;
//   - worker custody (the bridge only, the worker flow): the main flow's
//     loads with custody "worker" (no storage), its tokens in the service
//     worker oidc-sw.js, served with Service-Worker-Allowed: / from the
//     page's origin. On the first load (cold) Go configures, oidc.js
//     registers the worker and checkAuth() reports worker_unavailable; then
//     the time until the worker controls the page (controllerchange) and
//     until checkAuth(), called again, is answered by it signed out. Then
//     sign-in through the worker (callback → signed in, cold and warm) and
//     reloads → session usable (checkAuth() signed in, the page
//     controlled), with oidc.ready, which a reload still waits for: the
//     page loads oidc.wasm itself and no early record answers a config
//     whose session is in the worker. Each figure stands under the page
//     custody row of the same moment, against oidc-client-ts's from the
//     same runs; the page has no token to read, so the token and fetch
//     rows have no worker figures.
//
// The start-up section takes the cold, warm and callback loads above apart:
// moments in ms from the navigation start (Resource Timing for each file;
// oidc.js's "oidcwasm:<moment>" performance marks for compiled, instantiated,
// Go main running, web.NewClient returned, registered, configure and
// checkAuth), medians over runs, and the spans between them. oidc-client-ts
// has the file and call moments only. To see how much of a span is V8's lazy
// compilation of wasm functions on their first call, run with
// BENCH_JS_FLAGS=--no-wasm-lazy-compilation (passed to Chromium's --js-flags):
// the whole module is then compiled up front and the Go spans shrink.
//
// # go-app
//
// What the go-app integration adds to a go-app app's own start (goapp.go):
// bench/bareapp and bench/goappmin, each served as a go-app static site
// (its service worker included) on an origin of its own; when the page
// component mounts, cold and on reloads, and for goappmin when the reload
// shows the session restored.
//
// -flows runs only the named Chromium flows (main, worker, floor, goapp,
// expiry, auto, dpop); -runs sets the repetitions of main, worker, floor
// and dpop; -skip sizes,stability,go leaves out the other parts.
//
// -probe signs in on one library's page and runs a JavaScript expression
// there (bench.token(), bench.internals(n), bench.fetchParts(n), or any
// other); -profile records a V8 CPU profile meanwhile and prints the
// functions with the most self time, and -wasm serves another oidc.wasm
// (artifacts/wasm/bridge-symbols.wasm has function names).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/bench"
)

type options struct {
	check      bool
	runs       int // main browser flow repetitions
	expiryRuns int
	autoRuns   int
	goCount    int
	benchtime  string
	skip       map[string]bool
	flows      map[string]bool // browser flows to run; empty: all
	out        string
	chromium   string
	goappApp   string // package in dev/ of the least app that uses web/goapp (the budget)
	goappDemo  string // package in dev/ of the go-app demo (reported)
	goappBare  string // package in dev/ of the bare go-app app
	verbose    bool
	probe      string // library whose page -js runs in
	js         string
	profile    bool   // with -probe: CPU profile of -js
	wasm       string // serve this file as /oidc/oidc.wasm
	dwell      time.Duration
}

func main() {
	var o options
	var skip, flows string
	flag.BoolVar(&o.check, "check", false, "sizes only; exit 1 when a size budget is broken")
	flag.IntVar(&o.runs, "runs", 5, "repetitions of the main browser flow per library")
	flag.IntVar(&o.expiryRuns, "expiry-runs", 2, "repetitions of the 100-callers-at-expiry flow per library and tab count")
	flag.IntVar(&o.autoRuns, "auto-runs", 1, "repetitions of the automatic-renewal flow per library")
	flag.IntVar(&o.goCount, "count", 5, "go test -count for the Go benchmarks")
	flag.StringVar(&o.benchtime, "benchtime", "500ms", "go test -benchtime for the Go benchmarks")
	flag.StringVar(&skip, "skip", "", "comma-separated parts to skip: sizes, stability, go, browser")
	flag.StringVar(&flows, "flows", "", "comma-separated browser flows to run (default all): "+strings.Join(browserFlows, ", "))
	flag.StringVar(&o.out, "out", "artifacts/bench.json", "where to write the JSON report (relative to dev/)")
	flag.StringVar(&o.chromium, "chromium", envOr("CHROMIUM", "/usr/bin/chromium"), "Chromium executable")
	flag.StringVar(&o.goappApp, "goapp-app", "./bench/goappmin", "package (in dev/) of the app whose size over the bare go-app app is the go-app integration's budget")
	flag.StringVar(&o.goappDemo, "goapp-demo", "./demoapp", "package (in dev/) of the go-app demo, reported next to it")
	flag.StringVar(&o.goappBare, "goapp-bare", "./bench/bareapp", "package (in dev/) of the bare go-app app")
	flag.DurationVar(&o.dwell, "dwell", 0, "stay this long on each page of the warm reloads before the next one, as a user reading it would (V8 writes its wasm code cache only some time after tier-up)")
	flag.BoolVar(&o.verbose, "v", false, "log progress")
	flag.StringVar(&o.probe, "probe", "", "sign in on this library's page (bridge or oct), run -js there and print its result")
	flag.StringVar(&o.js, "js", "", "with -probe: the JavaScript expression to run (a Promise is awaited)")
	flag.BoolVar(&o.profile, "profile", false, "with -probe: record a CPU profile while -js runs and print the top functions")
	flag.StringVar(&o.wasm, "wasm", "", "with -probe: serve this file as /oidc/oidc.wasm (e.g. artifacts/wasm/bridge-symbols.wasm, which has function names)")
	flag.Parse()
	o.skip, o.flows = words(skip), words(flows)
	for f := range o.flows {
		if !slices.Contains(browserFlows, f) {
			fmt.Fprintf(os.Stderr, "bench: -flows: no flow %q (%s)\n", f, strings.Join(browserFlows, ", "))
			os.Exit(2)
		}
	}
	// devop logs the protocol errors the benchmark causes on purpose (reused
	// refresh tokens, ...) through slog.
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	env, err := newEnv(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if o.check {
		os.Exit(runCheck(ctx, env))
	}
	if o.probe != "" {
		if err := runProbe(ctx, env, o.probe, o.js); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := runAll(ctx, env); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// words is a comma-separated list as a set.
func words(list string) map[string]bool {
	out := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out[s] = true
		}
	}
	return out
}

// flow reports whether the browser flow name runs (-flows).
func (o options) flow(name string) bool { return len(o.flows) == 0 || o.flows[name] }

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// env is where things are and what is shared between the parts.
type env struct {
	opts      options
	root      string // the library module (repository root)
	dev       string // the dev module
	artifacts string // dev/artifacts
	sizes     *bench.SizeCache
	wasmFlags []string // the Makefile's WASMFLAGS
	logf      func(format string, args ...any)
}

func newEnv(o options) (*env, error) {
	dev, err := findDev()
	if err != nil {
		return nil, err
	}
	e := &env{opts: o, dev: dev, root: filepath.Dir(dev), artifacts: filepath.Join(dev, "artifacts")}
	e.sizes = bench.OpenSizeCache(filepath.Join(e.artifacts, "sizes.json"))
	e.wasmFlags = makefileWasmFlags(e.root)
	e.logf = func(string, ...any) {}
	if o.verbose {
		e.logf = func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
		}
	}
	return e, nil
}

// findDev returns the dev module's directory: the working directory or its
// dev/ subdirectory.
func findDev() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for _, d := range []string{wd, filepath.Join(wd, "dev"), filepath.Dir(wd), filepath.Dir(filepath.Dir(wd))} {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/oidcwasm/oidcwasm/dev\n") {
			return d, nil
		}
	}
	return "", errors.New("run from the repository's dev/ directory (cd dev && go run ./cmd/bench)")
}

// runAll runs every part, prints the table and writes the JSON report.
func runAll(ctx context.Context, e *env) error {
	start := time.Now()
	rep := &benchReport{Started: start.UTC(), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), LoadStart: loadAvg()}
	timed := func(name string, f func()) {
		st := time.Now()
		f()
		rep.Parts = append(rep.Parts, fmt.Sprintf("%s %s", name, time.Since(st).Round(time.Second)))
	}
	if !e.opts.skip["sizes"] {
		timed("sizes", func() {
			fmt.Fprintln(os.Stderr, "bench: sizes (brotli -q 11 is slow on a cold cache) ...")
			rep.Sizes = measureSizes(ctx, e, false)
			if err := e.sizes.Save(); err != nil {
				e.logf("saving the size cache: %v", err)
			}
		})
	}
	if !e.opts.skip["stability"] {
		timed("gate stability", func() {
			fmt.Fprintln(os.Stderr, "bench: gate stability (patched copies of the tree) ...")
			rep.Stability = measureStability(ctx, e)
			rep.Notes = append(rep.Notes, rep.Stability.Failures...)
		})
	}
	if !e.opts.skip["go"] {
		timed("Go benchmarks", func() {
			fmt.Fprintln(os.Stderr, "bench: Go benchmarks ...")
			gb, err := runGoBenchmarks(ctx, e)
			if err != nil {
				rep.Notes = append(rep.Notes, "Go benchmarks failed: "+err.Error())
			}
			rep.Go = gb
		})
	}
	if !e.opts.skip["browser"] {
		timed("Chromium", func() {
			fmt.Fprintln(os.Stderr, "bench: Chromium, side by side ...")
			br, err := runBrowser(ctx, e)
			if err != nil {
				rep.Notes = append(rep.Notes, "browser benchmarks failed: "+err.Error())
			}
			rep.Browser = br
		})
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	rep.LoadEnd = loadAvg()
	rep.OCTVersion = octVersion(e.dev) // npm ci may have run meanwhile
	rep.Duration = time.Since(start).Round(time.Second).String()
	rep.Table = buildTable(rep)
	printTable(os.Stdout, rep)

	out := e.opts.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(e.dev, out)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Printf("\nwrote %s (took %s: %s)\n", out, rep.Duration, strings.Join(rep.Parts, ", "))
	return nil
}

// loadAvg is the first three fields of /proc/loadavg, or "" where there is none.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// octVersion is the installed oidc-client-ts version, or "".
func octVersion(dev string) string {
	b, err := os.ReadFile(filepath.Join(dev, "node_modules/oidc-client-ts/package.json"))
	if err != nil {
		return ""
	}
	var p struct{ Version string }
	json.Unmarshal(b, &p)
	return p.Version
}
