package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/bench"
)

// The budgets (make test fails past them) are raw bytes of the wasm as
// built: deterministic for a tree, and what the browser decompresses, feeds
// through the main thread and compiles on every load. Brotli -q 11 is
// reported, not gated: at these sizes it moves by several KB when only line
// numbers or block boundaries move (README, "Size and speed"). The goals are
// tracked by make bench, never enforced. 1 MB = 1,000,000 bytes.
const (
	bridgeBudgetRaw = 9_000_000 // static/oidc/oidc.wasm
	goappBudgetRaw  = 2_550_000 // the go-app integration over a bare go-app app

	bridgeGoalBrotli = 1_400_000 // the bridge, as downloaded
	ownCodeGoal      = 400_000   // the project's own packages' code bytes in the bridge
)

// httpClientSymbols are functions that only a build using net/http's client
// links: HTTP in wasm builds must go through window.fetch (docs/DESIGN.md).
var httpClientSymbols = []string{"net/http.(*Client).do", "net/http.(*Transport).RoundTrip"}

// sizeEntry is the sizes of one file, or why there are none.
type sizeEntry struct {
	Name  string       `json:"name"`
	File  string       `json:"file,omitempty"`
	Sizes *bench.Sizes `json:"sizes,omitempty"`
	NA    string       `json:"na,omitempty"`
}

// sizesReport is the sizes part of the report.
type sizesReport struct {
	Bridge       sizeEntry     `json:"bridge"`
	BridgeJS     sizeEntry     `json:"bridge_js"` // oidc.js + wasm_exec.js
	Bare         sizeEntry     `json:"goapp_bare"`
	App          sizeEntry     `json:"goapp_app"`        // the least app that uses web/goapp
	Demo         sizeEntry     `json:"goapp_demo"`       // dev/demoapp
	GoappDelta   sizeEntry     `json:"goapp_delta"`      // App - Bare: the budget
	DemoDelta    sizeEntry     `json:"goapp_demo_delta"` // Demo - Bare
	OCT          sizeEntry     `json:"oidc_client_ts"`
	HTTPClient   []string      `json:"http_client_symbols"` // found in the bridge; must be empty
	Failures     []string      `json:"failures,omitempty"`  // broken budgets, one line each
	Notes        []string      `json:"notes,omitempty"`
	Analysis     *sizeAnalysis `json:"analysis,omitempty"`
	GoappPackage []packageDiff `json:"goapp_packages,omitempty"`      // what App adds over Bare, by package
	DemoPackage  []packageDiff `json:"goapp_demo_packages,omitempty"` // what Demo adds over Bare, by package
}

// runCheck enforces the size budgets; it returns the exit code.
func runCheck(ctx context.Context, e *env) int {
	st := time.Now()
	r := measureSizes(ctx, e, true)
	if err := e.sizes.Save(); err != nil {
		e.logf("saving the size cache: %v", err)
	}
	for _, n := range r.Notes {
		fmt.Println("check-size: note:", n)
	}
	if r.Bridge.Sizes != nil {
		fmt.Printf("check-size: bridge oidc.wasm %s raw (%d bytes; budget %s, %d bytes of headroom)\n",
			mb(r.Bridge.Sizes.Raw), r.Bridge.Sizes.Raw, mb(bridgeBudgetRaw), bridgeBudgetRaw-r.Bridge.Sizes.Raw)
	}
	if r.GoappDelta.Sizes != nil {
		fmt.Printf("check-size: go-app integration (%s) +%s raw over a bare go-app app (%d bytes; budget %s, %d bytes of headroom)\n",
			e.opts.goappApp, mb(r.GoappDelta.Sizes.Raw), r.GoappDelta.Sizes.Raw, mb(goappBudgetRaw), goappBudgetRaw-r.GoappDelta.Sizes.Raw)
	} else {
		fmt.Println("check-size: go-app budget skipped:", r.GoappDelta.NA)
	}
	if len(r.Failures) > 0 {
		for _, f := range r.Failures {
			fmt.Fprintln(os.Stderr, "check-size: FAIL:", f)
		}
		fmt.Fprintln(os.Stderr, "check-size: the budgets are raw bytes, which only code and data move; "+
			"`go run ./cmd/bench -skip go,browser` prints each package's share")
		return 1
	}
	fmt.Printf("check-size: ok (%s; brotli is reported by make bench, not gated)\n", time.Since(st).Round(100*time.Millisecond))
	return 0
}

// measureSizes builds what it needs, measures, and checks the budgets. With
// check it skips what only the full report needs.
func measureSizes(ctx context.Context, e *env, check bool) *sizesReport {
	r := &sizesReport{
		Bridge:     sizeEntry{Name: "bridge oidc.wasm", File: filepath.Join(e.root, "static/oidc/oidc.wasm")},
		BridgeJS:   sizeEntry{Name: "bridge JS (oidc.js + wasm_exec.js)"},
		Bare:       sizeEntry{Name: "bare go-app app wasm"},
		App:        sizeEntry{Name: "least go-app app with web/goapp"},
		Demo:       sizeEntry{Name: "go-app demo wasm"},
		GoappDelta: sizeEntry{Name: "go-app integration (app - bare)"},
		DemoDelta:  sizeEntry{Name: "go-app demo - bare"},
		OCT:        sizeEntry{Name: "oidc-client-ts.min.js", File: filepath.Join(e.dev, "node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js")},
	}
	wasmDir := filepath.Join(e.artifacts, "wasm")
	if err := os.MkdirAll(wasmDir, 0o755); err != nil {
		r.Failures = append(r.Failures, "cannot create "+wasmDir+": "+err.Error())
		return r
	}
	var jobs []func()

	// The bridge as shipped.
	if !fileExists(r.Bridge.File) {
		r.Bridge.NA = "static/oidc/oidc.wasm is missing: run make build"
		r.Failures = append(r.Failures, "bridge: static/oidc/oidc.wasm is missing; run make build first")
	} else {
		if stale := newerSource(e.root, r.Bridge.File); stale != "" {
			r.Notes = append(r.Notes, fmt.Sprintf("static/oidc/oidc.wasm is older than %s: run make build for current figures", stale))
		}
		jobs = append(jobs, measureFile(e, &r.Bridge, check))
	}
	if !check {
		js := []string{filepath.Join(e.root, "static/oidc/oidc.js"), filepath.Join(e.root, "static/oidc/wasm_exec.js")}
		jobs = append(jobs, func() { measureSum(e, &r.BridgeJS, js) })
	}

	// A build of the bridge with its name section: is net/http's client in it,
	// and what takes the space.
	full := filepath.Join(wasmDir, "bridge-symbols.wasm")
	if err := buildWasm(ctx, e.root, "./wasm", full, e.wasmFlags, false); err != nil {
		r.Failures = append(r.Failures, "bridge: cannot build it without -s -w for the symbol check: "+firstLine(err))
	} else if found, mod, err := httpClientIn(full); err != nil {
		r.Failures = append(r.Failures, "bridge: reading symbols: "+err.Error())
	} else {
		r.HTTPClient = found
		if len(found) > 0 {
			r.Failures = append(r.Failures, fmt.Sprintf("bridge: links net/http's client (%s); wasm builds must do HTTP through window.fetch (docs/DESIGN.md, size rules)", strings.Join(found, ", ")))
		}
		if !check {
			r.Analysis = analyse(ctx, e, e.root, "./wasm", "static/oidc/oidc.wasm (built without -s -w)", mod)
		}
	}

	// go-app: the demo that imports web/goapp against a bare go-app app.
	goappJobs := measureGoapp(ctx, e, r, wasmDir, check)
	jobs = append(jobs, goappJobs...)

	if !check {
		if !fileExists(r.OCT.File) {
			if err := npmInstall(ctx, e); err != nil {
				r.OCT.NA = "oidc-client-ts is not installed (cd dev && npm ci): " + firstLine(err)
			}
		}
		if r.OCT.NA == "" {
			jobs = append(jobs, measureFile(e, &r.OCT, false))
		}
	}

	// Compress in parallel: brotli -q 11 takes tens of seconds per wasm file.
	sem := make(chan struct{}, max(1, runtime.NumCPU()))
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			j()
		})
	}
	wg.Wait()

	delta := func(a, b *bench.Sizes) *bench.Sizes {
		return &bench.Sizes{Raw: a.Raw - b.Raw, Gzip: a.Gzip - b.Gzip, Brotli: a.Brotli - b.Brotli}
	}
	if r.Bare.Sizes != nil && r.Demo.Sizes != nil {
		r.DemoDelta.Sizes = delta(r.Demo.Sizes, r.Bare.Sizes)
	}
	if r.Bare.Sizes != nil && r.App.Sizes != nil {
		d := delta(r.App.Sizes, r.Bare.Sizes)
		r.GoappDelta.Sizes = d
		if d.Raw > goappBudgetRaw {
			r.Failures = append(r.Failures, fmt.Sprintf("go-app: the integration (%s, the least app using web/goapp) adds %s raw (%d bytes) over a bare go-app app, over the %s budget",
				e.opts.goappApp, mb(d.Raw), d.Raw, mb(goappBudgetRaw)))
		}
	}
	if a, s := r.Analysis, r.Bridge.Sizes; a != nil && s != nil && a.Sections["code"]+a.Sections["data"] > 0 {
		a.BrotliPerByte = float64(s.Brotli) / float64(s.Raw)
	}
	if s := r.Bridge.Sizes; s != nil && s.Raw > bridgeBudgetRaw {
		r.Failures = append(r.Failures, fmt.Sprintf("bridge: static/oidc/oidc.wasm is %s raw (%d bytes), over the %s budget",
			mb(s.Raw), s.Raw, mb(bridgeBudgetRaw)))
	}
	return r
}

// measureGoapp sets up the go-app entries and returns their measuring jobs.
func measureGoapp(ctx context.Context, e *env, r *sizesReport, wasmDir string, check bool) []func() {
	var jobs []func()
	if !hasGoFiles(filepath.Join(e.root, "web/goapp")) {
		why := "web/goapp does not exist yet"
		r.App.NA, r.Demo.NA, r.GoappDelta.NA, r.DemoDelta.NA = why, why, why, why
		if check {
			return nil // nothing to enforce
		}
	}
	if !hasGoFiles(filepath.Join(e.dev, e.opts.goappDemo)) && r.Demo.NA == "" {
		r.Demo.NA = e.opts.goappDemo + " does not exist"
		r.DemoDelta.NA = r.Demo.NA
	}
	// enforced: a build failure of these is a failure of the check.
	build := func(ent *sizeEntry, pkg, name string, enforced bool) bool {
		if ent.NA != "" || (check && !enforced) {
			return false
		}
		ent.File = filepath.Join(wasmDir, name+".wasm")
		if err := buildWasm(ctx, e.dev, pkg, ent.File, e.wasmFlags, true); err != nil {
			ent.NA = "build failed: " + firstLine(err)
			ent.File = ""
			if enforced && r.GoappDelta.NA == "" {
				r.GoappDelta.NA = ent.Name + ": " + ent.NA
				r.Failures = append(r.Failures, "go-app: cannot build "+pkg+": "+firstLine(err))
			}
			return false
		}
		jobs = append(jobs, measureFile(e, ent, check))
		return true
	}
	okBare := build(&r.Bare, e.opts.goappBare, "goapp-bare", true)
	okApp := build(&r.App, e.opts.goappApp, "goapp-app", true)
	okDemo := build(&r.Demo, e.opts.goappDemo, "goapp-demo", false)
	if !check && okBare && okApp {
		r.GoappPackage = goappDiff(ctx, e, wasmDir, e.opts.goappApp, "goapp-app")
	}
	if !check && okBare && okDemo {
		r.DemoPackage = goappDiff(ctx, e, wasmDir, e.opts.goappDemo, "goapp-demo")
	}
	return jobs
}

// measureFile returns a job that measures ent.File: its raw size only with
// rawOnly (the gate needs no compression), else raw, gzip and brotli.
func measureFile(e *env, ent *sizeEntry, rawOnly bool) func() {
	return func() {
		b, err := os.ReadFile(ent.File)
		if err != nil {
			ent.NA = err.Error()
			return
		}
		if rawOnly {
			ent.Sizes = &bench.Sizes{Raw: int64(len(b))}
			return
		}
		st := time.Now()
		s := e.sizes.Measure(b)
		e.logf("sized %s in %v", ent.File, time.Since(st).Round(time.Millisecond))
		ent.Sizes = &s
	}
}

// measureSum measures files one by one (they are served one by one) and sums.
func measureSum(e *env, ent *sizeEntry, files []string) {
	var sum bench.Sizes
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			ent.NA = err.Error()
			return
		}
		s := e.sizes.Measure(b)
		sum.Raw += s.Raw
		sum.Gzip += s.Gzip
		sum.Brotli += s.Brotli
	}
	ent.Sizes = &sum
}

// httpClientIn reads a non-stripped wasm build and returns the net/http
// client functions it defines.
func httpClientIn(path string) ([]string, *bench.Module, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	m, err := bench.ReadWasm(b)
	if err != nil {
		return nil, nil, err
	}
	if m.Names == 0 {
		return nil, nil, fmt.Errorf("%s has no name section (built with -s?)", path)
	}
	var found []string
	for _, s := range httpClientSymbols {
		if m.Has(s) {
			found = append(found, s)
		}
	}
	return found, m, nil
}

// newerSource returns a library source file newer than built, or "".
func newerSource(root, built string) string {
	st, err := os.Stat(built)
	if err != nil {
		return ""
	}
	newest := ""
	for _, dir := range []string{"spa", "silentrefresh", "web", "wasm", "internal"} {
		filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(p) != ".go" || isTestFile(p) || newest != "" {
				return nil
			}
			if info, err := d.Info(); err == nil && info.ModTime().After(st.ModTime()) {
				newest, _ = filepath.Rel(root, p)
			}
			return nil
		})
	}
	return newest
}

// npmInstall installs dev/package-lock.json's packages (oidc-client-ts).
func npmInstall(ctx context.Context, e *env) error {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("npm not found: %w", err)
	}
	fmt.Fprintln(os.Stderr, "bench: npm ci (oidc-client-ts, for the comparison) ...")
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = e.dev
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci: %w: %s", err, b)
	}
	return nil
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(strings.TrimSpace(err.Error()), "\n")
	return s
}

// mb formats bytes as decimal megabytes, kb as decimal kilobytes.
func mb(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }
func kb(n int64) string { return fmt.Sprintf("%.1f KB", float64(n)/1e3) }
