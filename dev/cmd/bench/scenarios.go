package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// mainSample is one run of the main flow for one library.
type mainSample struct {
	loadSample
	TokenRead       callStats   `json:"token_read_us"`
	FetchPlain      callStats   `json:"fetch_plain_us"`           // window.fetch
	FetchHeader     callStats   `json:"fetch_header_us"`          // window.fetch with a fixed Bearer header
	FetchToken      callStats   `json:"fetch_token_us"`           // through the library
	MatchRoute      callStats   `json:"match_route_us"`           // bridge: oidc.matchRoute
	IsAuthenticated callStats   `json:"is_authenticated_us"`      // bridge: oidc.isAuthenticated()
	FetchParts      *fetchParts `json:"fetch_parts_us,omitempty"` // bridge: oidc.fetch taken apart
}

// loadSample is the page loads of one run, as the main and worker flows
// take them: the first load, the sign-in's callback (cold, and warm after
// the reloads), and the warm reloads that restore the session.
type loadSample struct {
	ReadyCold       float64   `json:"ready_cold_ms"`
	LoadCold        report    `json:"load_cold"` // the first load, HTTP cache disabled
	LoadWarm        []report  `json:"load_warm"` // the reloads from a warm cache
	CallbackCold    report    `json:"callback_cold"`
	CallbackWarm    report    `json:"callback_warm"`
	Restore         []float64 `json:"restore_ms"`
	ReadyWarm       []float64 `json:"ready_warm_ms"`
	WarmFromCache   bool      `json:"warm_from_cache"`   // every library file of the warm loads came from the HTTP cache
	ColdFromNetwork bool      `json:"cold_from_network"` // no library file of the cold loads did
}

// workerSample is one run of the worker-custody flow (the bridge only):
// the main flow's loads, with the tokens in the service worker.
type workerSample struct {
	loadSample
	// Controlled is the first load once the worker it registered took
	// control: ControlledMs, and checkAuth() again, answered by the worker
	// (DoneMs, AuthMs), and the worker's start-up (WorkerMarks).
	Controlled report `json:"controlled"`
}

// callStats is what bench.js's timeCalls measures for one function, in
// microseconds per call.
type callStats struct {
	Median  float64 `json:"median"`
	P10     float64 `json:"p10"`
	P90     float64 `json:"p90"`
	N       int     `json:"n"`
	PerCall bool    `json:"perCall"` // each call timed (cross-origin isolated page), else batches of 50
}

// fetchParts is oidc.fetch taken apart (bridge.html's fetchParts): each
// step added to the previous one, timed interleaved.
type fetchParts struct {
	Plain          callStats `json:"plain"`          // window.fetch
	Header         callStats `json:"header"`         // + a fixed Bearer header
	GetAccessToken callStats `json:"getAccessToken"` // + await oidc.getAccessToken() first
	MatchRoute     callStats `json:"matchRoute"`     // + oidc.matchRoute(url) first
	OidcFetch      callStats `json:"oidcFetch"`      // oidc.fetch itself
	Resource       callStats `json:"resource"`       // oidc.fetch to a route with a resource (per-API token, cached)
}

// Calls per in-page measurement (see bench.js).
const (
	tokenCalls = 2000
	fetchCalls = 150 // of each kind
)

// mainFlow, in a fresh browser (first visit):
//  1. with the HTTP cache disabled, open the page (library ready, cold),
//     log in (authorize; the provider signs alice in at once and redirects
//     back) and complete the login on the callback page: cold;
//  2. with the cache enabled, reload three times: the first fills the cache,
//     the next two restore the session from a warm cache;
//  3. log in again: the callback page loads from a warm cache;
//  4. read the access token many times; compare fetch with a token with
//     window.fetch.
func mainFlow(ctx context.Context, e *env, s *site, lib string) (*mainSample, error) {
	url := s.pageURL(lib, variantMain)
	t, err := openCold(ctx, e, url)
	if err != nil {
		return nil, err
	}
	defer t.close()
	sm := &mainSample{}
	r, err := t.wait("load", time.Minute)
	if err != nil {
		return nil, err
	}
	if err := sm.signInAndReload(t, e, lib, r, nil); err != nil {
		return nil, err
	}
	// DevTools' network events cost every request a little; the rest of the
	// flow does not need them.
	if err := t.networkEvents(false); err != nil {
		return nil, err
	}
	if sm.TokenRead, err = eval[callStats](t, 2*time.Minute, fmt.Sprintf("bench.tokenReads(%d)", tokenCalls)); err != nil {
		return nil, err
	}
	type fetches struct{ Plain, Header, Token callStats }
	fo, err := eval[fetches](t, 2*time.Minute, fmt.Sprintf("bench.fetchOverhead(%d)", fetchCalls))
	if err != nil {
		return nil, err
	}
	sm.FetchPlain, sm.FetchHeader, sm.FetchToken = fo.Plain, fo.Header, fo.Token
	type internals struct{ MatchRoute, IsAuthenticated callStats }
	in, err := eval[*internals](t, 2*time.Minute, fmt.Sprintf("bench.internals(%d)", tokenCalls))
	if err != nil {
		return nil, err
	}
	if in != nil {
		sm.MatchRoute, sm.IsAuthenticated = in.MatchRoute, in.IsAuthenticated
	}
	if sm.FetchParts, err = eval[*fetchParts](t, 2*time.Minute, fmt.Sprintf("bench.fetchParts(%d)", fetchCalls)); err != nil {
		return nil, err
	}
	return sm, nil
}

// signInAndReload takes the loads of one run after the first load (cold,
// its report first): sign in with the HTTP cache still disabled (the
// callback, cold), reload three times with the cache on, sign in again
// (the callback, warm). check is called on every report of a reload or
// callback (nil: none); the session must be signed in on each.
func (sm *loadSample) signInAndReload(t *tab, e *env, lib string, first report, check func(report) error) error {
	sm.ReadyCold, sm.LoadCold = first.ReadyMs, first
	sm.WarmFromCache, sm.ColdFromNetwork = true, true
	login := func() (report, error) {
		r, err := t.login(lib)
		if err == nil && check != nil {
			err = check(r)
		}
		return r, err
	}
	var err error
	if sm.CallbackCold, err = login(); err != nil {
		return err
	}
	if _, any := sm.CallbackCold.fromCache(); any {
		sm.ColdFromNetwork = false
	}
	warm, err := t.warmReloads(e.opts.dwell)
	if err != nil {
		return err
	}
	for _, r := range warm {
		if !r.Authenticated {
			return fmt.Errorf("%s: the session was not restored after a reload%s", lib, t.consoleTail())
		}
		if check != nil {
			if err := check(r); err != nil {
				return err
			}
		}
		sm.Restore = append(sm.Restore, r.DoneMs)
		sm.ReadyWarm = append(sm.ReadyWarm, r.ReadyMs)
		sm.LoadWarm = append(sm.LoadWarm, r)
		if all, _ := r.fromCache(); !all {
			sm.WarmFromCache = false
		}
	}
	if sm.CallbackWarm, err = login(); err != nil {
		return err
	}
	if all, _ := sm.CallbackWarm.fromCache(); !all {
		sm.WarmFromCache = false
	}
	return nil
}

// login starts the code flow on the page (the provider signs alice in at
// once and redirects back) and returns the callback page's report, which
// must say signed in.
func (t *tab) login(lib string) (report, error) {
	if _, err := eval[bool](t, 10*time.Second, "bench.login()"); err != nil {
		return report{}, err
	}
	r, err := t.wait("callback", time.Minute)
	if err == nil && !r.Authenticated {
		err = fmt.Errorf("%s: the callback did not sign in%s", lib, t.consoleTail())
	}
	return r, err
}

// workerFlow is the main flow's loads with custody "worker" on the
// bridge's page, in a fresh browser:
//  1. with the HTTP cache disabled, open the page: Go configures, oidc.js
//     registers oidc-sw.js, and checkAuth() reports the config
//     worker_unavailable (the page is not controlled yet); then wait until
//     the worker controls the page and checkAuth() answers from it, signed
//     out;
//  2. sign in through the worker (it makes the request and, on the
//     callback, validates and exchanges), reload three times, sign in
//     again, as mainFlow does; every one of these pages must be controlled
//     and its checkAuth() answered by the worker, signed in.
//
// The page has no token to read (getAccessToken rejects with
// token_in_worker), so the token and fetch measurements are not taken.
func workerFlow(ctx context.Context, e *env, s *site) (*workerSample, error) {
	t, err := openCold(ctx, e, s.pageURL(libBridge, variantWorker))
	if err != nil {
		return nil, err
	}
	defer t.close()
	first, err := t.wait("load", time.Minute)
	if err != nil {
		return nil, err
	}
	if first.Controlled || first.Authenticated || len(first.AuthErrors) == 0 {
		return nil, fmt.Errorf("worker custody: the first load was controlled (%v), signed in (%v) or told no worker_unavailable (%q)%s",
			first.Controlled, first.Authenticated, first.AuthErrors, t.consoleTail())
	}
	sm := &workerSample{}
	if sm.Controlled, err = t.wait("controlled", time.Minute); err != nil {
		return nil, err
	}
	if c := sm.Controlled; !c.Controlled || c.Authenticated || len(c.AuthErrors) > 0 {
		return nil, fmt.Errorf("worker custody: once the worker took control, checkAuth() said signed in %v, controlled %v, errors %q; want signed out by the worker, no error%s",
			c.Authenticated, c.Controlled, c.AuthErrors, t.consoleTail())
	}
	byWorker := func(r report) error {
		if !r.Controlled || len(r.AuthErrors) > 0 {
			return fmt.Errorf("worker custody: a %s page was not answered by the worker (controlled %v, errors %q)%s", r.Kind, r.Controlled, r.AuthErrors, t.consoleTail())
		}
		return nil
	}
	if err := sm.signInAndReload(t, e, libBridge, first, byWorker); err != nil {
		return nil, err
	}
	return sm, nil
}

// warmReloads turns the HTTP cache on and reloads the page three times,
// staying dwell on each page first; the first reload fills the cache, and
// the reports of the other two (warm loads) are returned.
func (t *tab) warmReloads(dwell time.Duration) ([]report, error) {
	if err := t.setCacheDisabled(false); err != nil {
		return nil, err
	}
	var out []report
	for i := range 3 {
		time.Sleep(dwell)
		if err := t.reload(); err != nil {
			return nil, err
		}
		r, err := t.wait("load", time.Minute)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out = append(out, r)
		}
	}
	return out, nil
}

// dpopFlow signs in on the bridge's DPoP variant and takes oidc.fetch apart
// there: each oidc.fetch to a secure route asks Go for a new proof, which
// WebCrypto signs with the non-extractable key.
func dpopFlow(ctx context.Context, e *env, s *site) (*fetchParts, error) {
	t, err := openBrowser(ctx, e.opts.chromium)
	if err != nil {
		return nil, err
	}
	defer t.close()
	if err := t.navigate(s.pageURL(libBridge, variantDPoP)); err != nil {
		return nil, err
	}
	if _, err := t.wait("load", time.Minute); err != nil {
		return nil, err
	}
	if _, err := eval[bool](t, 10*time.Second, "bench.login()"); err != nil {
		return nil, err
	}
	r, err := t.wait("callback", time.Minute)
	if err == nil && !r.Authenticated {
		err = fmt.Errorf("DPoP: the callback did not sign in%s", t.consoleTail())
	}
	if err != nil {
		return nil, err
	}
	if ok, err := eval[bool](t, 10*time.Second, `oidc.fetch(location.origin + "/api/ping").then((r) => r.json()).then((b) => b.dpop)`); err != nil || !ok {
		return nil, fmt.Errorf("DPoP: oidc.fetch sent no DPoP token and proof (%v)%s", err, t.consoleTail())
	}
	return eval[*fetchParts](t, 2*time.Minute, fmt.Sprintf("bench.fetchParts(%d)", fetchCalls))
}

// prime loads a page once in a browser of its own.
func prime(ctx context.Context, e *env, s *site, lib string) error {
	t, err := openBrowser(ctx, e.opts.chromium)
	if err != nil {
		return err
	}
	defer t.close()
	if err := t.navigate(s.pageURL(lib, variantMain)); err != nil {
		return err
	}
	_, err = t.wait("load", time.Minute)
	return err
}

// burstResult is what bench.burst returns in one tab.
type burstResult struct {
	Fulfilled int            `json:"fulfilled"`
	Rejected  int            `json:"rejected"`
	Codes     map[string]int `json:"codes"`
	Distinct  int            `json:"distinct"`
	Ms        float64        `json:"ms"`
}

// expirySample is one run of the at-expiry flow.
type expirySample struct {
	Tabs            int            `json:"tabs"`
	RefreshRequests int            `json:"refresh_requests"` // devop Counts()["token:refresh_token"]
	TokenRequests   int            `json:"token_requests"`   // Counts()["token"], every grant
	Fulfilled       int            `json:"fulfilled"`
	Rejected        int            `json:"rejected"`
	Codes           map[string]int `json:"codes,omitempty"`
	DistinctTokens  int            `json:"distinct_tokens"` // summed over tabs
	BurstMs         float64        `json:"burst_ms"`        // slowest tab, first call to last settled
}

const burstCallers = 100

// loginTabs signs in in a fresh browser and opens tabs-1 more tabs
// on the same page (they restore the session from localStorage). It returns
// the tabs and when the login completed.
func loginTabs(ctx context.Context, e *env, s *site, lib, variant string, tabs int) ([]*tab, time.Time, error) {
	url := s.pageURL(lib, variant)
	t, err := openBrowser(ctx, e.opts.chromium)
	if err != nil {
		return nil, time.Time{}, err
	}
	all := []*tab{t}
	fail := func(err error) ([]*tab, time.Time, error) {
		closeTabs(all)
		return nil, time.Time{}, err
	}
	if err := t.navigate(url); err != nil {
		return fail(err)
	}
	if _, err := t.wait("load", time.Minute); err != nil {
		return fail(err)
	}
	if _, err := eval[bool](t, 10*time.Second, "bench.login()"); err != nil {
		return fail(err)
	}
	r, err := t.wait("callback", time.Minute)
	if err == nil && !r.Authenticated {
		err = fmt.Errorf("%s: the callback did not sign in", lib)
	}
	if err != nil {
		return fail(err)
	}
	done := time.Now()
	for range tabs - 1 {
		t2, err := t.sibling()
		if err != nil {
			return fail(err)
		}
		all = append(all, t2)
		if err := t2.navigate(url); err != nil {
			return fail(err)
		}
		if _, err := t2.wait("load", time.Minute); err != nil {
			return fail(err)
		}
	}
	return all, done, nil
}

func closeTabs(tabs []*tab) {
	for i := len(tabs) - 1; i >= 0; i-- {
		tabs[i].close()
	}
}

// expiryFlow: sign in with short-lived access tokens and automatic renewal
// off, in tabs tabs sharing localStorage; wait until the access token has
// expired; then, at the same moment in every tab, 100 callers ask for an
// access token (bridge: oidc.getAccessToken(); oidc-client-ts: getUser(),
// then signinSilent() when the user has expired). Counts the token requests
// the provider received.
func expiryFlow(ctx context.Context, e *env, s *site, lib string, tabs int) (*expirySample, error) {
	v := s.variants[variantExpiry]
	all, loggedIn, err := loginTabs(ctx, e, s, lib, variantExpiry, tabs)
	if err != nil {
		return nil, err
	}
	defer closeTabs(all)
	time.Sleep(time.Until(loggedIn.Add(v.lifetime + 1500*time.Millisecond)))
	v.op.ResetCounts()
	at := time.Now().Add(500 * time.Millisecond).UnixMilli()
	results := make([]burstResult, len(all))
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	for i, t := range all {
		wg.Go(func() {
			results[i], errs[i] = eval[burstResult](t, time.Minute, fmt.Sprintf("bench.burst(%d, %d)", burstCallers, at))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	time.Sleep(500 * time.Millisecond) // let stragglers arrive
	counts := v.op.Counts()
	sm := &expirySample{Tabs: tabs, RefreshRequests: counts["token:refresh_token"], TokenRequests: counts["token"], Codes: map[string]int{}}
	for _, r := range results {
		sm.Fulfilled += r.Fulfilled
		sm.Rejected += r.Rejected
		sm.DistinctTokens += r.Distinct
		sm.BurstMs = max(sm.BurstMs, r.Ms)
		for k, n := range r.Codes {
			sm.Codes[k] += n
		}
	}
	return sm, nil
}

// autoSample is one run of the automatic-renewal flow.
type autoSample struct {
	Tabs            int     `json:"tabs"`
	WindowSeconds   float64 `json:"window_s"`
	RefreshRequests int     `json:"refresh_requests"`
	RenewFailures   int     `json:"renew_failures"` // silentRenewFailed / silentRenewError events, all tabs
	TabsSignedIn    int     `json:"tabs_signed_in"` // tabs whose session was still usable at the end
	// RefreshAt is when the provider saw each refresh request, in seconds
	// after the login completed (polled every 100 ms).
	RefreshAt []float64 `json:"refresh_at_s"`
}

const autoTabs = 3

// autoFlow: sign in with 8-second access tokens and automatic renewal on
// (bridge: silentRenew with timeoutFactor 0.75; oidc-client-ts:
// automaticSilentRenew, accessTokenExpiringNotificationTimeInSeconds 2) in
// three tabs sharing localStorage, and count the refresh-token requests over
// two token lifetimes: one renewal per lifetime is the least a client can do.
func autoFlow(ctx context.Context, e *env, s *site, lib string) (*autoSample, error) {
	v := s.variants[variantAuto]
	all, loggedIn, err := loginTabs(ctx, e, s, lib, variantAuto, autoTabs)
	if err != nil {
		return nil, err
	}
	defer closeTabs(all)
	v.op.ResetCounts()
	window := 2 * v.lifetime
	sm := &autoSample{Tabs: autoTabs, WindowSeconds: window.Seconds()}
	for seen := 0; time.Now().Before(loggedIn.Add(window)); time.Sleep(100 * time.Millisecond) {
		n := v.op.Counts()["token:refresh_token"]
		for ; seen < n; seen++ {
			sm.RefreshAt = append(sm.RefreshAt, float64(time.Since(loggedIn).Round(100*time.Millisecond))/1e9)
		}
	}
	sm.RefreshRequests = v.op.Counts()["token:refresh_token"]
	type renewals struct {
		Failed int  `json:"failed"`
		Alive  bool `json:"alive"`
	}
	for _, t := range all {
		r, err := eval[renewals](t, 30*time.Second, "bench.renewals()")
		if err != nil {
			return nil, err
		}
		sm.RenewFailures += r.Failed
		if r.Alive {
			sm.TabsSignedIn++
		}
	}
	return sm, nil
}

// browserFlows are the flows of the Chromium part, as -flows names them.
var browserFlows = []string{"main", "worker", "floor", "goapp", "expiry", "auto", "dpop"}

// browserReport is the Chromium part of the report.
type browserReport struct {
	Chromium string                   `json:"chromium"`
	Main     map[string][]*mainSample `json:"main"` // lib -> runs
	// Worker is the bridge's worker-custody flow (custody "worker"), one
	// sample per run, taken in the same runs as Main.
	Worker []*workerSample            `json:"worker,omitempty"`
	Expiry map[string][]*expirySample `json:"expiry"`
	Auto   map[string][]*autoSample   `json:"auto"`
	// DPoP is oidc.fetch taken apart on the DPoP variant (the bridge only):
	// OidcFetch there carries a proof signed by WebCrypto per request.
	DPoP []*fetchParts `json:"dpop,omitempty"`
	// Floor is the start-up floors' flow (floor.go), by floor name.
	Floor      map[string][]*floorSample `json:"floor,omitempty"`
	FloorBytes map[string]int64          `json:"floor_bytes,omitempty"` // raw module sizes
	// Goapp is the go-app start-up flow (goapp.go), by app.
	Goapp      map[string][]*goappSample `json:"goapp,omitempty"`
	GoappBytes map[string]int64          `json:"goapp_bytes,omitempty"` // raw app.wasm sizes
	Errors     []string                  `json:"errors,omitempty"`
	Notes      []string                  `json:"notes,omitempty"`
	PeerNA     string                    `json:"peer_na,omitempty"`
}

// loadFlows are the page-load flows of run i in the order they run: the
// main flow of each library (order, alternated by the caller), and the
// worker-custody flow (variantWorker), which goes last in even runs and
// first in odd ones; each as -flows selects.
func loadFlows(o options, order []string, i int) []string {
	var out []string
	if o.flow("main") {
		out = append(out, order...)
	}
	if o.flow(variantWorker) {
		if i%2 == 1 {
			out = append([]string{variantWorker}, out...)
		} else {
			out = append(out, variantWorker)
		}
	}
	return out
}

// runBrowser runs every flow for both libraries, alternating which goes first.
func runBrowser(ctx context.Context, e *env) (*browserReport, error) {
	br := &browserReport{Main: map[string][]*mainSample{}, Expiry: map[string][]*expirySample{}, Auto: map[string][]*autoSample{},
		Floor: map[string][]*floorSample{}}
	if !fileExists(filepath.Join(e.root, "static/oidc/oidc.wasm")) {
		return br, errors.New("static/oidc/oidc.wasm is missing: run make build")
	}
	var err error
	if e.opts.flow("floor") {
		if br.FloorBytes, err = buildFloors(ctx, e); err != nil {
			return br, err
		}
	}
	run := slices.Clone(libs)
	oct := filepath.Join(e.dev, "node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js")
	if !fileExists(oct) {
		if err := npmInstall(ctx, e); err != nil {
			br.PeerNA = "oidc-client-ts is not installed: " + firstLine(err)
			run = []string{libBridge}
		}
	}
	s, err := startSite(ctx, e)
	if err != nil {
		return br, err
	}
	defer s.close()
	t, err := openBrowser(ctx, e.opts.chromium)
	if err != nil {
		return br, err
	}
	br.Chromium = t.version()
	t.close()
	fmt.Fprintf(os.Stderr, "bench: %s; pages at %s\n", br.Chromium, s.origin)

	order := func(i int) []string {
		o := slices.Clone(run)
		if i%2 == 1 {
			slices.Reverse(o)
		}
		return o
	}
	fail := func(what string, err error) {
		br.Errors = append(br.Errors, what+": "+err.Error())
		fmt.Fprintf(os.Stderr, "bench: %s: %v\n", what, err)
	}
	// Every flow starts a Chromium of its own. Load each page once first,
	// unrecorded: the first start reads Chromium and the files from disk.
	for _, lib := range run {
		if err := prime(ctx, e, s, lib); err != nil {
			fail("first load of "+lib, err)
		}
	}
	for i := range e.opts.runs {
		for _, lib := range loadFlows(e.opts, order(i), i) {
			if ctx.Err() != nil {
				return br, ctx.Err()
			}
			st := time.Now()
			if lib == variantWorker {
				sm, err := workerFlow(ctx, e, s)
				if err != nil {
					fail(fmt.Sprintf("worker-custody flow, run %d", i+1), err)
					continue
				}
				e.logf("worker-custody flow run %d: %v", i+1, time.Since(st).Round(time.Millisecond))
				br.Worker = append(br.Worker, sm)
				continue
			}
			sm, err := mainFlow(ctx, e, s, lib)
			if err != nil {
				fail(fmt.Sprintf("main flow, %s, run %d", lib, i+1), err)
				continue
			}
			e.logf("main flow %s run %d: %v", lib, i+1, time.Since(st).Round(time.Millisecond))
			br.Main[lib] = append(br.Main[lib], sm)
		}
		for _, f := range floors {
			if !e.opts.flow("floor") {
				break
			}
			sm, err := floorFlow(ctx, e, s, f.name)
			if err != nil {
				fail(fmt.Sprintf("floor flow, %s, run %d", f.name, i+1), err)
				continue
			}
			br.Floor[f.name] = append(br.Floor[f.name], sm)
		}
	}
	if e.opts.flow("goapp") {
		runGoapp(ctx, e, br, fail)
	}
	for _, tabs := range []int{1, 3} {
		if !e.opts.flow("expiry") {
			break
		}
		for i := range e.opts.expiryRuns {
			for _, lib := range order(i) {
				if ctx.Err() != nil {
					return br, ctx.Err()
				}
				sm, err := expiryFlow(ctx, e, s, lib, tabs)
				if err != nil {
					fail(fmt.Sprintf("at-expiry flow, %s, %d tabs, run %d", lib, tabs, i+1), err)
					continue
				}
				e.logf("expiry %s tabs %d: %+v", lib, tabs, *sm)
				br.Expiry[lib] = append(br.Expiry[lib], sm)
			}
		}
	}
	for i := range e.opts.autoRuns {
		if !e.opts.flow("auto") {
			break
		}
		for _, lib := range order(i) {
			if ctx.Err() != nil {
				return br, ctx.Err()
			}
			sm, err := autoFlow(ctx, e, s, lib)
			if err != nil {
				fail(fmt.Sprintf("automatic-renewal flow, %s, run %d", lib, i+1), err)
				continue
			}
			e.logf("auto %s: %+v", lib, *sm)
			br.Auto[lib] = append(br.Auto[lib], sm)
		}
	}
	for i := range e.opts.runs {
		if !e.opts.flow("dpop") {
			break
		}
		fp, err := dpopFlow(ctx, e, s)
		if err != nil {
			fail(fmt.Sprintf("DPoP flow, run %d", i+1), err)
			continue
		}
		br.DPoP = append(br.DPoP, fp)
	}
	for lib, runs := range br.Main {
		for i, sm := range runs {
			br.Notes = append(br.Notes, sm.loadSample.notes(fmt.Sprintf("%s run %d", lib, i+1))...)
		}
	}
	for i, sm := range br.Worker {
		br.Notes = append(br.Notes, sm.loadSample.notes(fmt.Sprintf("bridge, worker custody, run %d", i+1))...)
	}
	return br, nil
}

// notes say what makes a run's loads less than they claim to be: a warm
// load that used the network, a cold one that used the cache, a page
// without the fine clock. what names the run.
func (sm *loadSample) notes(what string) []string {
	var out []string
	if !sm.WarmFromCache {
		out = append(out, what+": a warm load fetched a library file from the network")
	}
	if !sm.CallbackWarm.Isolated {
		out = append(out, what+": the page was not cross-origin isolated: per-call timings are batch means")
	}
	if !sm.ColdFromNetwork {
		out = append(out, what+": a cold load took a library file from the cache")
	}
	return out
}
