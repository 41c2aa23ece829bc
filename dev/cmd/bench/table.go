package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/bench"
)

// benchReport is everything a run found; it is written as JSON.
type benchReport struct {
	Started    time.Time        `json:"started"`
	Duration   string           `json:"duration"`
	Parts      []string         `json:"parts"` // how long each part took
	GoVersion  string           `json:"go"`
	OCTVersion string           `json:"oidc_client_ts_version"`
	CPUs       int              `json:"cpus"`
	LoadStart  string           `json:"loadavg_start"`
	LoadEnd    string           `json:"loadavg_end"`
	Sizes      *sizesReport     `json:"sizes,omitempty"`
	Stability  *stabilityReport `json:"gate_stability,omitempty"`
	Go         *goBenchReport   `json:"go_benchmarks,omitempty"`
	Browser    *browserReport   `json:"browser,omitempty"`
	Table      []row            `json:"table"`
	Notes      []string         `json:"notes,omitempty"`
}

// row is one line of the table.
type row struct {
	Section string  `json:"section"`
	Metric  string  `json:"metric"`
	This    string  `json:"oidcwasm"`
	Peer    string  `json:"oidc_client_ts"`
	Ratio   string  `json:"ratio"` // this/peer of the medians
	Target  string  `json:"target"`
	Status  string  `json:"status"`
	Value   float64 `json:"value,omitempty"` // this, as a number (median), for scripts
}

// stat is a median with its range.
type stat struct {
	med, lo, hi float64
	n           int
}

func statOf(xs []float64) stat {
	lo, hi := bench.MinMax(xs)
	return stat{bench.Median(xs), lo, hi, len(xs)}
}

// pooled is the stat of what f takes from every run.
func pooled[S any](runs []S, f func(S) []float64) stat {
	var xs []float64
	for _, r := range runs {
		xs = append(xs, f(r)...)
	}
	return statOf(xs)
}

func (s stat) ok() bool { return s.n > 0 && !math.IsNaN(s.med) }

// format prints "12.3 ms (11.0–14.2, n=5)" with the given unit and precision.
func (s stat) format(unit string, prec int) string {
	if !s.ok() {
		return "n/a"
	}
	if s.n == 1 {
		return fmt.Sprintf("%.*f %s", prec, s.med, unit)
	}
	return fmt.Sprintf("%.*f %s (%.*f–%.*f, n=%d)", prec, s.med, unit, prec, s.lo, prec, s.hi, s.n)
}

func ratio(this, peer stat) string {
	if !this.ok() || !peer.ok() || peer.med <= 0 || this.med < 0 {
		return ""
	}
	return fmt.Sprintf("%.2f", this.med/peer.med)
}

func triple(s *bench.Sizes) string {
	return fmt.Sprintf("%s / %s / %s", human(s.Raw), human(s.Gzip), human(s.Brotli))
}

// human prints decimal KB or MB.
func human(n int64) string {
	if n >= 1e6 || n <= -1e6 {
		return fmt.Sprintf("%.2f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f KB", float64(n)/1e3)
}

func entry(e sizeEntry) string {
	if e.Sizes != nil {
		return triple(e.Sizes)
	}
	if e.NA != "" {
		return "n/a: " + e.NA
	}
	return "n/a"
}

// buildTable turns the report into rows.
func buildTable(r *benchReport) []row {
	var rows []row
	if s := r.Sizes; s != nil {
		rows = append(rows, sizeRows(s)...)
	}
	if st := r.Stability; st != nil {
		rows = append(rows, stabilityRows(st)...)
	}
	if g := r.Go; g != nil {
		for _, b := range g.Results {
			st := statOf(b.NsOpRuns)
			rw := row{Section: "Go", Metric: b.Name, Value: st.med,
				This: fmt.Sprintf("%s/op (%s–%s), %.0f B/op, %.0f allocs/op", dur(st.med), dur(st.lo), dur(st.hi), b.BOp, b.AllocsOp)}
			if b.TargetNs > 0 {
				rw.Target = "≤ " + dur(b.TargetNs)
				rw.Status = okMiss(st.med <= b.TargetNs)
			}
			rows = append(rows, rw)
		}
	}
	if b := r.Browser; b != nil {
		rows = append(rows, browserRows(b)...)
		rows = append(rows, startupRows(b)...)
		rows = append(rows, floorRows(b)...)
		rows = append(rows, goappRows(b)...)
	}
	// A row without samples (a flow -flows left out) has no value; NaN
	// would make the whole report unwritable as JSON.
	for i := range rows {
		if math.IsNaN(rows[i].Value) {
			rows[i].Value = 0
		}
	}
	return rows
}

// ms is a figure a page reported as one sample, none when it did not
// report it (0: what JSON's null, a NaN in the page, decodes to).
func ms(v float64) []float64 {
	if v > 0 {
		return []float64{v}
	}
	return nil
}

func dur(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
	return fmt.Sprintf("%.1f ns", ns)
}

func okMiss(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}

func sizeRows(s *sizesReport) []row {
	var rows []row
	br := row{Section: "size", Metric: "bridge oidc.wasm vs oidc-client-ts.min.js (raw / gzip -9 / brotli -q 11)",
		This: entry(s.Bridge), Peer: entry(s.OCT), Target: "raw ≤ " + mb(bridgeBudgetRaw) + " (gate); goal brotli ≤ " + mb(bridgeGoalBrotli)}
	if b := s.Bridge.Sizes; b != nil {
		br.Value = float64(b.Raw)
		switch {
		case b.Raw > bridgeBudgetRaw:
			br.Status = "OVER BUDGET"
		case b.Brotli > bridgeGoalBrotli:
			br.Status = "over goal"
		default:
			br.Status = "ok"
		}
		if o := s.OCT.Sizes; o != nil {
			br.Ratio = fmt.Sprintf("%.1f", float64(b.Brotli)/float64(o.Brotli))
		}
	}
	rows = append(rows, br)
	js := row{Section: "size", Metric: "bridge JS: oidc.js + wasm_exec.js", This: entry(s.BridgeJS)}
	rows = append(rows, js)
	if b, j, o := s.Bridge.Sizes, s.BridgeJS.Sizes, s.OCT.Sizes; b != nil && j != nil && o != nil {
		rows = append(rows, row{Section: "size", Metric: "download, brotli: bridge wasm + JS vs oidc-client-ts.min.js",
			This: human(b.Brotli + j.Brotli), Peer: human(o.Brotli), Ratio: fmt.Sprintf("%.1f", float64(b.Brotli+j.Brotli)/float64(o.Brotli))})
	}
	rows = append(rows,
		row{Section: "size", Metric: "bare go-app app wasm (bench/bareapp)", This: entry(s.Bare)},
		row{Section: "size", Metric: "least go-app app using web/goapp (bench/goappmin)", This: entry(s.App)})
	gd := row{Section: "size", Metric: "go-app integration: goappmin − bare (the budget)", This: entry(s.GoappDelta),
		Target: "raw ≤ " + mb(goappBudgetRaw) + " (gate)", Status: "skipped"}
	if d := s.GoappDelta.Sizes; d != nil {
		gd.Value = float64(d.Raw)
		gd.Status = map[bool]string{true: "OVER BUDGET", false: "ok"}[d.Raw > goappBudgetRaw]
	}
	rows = append(rows, gd,
		row{Section: "size", Metric: "go-app demo wasm (dev/demoapp)", This: entry(s.Demo)},
		row{Section: "size", Metric: "go-app demo − bare (integration + demo UI; not enforced)", This: entry(s.DemoDelta),
			Target: "(budget applies to the integration)", Status: map[bool]string{true: "info"}[s.DemoDelta.Sizes != nil]})
	if own, parts := ownCode(s.Analysis); own > 0 {
		rows = append(rows, row{Section: "size", Metric: "the project's own code in the bridge: " + parts,
			This: human(int64(own)) + " code", Target: "goal ≤ " + kb(ownCodeGoal), Value: float64(own),
			Status: map[bool]string{true: "over goal", false: "ok"}[own > ownCodeGoal]})
	}
	hc := row{Section: "size", Metric: "bridge links net/http's client", Target: "no", This: "no", Status: "ok"}
	if len(s.HTTPClient) > 0 {
		hc.This, hc.Status = "yes: "+strings.Join(s.HTTPClient, ", "), "FAIL"
	}
	return append(rows, hc)
}

func browserRows(b *browserReport) []row {
	var rows []row
	peerNA := "n/a"
	if b.PeerNA != "" {
		peerNA = "n/a: " + b.PeerNA
	}
	pool := func(lib string, f func(*mainSample) []float64) stat { return pooled(b.Main[lib], f) }
	add := func(metric, unit string, prec int, f func(*mainSample) []float64, target float64, targetText string) {
		this, peer := pool(libBridge, f), pool(libOCT, f)
		rw := row{Section: "Chromium", Metric: metric, This: this.format(unit, prec), Peer: peer.format(unit, prec),
			Ratio: ratio(this, peer), Value: this.med}
		if !peer.ok() && b.PeerNA != "" {
			rw.Peer = peerNA
		}
		if target > 0 {
			rw.Target = targetText
			if this.ok() {
				rw.Status = okMiss(this.med <= target)
			}
		}
		rows = append(rows, rw)
	}
	one := func(f func(*mainSample) float64) func(*mainSample) []float64 {
		return func(sm *mainSample) []float64 {
			if v := f(sm); !math.IsNaN(v) {
				return []float64{v}
			}
			return nil
		}
	}
	// med is a callStats median, NaN when it was not measured.
	med := func(c callStats) float64 {
		if c.N == 0 {
			return math.NaN()
		}
		return c.Median
	}
	// targetRatio sets the last row's target: at most max times oidc-client-ts's median.
	targetRatio := func(max float64) {
		rw := &rows[len(rows)-1]
		rw.Target = fmt.Sprintf("≤ %g× oidc-client-ts", max)
		if r, err := strconv.ParseFloat(rw.Ratio, 64); err == nil {
			rw.Status = okMiss(r <= max)
		}
	}
	// worker adds a row of the worker-custody flow (custody "worker", the
	// bridge only) under the page-custody row it stands beside, with
	// oidc-client-ts's figure peer for the same moment (nil: none), taken
	// in the same runs.
	worker := func(metric string, f func(*workerSample) []float64, peer func(*loadSample) []float64) {
		this := pooled(b.Worker, f)
		rw := row{Section: "Chromium", Metric: "  worker custody: " + metric, This: this.format("ms", 1), Value: this.med}
		if peer != nil {
			p := pool(libOCT, func(s *mainSample) []float64 { return peer(&s.loadSample) })
			rw.Peer, rw.Ratio = p.format("ms", 1), ratio(this, p)
			if !p.ok() && b.PeerNA != "" {
				rw.Peer = peerNA
			}
		}
		rows = append(rows, rw)
	}
	loads := func(f func(*loadSample) []float64) func(*workerSample) []float64 {
		return func(s *workerSample) []float64 { return f(&s.loadSample) }
	}
	readyCold := func(s *loadSample) []float64 { return ms(s.ReadyCold) }
	readyWarm := func(s *loadSample) []float64 { return s.ReadyWarm }
	callbackCold := func(s *loadSample) []float64 { return ms(s.CallbackCold.AuthMs) }
	callbackWarm := func(s *loadSample) []float64 { return ms(s.CallbackWarm.AuthMs) }
	signedInCold := func(s *loadSample) []float64 { return ms(s.CallbackCold.DoneMs) }
	signedInWarm := func(s *loadSample) []float64 { return ms(s.CallbackWarm.DoneMs) }
	firstLoad := func(s *loadSample) []float64 { return ms(s.LoadCold.DoneMs) }
	restore := func(s *loadSample) []float64 { return s.Restore }

	add("library ready: nav start → oidc.ready / bundle run (cold)", "ms", 1, one(func(s *mainSample) float64 { return s.ReadyCold }), 0, "")
	targetRatio(2)
	worker("nav start → oidc.ready (cold, first load)", loads(readyCold), readyCold)
	add("library ready: nav start → oidc.ready / bundle run (warm)", "ms", 1, func(s *mainSample) []float64 { return s.ReadyWarm }, 0, "")
	worker("oidc.ready on a reload (warm; the page still loads and runs oidc.wasm)", loads(readyWarm), readyWarm)
	add("checkAuth() vs signinRedirectCallback() on the callback URL (cold page)", "ms", 1, one(func(s *mainSample) float64 { return s.CallbackCold.AuthMs }), 0, "")
	worker("checkAuth() on the callback URL, completed by the worker (cold page)", loads(callbackCold), callbackCold)
	add("checkAuth() vs signinRedirectCallback() on the callback URL (warm page)", "ms", 1, one(func(s *mainSample) float64 { return s.CallbackWarm.AuthMs }), 0, "")
	worker("checkAuth() on the callback URL, completed by the worker (warm page)", loads(callbackWarm), callbackWarm)
	add("nav start → signed in, after the callback (cold cache)", "ms", 1, one(func(s *mainSample) float64 { return s.CallbackCold.DoneMs }), 0, "")
	worker("nav start → signed in, after the callback (cold cache)", loads(signedInCold), signedInCold)
	add("nav start → signed in, after the callback (warm cache)", "ms", 1, one(func(s *mainSample) float64 { return s.CallbackWarm.DoneMs }), 0, "")
	worker("nav start → signed in, after the callback (warm cache)", loads(signedInWarm), signedInWarm)
	add("first load: nav start → checkAuth() resolved (signed out, cold)", "ms", 1, one(func(s *mainSample) float64 { return s.LoadCold.DoneMs }), 0, "")
	targetRatio(2)
	worker("first load: nav start → checkAuth() resolved, worker_unavailable (the worker does not control the page yet)", loads(firstLoad), firstLoad)
	worker("first load: nav start → page controlled by the worker (controllerchange)",
		func(s *workerSample) []float64 { return ms(s.Controlled.ControlledMs) }, nil)
	worker("first load: nav start → checkAuth() again once controlled, answered by the worker (signed out)",
		func(s *workerSample) []float64 { return ms(s.Controlled.DoneMs) }, firstLoad)
	add("reload → session restored (warm cache)", "ms", 1, func(s *mainSample) []float64 { return s.Restore }, 0, "")
	targetRatio(1.5)
	worker("reload → session usable (checkAuth() signed in, answered by the worker; warm cache)", loads(restore), restore)
	add("valid access token from JS: getAccessToken() vs getUser().access_token, per call", "µs", 1,
		one(func(s *mainSample) float64 { return med(s.TokenRead) }), 50, "≤ 50 µs")
	add("fetch to a secure route: oidc.fetch vs getUser()+fetch with header, overhead over window.fetch", "ms", 3,
		one(func(s *mainSample) float64 { return (med(s.FetchToken) - med(s.FetchPlain)) / 1000 }), 0.3, "≤ 0.3 ms")
	add("  of which sending a Bearer header at all (window.fetch with a fixed header − window.fetch)", "ms", 3,
		one(func(s *mainSample) float64 { return (med(s.FetchHeader) - med(s.FetchPlain)) / 1000 }), 0, "")
	add("  of which the library (fetch with its token − window.fetch with a fixed header)", "ms", 3,
		one(func(s *mainSample) float64 { return (med(s.FetchToken) - med(s.FetchHeader)) / 1000 }), 0, "")
	add("  window.fetch alone, loopback (for scale)", "ms", 3, one(func(s *mainSample) float64 { return med(s.FetchPlain) / 1000 }), 0, "")
	add("bridge only: oidc.matchRoute(url), a synchronous JS → Go → JS call, back to back", "µs", 1,
		one(func(s *mainSample) float64 { return med(s.MatchRoute) }), 0, "")
	add("bridge only: await oidc.isAuthenticated(), a Promise round trip with next to no work, back to back", "µs", 1,
		one(func(s *mainSample) float64 { return med(s.IsAuthenticated) }), 0, "")
	part := func(f func(p *fetchParts) float64) func(*mainSample) []float64 {
		return one(func(s *mainSample) float64 {
			if s.FetchParts == nil {
				return math.NaN()
			}
			return f(s.FetchParts)
		})
	}
	add("bridge only: oidc.fetch taken apart, between requests: await getAccessToken() before fetch", "µs", 0,
		part(func(p *fetchParts) float64 { return med(p.GetAccessToken) - med(p.Header) }), 0, "")
	add("bridge only: oidc.fetch taken apart, between requests: + matchRoute(url) before that", "µs", 0,
		part(func(p *fetchParts) float64 { return med(p.MatchRoute) - med(p.GetAccessToken) }), 0, "")
	add("bridge only: oidc.fetch taken apart, between requests: the rest of oidc.fetch (JS)", "µs", 0,
		part(func(p *fetchParts) float64 { return med(p.OidcFetch) - med(p.MatchRoute) }), 0, "")
	add("bridge only: oidc.fetch to a route with a resource (its own token, cached), overhead over window.fetch", "ms", 3,
		part(func(p *fetchParts) float64 { return (med(p.Resource) - med(p.Plain)) / 1000 }), 0.3, "≤ 0.3 ms")
	// DPoP: the same overhead on the DPoP variant, where every request
	// gets a proof from Go that WebCrypto signs, next to Bearer's above.
	var dp []float64
	for _, p := range b.DPoP {
		if v := (med(p.OidcFetch) - med(p.Plain)) / 1000; !math.IsNaN(v) {
			dp = append(dp, v)
		}
	}
	if st := statOf(dp); st.ok() || len(b.DPoP) > 0 {
		rw := row{Section: "Chromium", Metric: "bridge only: oidc.fetch with DPoP (a proof from Go, signed by WebCrypto, per request), overhead over window.fetch",
			This: st.format("ms", 3), Peer: "n/a", Value: st.med}
		rows = append(rows, rw)
	}

	for _, tabs := range []int{1, 3} {
		cell := func(lib string) (string, stat) {
			var reqs []float64
			var parts []string
			for _, sm := range b.Expiry[lib] {
				if sm.Tabs != tabs {
					continue
				}
				reqs = append(reqs, float64(sm.RefreshRequests))
				p := fmt.Sprintf("%d req: %d ok", sm.RefreshRequests, sm.Fulfilled)
				if sm.Rejected > 0 {
					var codes []string
					for _, k := range slices.Sorted(maps.Keys(sm.Codes)) {
						codes = append(codes, fmt.Sprintf("%d %s", sm.Codes[k], k))
					}
					p += ", " + strings.Join(codes, ", ")
				}
				parts = append(parts, p)
			}
			if len(parts) == 0 {
				return "n/a", stat{}
			}
			return strings.Join(parts, " | "), statOf(reqs)
		}
		this, ts := cell(libBridge)
		peer, ps := cell(libOCT)
		if ps.n == 0 && b.PeerNA != "" {
			peer = peerNA
		}
		metric := fmt.Sprintf("token requests, %d callers at expiry in 1 tab (per run: requests: callers ok, failed)", burstCallers)
		if tabs > 1 {
			metric = fmt.Sprintf("token requests, %d callers at expiry in each of %d tabs (per run)", burstCallers, tabs)
		}
		rw := row{Section: "Chromium", Metric: metric, This: this, Peer: peer, Ratio: ratio(ts, ps), Target: "1 request, every caller ok", Value: ts.med}
		if ts.ok() {
			ok := ts.hi <= 1
			for _, sm := range b.Expiry[libBridge] {
				if sm.Tabs == tabs && sm.Rejected > 0 {
					ok = false
				}
			}
			rw.Status = okMiss(ok)
		}
		rows = append(rows, rw)
	}
	// Renewal points: refresh requests less than a second apart are one renewal.
	points := func(at []float64) int {
		n := 0
		for i, t := range at {
			if i == 0 || t-at[i-1] >= 1 {
				n++
			}
		}
		return n
	}
	extra := map[string]int{} // requests beyond one per renewal point, all runs
	cell := func(lib string) (string, stat) {
		var reqs []float64
		var parts []string
		for _, sm := range b.Auto[lib] {
			reqs = append(reqs, float64(sm.RefreshRequests))
			extra[lib] += sm.RefreshRequests - points(sm.RefreshAt)
			at := make([]string, len(sm.RefreshAt))
			for i, t := range sm.RefreshAt {
				at[i] = fmt.Sprintf("%.1f", t)
			}
			parts = append(parts, fmt.Sprintf("%d req at %s s, %d renew failures, %d/%d tabs signed in",
				sm.RefreshRequests, strings.Join(at, ", "), sm.RenewFailures, sm.TabsSignedIn, sm.Tabs))
		}
		if len(parts) == 0 {
			return "n/a", stat{}
		}
		return strings.Join(parts, " | "), statOf(reqs)
	}
	this, ts := cell(libBridge)
	peer, ps := cell(libOCT)
	if ps.n == 0 && b.PeerNA != "" {
		peer = peerNA
	}
	rw := row{Section: "Chromium", Metric: fmt.Sprintf("automatic renewal, %d tabs, 2 token lifetimes (16 s): refresh requests", autoTabs),
		This: this, Peer: peer, Ratio: ratio(ts, ps), Target: "1 per renewal, all tabs together", Value: ts.med}
	if ts.ok() {
		rw.Status = okMiss(extra[libBridge] == 0)
	}
	return append(rows, rw)
}

// printTable prints the table and what a reader needs to trust it.
func printTable(w io.Writer, r *benchReport) {
	fmt.Fprintf(w, "oidcwasm benchmarks, %s, %s, %d CPUs, load average %s at start, %s at end\n",
		r.Started.Format(time.RFC3339), r.GoVersion, r.CPUs, r.LoadStart, r.LoadEnd)
	if r.Browser != nil && r.Browser.Chromium != "" {
		fmt.Fprintf(w, "Chromium: %s; oidc-client-ts %s\n", r.Browser.Chromium, r.OCTVersion)
	}
	fmt.Fprintln(w, "Medians; ranges are min–max over runs. ratio = oidcwasm / oidc-client-ts (below 1: oidcwasm is smaller or faster). 1 MB = 10^6 bytes.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tmetric\toidcwasm\toidc-client-ts\tratio\ttarget\tstatus")
	last := ""
	for _, rw := range r.Table {
		sec := ""
		if rw.Section != last {
			sec, last = rw.Section, rw.Section
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", sec, rw.Metric, rw.This, rw.Peer, rw.Ratio, rw.Target, rw.Status)
	}
	tw.Flush()

	var notes []string
	if s := r.Sizes; s != nil {
		notes = append(notes, s.Notes...)
		for _, f := range s.Failures {
			notes = append(notes, "size check: "+f)
		}
	}
	if b := r.Browser; b != nil {
		notes = append(notes, b.Notes...)
		for _, e := range b.Errors {
			notes = append(notes, "error: "+e)
		}
	}
	notes = append(notes, r.Notes...)
	if len(notes) > 0 {
		fmt.Fprintln(w, "\nnotes:")
		for _, n := range notes {
			fmt.Fprintln(w, "  -", n)
		}
	}
	if s := r.Sizes; s != nil && s.Analysis != nil {
		printAnalysis(w, s)
	}
}

func printAnalysis(w io.Writer, s *sizesReport) {
	a := s.Analysis
	fmt.Fprintf(w, "\nwhere the bridge's bytes go (%s; code bytes per function from the name section):\n", a.Build)
	fmt.Fprintf(w, "  sections: code %s, data %s, names %s (dropped by -s), other %s\n",
		human(int64(a.Sections["code"])), human(int64(a.Sections["data"])), human(int64(a.Sections["name"])), human(int64(a.Sections["other"])))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  code\tfuncs\t group\t")
	for _, g := range a.Groups[:min(14, len(a.Groups))] {
		fmt.Fprintf(tw, "  %s\t%d\t %s\t\n", human(int64(g.Code)), g.Functions, g.Package)
	}
	fmt.Fprintln(tw, "  code\tfuncs\t package\t")
	for _, p := range a.Packages[:min(20, len(a.Packages))] {
		fmt.Fprintf(tw, "  %s\t%d\t %s\t\n", human(int64(p.Code)), p.Functions, p.Package)
	}
	fmt.Fprintln(tw, "  code\t\t function\t")
	for _, f := range a.Functions[:min(10, len(a.Functions))] {
		fmt.Fprintf(tw, "  %s\t\t %s\t\n", human(int64(f.Size)), f.Name)
	}
	tw.Flush()
	if len(a.Dominates) > 0 {
		fmt.Fprintf(w, "  code that only one package brings in (if nothing imported it; ~brotli at the file's %.2f brotli/raw):\n", a.BrotliPerByte)
		for _, d := range a.Dominates {
			fmt.Fprintf(w, "    %-40s %9s code (~%s brotli), %d packages; imported by %s\n", d.Package, human(int64(d.Code)),
				human(int64(float64(d.Code)*a.BrotliPerByte)), len(d.Packages), strings.Join(d.Importers, ", "))
		}
	}
	if len(a.WhatIf) > 0 {
		fmt.Fprintln(w, "  if nothing imported these (fixes that need library changes):")
		for _, d := range a.WhatIf {
			fmt.Fprintf(w, "    %s: %s code (~%s brotli), %d packages leave; importers to change: %s\n", d.Package, human(int64(d.Code)),
				human(int64(float64(d.Code)*a.BrotliPerByte)), len(d.Packages), strings.Join(d.Importers, ", "))
		}
	}
	if len(a.Why) > 0 {
		fmt.Fprintln(w, "  why the heavy packages are linked (shortest import chain):")
		for _, p := range a.Packages {
			if chain, ok := a.Why[p.Package]; ok {
				fmt.Fprintf(w, "    %s: %s\n", p.Package, chain)
			}
		}
	}
	for _, x := range []struct {
		what string
		d    []packageDiff
	}{{"the least go-app app using web/goapp", s.GoappPackage}, {"the go-app demo", s.DemoPackage}} {
		if len(x.d) == 0 {
			continue
		}
		sum := 0
		for _, d := range x.d {
			sum += d.Added
		}
		fmt.Fprintf(w, "\nwhat %s adds over the bare go-app app, code bytes by package (all packages: %+d):\n", x.what, sum)
		for _, d := range x.d[:min(15, len(x.d))] {
			fmt.Fprintf(w, "  %+9d  %s\n", d.Added, d.Package)
		}
	}
}

// startupRows take the bridge's start-up apart, moment by moment, from the
// resource timing of its files and oidc.js's performance marks
// ("oidcwasm:<moment>"), on four kinds of page load: the first (HTTP cache
// disabled), a reload from a warm cache (session restored), and the callback
// page, cold and warm. Each value is the median over runs in ms from the
// navigation start; oidc-client-ts gets the moments it has. The last rows
// are the same moments with worker custody, where a controlled page's
// requests pass the worker's fetch event and checkAuth() is the worker's,
// and the worker's own start on the first load.
func startupRows(b *browserReport) []row {
	loads := []struct {
		name string
		of   func(*loadSample) []report
	}{
		{"cold", func(s *loadSample) []report { return []report{s.LoadCold} }},
		{"warm", func(s *loadSample) []report { return s.LoadWarm }},
		{"callback cold", func(s *loadSample) []report { return []report{s.CallbackCold} }},
		{"callback warm", func(s *loadSample) []report { return []report{s.CallbackWarm} }},
	}
	mark := func(name string) func(*report) (float64, bool) {
		return func(r *report) (float64, bool) { v, ok := r.Marks[name]; return v, ok }
	}
	fileEnd := func(name string) func(*report) (float64, bool) {
		return func(r *report) (float64, bool) { _, end, ok := r.resource(name); return end, ok }
	}
	span := func(from, to func(*report) (float64, bool)) func(*report) (float64, bool) {
		return func(r *report) (float64, bool) {
			a, ok1 := from(r)
			z, ok2 := to(r)
			return z - a, ok1 && ok2
		}
	}
	wasmStart := func(r *report) (float64, bool) { st, _, ok := r.resource("oidc.wasm"); return st, ok }
	ready := func(r *report) (float64, bool) { return r.ReadyMs, r.ReadyMs > 0 }
	configured := func(r *report) (float64, bool) { return r.ConfiguredMs, r.ConfiguredMs > 0 }
	done := func(r *report) (float64, bool) { return r.DoneMs, r.DoneMs > 0 }
	moments := []struct {
		metric       string
		bridge, peer func(*report) (float64, bool)
	}{
		{"oidc.js / oidc-client-ts.min.js fetched", fileEnd("oidc.js"), fileEnd("oidc-client-ts.min.js")},
		{"oidc.wasm requested", wasmStart, nil},
		{"wasm_exec.js fetched", fileEnd("wasm_exec.js"), nil},
		{"oidc.wasm fetched", fileEnd("oidc.wasm"), nil},
		{"oidc.wasm compiled", mark("compiled"), nil},
		{"instantiated", mark("instantiated"), nil},
		{"Go main running", mark("main"), nil},
		{"web.NewClient returned", mark("client"), nil},
		{"oidc.ready (bridge registered) / script run", ready, ready},
		{"configure() resolved", configured, configured},
		{"checkAuth() / getUser() or signinRedirectCallback() resolved", done, done},
		{"  span: compile after the download", span(fileEnd("oidc.wasm"), mark("compiled")), nil},
		{"  span: Go runtime start and package init (instantiated → main)", span(mark("instantiated"), mark("main")), nil},
		{"  span: main → registered", span(mark("main"), mark("registered")), nil},
		{"  span: configure()", span(mark("configure"), mark("configured")), nil},
		{"  span: checkAuth()", span(mark("checkAuth"), mark("checkedAuth")), nil},
	}
	main := func(lib string) []*loadSample {
		var out []*loadSample
		for _, sm := range b.Main[lib] {
			out = append(out, &sm.loadSample)
		}
		return out
	}
	var workerLoads []*loadSample
	for _, sm := range b.Worker {
		workerLoads = append(workerLoads, &sm.loadSample)
	}
	cell := func(runs []*loadSample, f func(*report) (float64, bool)) string {
		if f == nil {
			return ""
		}
		var parts []string
		for _, l := range loads {
			var xs []float64
			for _, sm := range runs {
				for _, r := range l.of(sm) {
					if v, ok := f(&r); ok {
						xs = append(xs, v)
					}
				}
			}
			if st := statOf(xs); st.ok() {
				parts = append(parts, fmt.Sprintf("%.1f", st.med))
			} else {
				parts = append(parts, "–")
			}
		}
		return strings.Join(parts, " / ")
	}
	names := make([]string, len(loads))
	for i, l := range loads {
		names[i] = l.name
	}
	rows := []row{{Section: "start-up", Metric: "ms from navigation start, medians: " + strings.Join(names, " / ")}}
	for _, m := range moments {
		rows = append(rows, row{Section: "start-up", Metric: m.metric, This: cell(main(libBridge), m.bridge), Peer: cell(main(libOCT), m.peer)})
	}
	for _, m := range []struct {
		metric string
		f      func(*report) (float64, bool)
	}{
		{"oidc.wasm fetched", fileEnd("oidc.wasm")},
		{"oidc.wasm compiled", mark("compiled")},
		{"oidc.ready", ready},
		{"configure() resolved (the page's Go, then the worker's)", configured},
		{"checkAuth() resolved (worker_unavailable on the first load, else the worker's answer)", done},
	} {
		rows = append(rows, row{Section: "start-up", Metric: "worker custody: " + m.metric, This: cell(workerLoads, m.f)})
	}
	return append(rows, workerStartRow(b.Worker))
}

// workerStartRow is the worker's own start on worker custody's first load,
// in ms from the page's navigation start (oidc-sw.js's marks, moved onto
// the page's clock), up to the page's checkAuth() answered by it: medians
// over runs.
func workerStartRow(runs []*workerSample) row {
	at := func(f func(report) float64) string {
		var xs []float64
		for _, sm := range runs {
			xs = append(xs, ms(f(sm.Controlled))...)
		}
		if st := statOf(xs); st.ok() {
			return fmt.Sprintf("%.1f", st.med)
		}
		return "–"
	}
	mark := func(name string) func(report) float64 { return func(r report) float64 { return r.WorkerMarks[name] } }
	return row{Section: "start-up", Metric: "worker custody, first load: worker script run / its module registered / activated / page controlled / checkAuth() answered by it",
		This: strings.Join([]string{at(mark("script")), at(mark("registered")), at(mark("activate")),
			at(func(r report) float64 { return r.ControlledMs }), at(func(r report) float64 { return r.DoneMs })}, " / ")}
}

// ownCode sums the code bytes of the project's own packages in the bridge
// (the analysis groups them as "oidcwasm (<package>)") and names each share.
func ownCode(a *sizeAnalysis) (int, string) {
	if a == nil {
		return 0, ""
	}
	sum, parts := 0, []string{}
	for _, g := range a.Groups {
		if name, ok := strings.CutPrefix(g.Package, "oidcwasm ("); ok {
			sum += g.Code
			parts = append(parts, strings.TrimSuffix(name, ")")+" "+kb(int64(g.Code)))
		}
	}
	return sum, strings.Join(parts, ", ")
}

// stabilityRows show how the gated raw numbers (and brotli, for comparison)
// moved for each change that carries no decision.
func stabilityRows(st *stabilityReport) []row {
	if st.NA != "" {
		return []row{{Section: "gate", Metric: "stability of the raw gate", This: "n/a: " + st.NA, Status: "skipped"}}
	}
	var rows []row
	base := st.Variants[0]
	signed := func(n int64) string { return fmt.Sprintf("%+d B", n) }
	for _, v := range st.Variants[1:] {
		status := "ok"
		for _, f := range st.Failures {
			if strings.Contains(f, v.Name) {
				status = "FAIL"
			}
		}
		rows = append(rows, row{Section: "gate", Metric: v.Name + ": raw bridge / go-app (brotli bridge / go-app)",
			This: fmt.Sprintf("%s / %s (%s / %s)", signed(v.BridgeRaw-base.BridgeRaw), signed(v.GoappRaw-base.GoappRaw),
				signed(v.BridgeBrotli-base.BridgeBrotli), signed(v.GoappBrotli-base.GoappBrotli)),
			Target: fmt.Sprintf("raw < %.1f%% of headroom (%d / %d B)", 100*stabilityShare,
				int64(stabilityShare*float64(bridgeBudgetRaw-base.BridgeRaw)), int64(stabilityShare*float64(goappBudgetRaw-base.GoappRaw))),
			Status: status})
	}
	return rows
}
