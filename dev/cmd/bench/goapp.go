package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/bench/goappsite"
	"github.com/oidcwasm/oidcwasm/dev/devop"
)

// What the go-app integration (web/goapp) adds to a go-app app's own
// start: bench/bareapp (go-app alone) and bench/goappmin (the least app
// that uses web/goapp: one config, the callback route, a sign-in button)
// are each served as go-app serves an app (its static site, made by
// go-app's GenerateStaticWebsite: index.html, app.js, the service worker,
// web/app.wasm), from an origin of their own, with the same cache headers
// as the bridge's files. Both mark in the page when their component mounts
// (goappsite.Mounted), goappmin also when it first shows the user signed in
// (goappsite.SignedIn). goappmin is built with its config set to the
// bench's provider (-ldflags -X); otherwise both are built as the size
// budget builds them.
var goappApps = []string{"bareapp", "goappmin"}

// goappSites are the two apps' servers and goappmin's provider.
type goappSites struct {
	origin map[string]string
	bytes  map[string]int64 // raw app.wasm
	srvs   []*http.Server
	op     *devop.Server
}

func (g *goappSites) close() {
	for _, s := range g.srvs {
		s.Close()
	}
	if g.op != nil {
		g.op.Close()
	}
}

// startGoappSites builds both apps' static sites into artifacts/goapp/ and
// serves them, each on a loopback port of its own.
func startGoappSites(ctx context.Context, e *env) (*goappSites, error) {
	g := &goappSites{origin: map[string]string{}, bytes: map[string]int64{}}
	lns := map[string]net.Listener{}
	for _, app := range goappApps {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			g.close()
			return nil, err
		}
		lns[app] = ln
		g.origin[app] = fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	}
	callback := g.origin["goappmin"] + "/callback"
	var err error
	g.op, err = devop.Start(ctx, devop.Config{
		Clients:             []devop.Client{{ID: clientID, RedirectURIs: []string{callback}}},
		AutoLogin:           "alice",
		AccessTokenLifetime: 10 * time.Minute,
	})
	if err != nil {
		for _, ln := range lns {
			ln.Close()
		}
		return nil, fmt.Errorf("starting the go-app provider: %w", err)
	}
	for _, app := range goappApps {
		dir := filepath.Join(e.artifacts, "goapp", app)
		flags := e.wasmFlags
		if app == "goappmin" {
			flags = withLdflags(flags, fmt.Sprintf("-X main.authority=%s -X main.clientID=%s -X main.redirectURL=%s", g.op.Issuer(), clientID, callback))
		}
		if err := buildGoappSite(ctx, e, app, dir, flags); err != nil {
			for _, ln := range lns {
				ln.Close()
			}
			g.close()
			return nil, err
		}
		if st, err := os.Stat(filepath.Join(dir, "web", "app.wasm")); err == nil {
			g.bytes[app] = st.Size()
		}
		srv := &http.Server{Handler: goappHandler(dir), ReadHeaderTimeout: 10 * time.Second}
		g.srvs = append(g.srvs, srv)
		go srv.Serve(lns[app])
	}
	return g, nil
}

// buildGoappSite writes app's static site into dir (go run ./bench/APP
// -out dir) and builds its wasm into dir/web/app.wasm with flags.
func buildGoappSite(ctx context.Context, e *env, app, dir string, flags []string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, goCmd(), "run", "./bench/"+app, "-out", dir)
	cmd.Dir = e.dev
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go run ./bench/%s -out %s: %w\n%s", app, dir, err, b)
	}
	return buildWasm(ctx, e.dev, "./bench/"+app, filepath.Join(dir, "web", "app.wasm"), flags, true)
}

// withLdflags adds extra to the -ldflags of flags (or adds -ldflags).
func withLdflags(flags []string, extra string) []string {
	out := slices.Clone(flags)
	for i, f := range out {
		switch {
		case strings.HasPrefix(f, "-ldflags="):
			out[i] = f + " " + extra
			return out
		case f == "-ldflags" && i+1 < len(out):
			out[i+1] += " " + extra
			return out
		}
	}
	return append(out, "-ldflags="+extra)
}

// goappHandler serves a go-app static site: a route's page (/ is
// index.html, /callback callback.html) revalidated on each load like the
// bench pages, every other file cacheable like the bridge's.
func goappHandler(dir string) http.Handler {
	files := cached(http.FileServer(http.Dir(dir)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page := ""
		switch r.URL.Path {
		case "/":
			page = "index.html"
		case "/callback":
			page = "callback.html"
		}
		if page == "" {
			files.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFile(w, r, filepath.Join(dir, page))
	})
}

// goappSample is one run of the go-app flow for one app: ms from the
// navigation start.
type goappSample struct {
	ReadyCold float64   `json:"ready_cold_ms"` // first visit, HTTP cache disabled: component mounted
	ReadyWarm []float64 `json:"ready_warm_ms"` // reloads
	// RestoredWarm (goappmin): the signed-in state shown, on the reloads.
	RestoredWarm []float64 `json:"restored_warm_ms,omitempty"`
}

// goappFlow, in a fresh browser: load app's page with the HTTP cache
// disabled (its first visit), and for goappmin sign in; then reload three
// times and keep the last two (its service worker serves the files by
// then, as go-app's does for its users).
func goappFlow(ctx context.Context, e *env, g *goappSites, app string) (*goappSample, error) {
	t, err := openCold(ctx, e, g.origin[app]+"/")
	if err != nil {
		return nil, err
	}
	defer t.close()
	sm := &goappSample{}
	if sm.ReadyCold, err = t.waitMark(goappsite.Mounted); err != nil {
		return nil, fmt.Errorf("%s, first visit: %w", app, err)
	}
	if app == "goappmin" {
		if err := t.leave(`document.querySelector("button").click()`); err != nil {
			return nil, err
		}
		if _, err := t.waitMark(goappsite.SignedIn); err != nil {
			return nil, fmt.Errorf("%s, sign-in: %w", app, err)
		}
	}
	if err := t.setCacheDisabled(false); err != nil {
		return nil, err
	}
	for i := range 3 {
		time.Sleep(e.opts.dwell)
		if err := t.leave(""); err != nil {
			return nil, err
		}
		if err := t.reload(); err != nil {
			return nil, err
		}
		ready, err := t.waitMark(goappsite.Mounted)
		if err != nil {
			return nil, fmt.Errorf("%s, reload: %w", app, err)
		}
		var restored float64
		if app == "goappmin" {
			if restored, err = t.waitMark(goappsite.SignedIn); err != nil {
				return nil, fmt.Errorf("%s, reload (session restored): %w", app, err)
			}
		}
		if i > 0 {
			sm.ReadyWarm = append(sm.ReadyWarm, ready)
			if app == "goappmin" {
				sm.RestoredWarm = append(sm.RestoredWarm, restored)
			}
		}
	}
	return sm, nil
}

// leave marks the current document as left and runs expr there (a click
// that navigates away, or nothing before a reload): waitMark then reads
// only the document that comes next.
func (t *tab) leave(expr string) error {
	_, err := eval[bool](t, 10*time.Second, "(window.__benchLeft = true, "+cond(expr != "", expr, "0")+", true)")
	return err
}

func cond(ok bool, a, b string) string {
	if ok {
		return a
	}
	return b
}

// waitMark polls the page until performance mark name exists in a document
// not left (leave), and returns its time from that document's navigation
// start.
func (t *tab) waitMark(name string) (float64, error) {
	deadline := time.Now().Add(time.Minute)
	expr := fmt.Sprintf(`(() => { if (window.__benchLeft) return -1; const m = performance.getEntriesByName(%q, "mark")[0]; return m ? m.startTime : -1; })()`, name)
	for time.Now().Before(deadline) {
		if t.ctx.Err() != nil {
			return 0, t.ctx.Err()
		}
		if v, err := eval[float64](t, 5*time.Second, expr); err == nil && v >= 0 {
			return v, nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return 0, errors.New("no performance mark " + name + " after a minute" + t.consoleTail())
}

// runGoapp runs the go-app flow for both apps, runs times, alternating
// which goes first.
func runGoapp(ctx context.Context, e *env, br *browserReport, fail func(string, error)) {
	g, err := startGoappSites(ctx, e)
	if err != nil {
		fail("go-app sites", err)
		return
	}
	defer g.close()
	br.Goapp, br.GoappBytes = map[string][]*goappSample{}, g.bytes
	for i := range e.opts.runs {
		apps := slices.Clone(goappApps)
		if i%2 == 1 {
			slices.Reverse(apps)
		}
		for _, app := range apps {
			if ctx.Err() != nil {
				return
			}
			sm, err := goappFlow(ctx, e, g, app)
			if err != nil {
				fail(fmt.Sprintf("go-app flow, %s, run %d", app, i+1), err)
				continue
			}
			br.Goapp[app] = append(br.Goapp[app], sm)
		}
	}
}

// goappRows: each app's start, and what the integration adds to it.
func goappRows(b *browserReport) []row {
	if len(b.Goapp) == 0 {
		return nil
	}
	st := func(app string, f func(*goappSample) []float64) stat { return pooled(b.Goapp[app], f) }
	cold := func(s *goappSample) []float64 { return []float64{s.ReadyCold} }
	warm := func(s *goappSample) []float64 { return s.ReadyWarm }
	pair := func(c, w stat) string { return c.format("ms", 1) + " / " + w.format("ms", 1) }
	rows := []row{{Section: "go-app", Metric: "go-app start-up (dev/bench/bareapp, dev/bench/goappmin), ms from navigation start: cold / warm (service worker)"}}
	for _, app := range goappApps {
		c, w := st(app, cold), st(app, warm)
		rows = append(rows, row{Section: "go-app", Metric: fmt.Sprintf("%s (%s raw): component mounted", app, mb(b.GoappBytes[app])),
			This: pair(c, w), Value: w.med})
	}
	bc, bw := st("bareapp", cold), st("bareapp", warm)
	mc, mw := st("goappmin", cold), st("goappmin", warm)
	diff := func(a, b stat) string {
		if !a.ok() || !b.ok() {
			return "n/a"
		}
		return fmt.Sprintf("%+.1f ms", a.med-b.med)
	}
	rows = append(rows, row{Section: "go-app", Metric: "the integration adds to the app's start (goappmin − bareapp, medians): cold / warm",
		This: diff(mc, bc) + " / " + diff(mw, bw), Value: mw.med - bw.med})
	rest := st("goappmin", func(s *goappSample) []float64 { return s.RestoredWarm })
	rows = append(rows, row{Section: "go-app", Metric: "goappmin: reload → session restored (signed-in state shown), warm",
		This: rest.format("ms", 1), Value: rest.med})
	rows = append(rows, row{Section: "go-app", Metric: "goappmin: session restored after its component mounted, warm (medians)",
		This: diff(rest, mw)})
	return rows
}
