package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/chromedp"
)

// runProbe signs in on a library's page (the main variant) and prints what
// the JavaScript expression expr resolves to, as JSON: for questions the
// table raises, such as where the time of one call goes.
//
//	go run ./cmd/bench -probe bridge -js 'bench.internals(500)'
//
// With -profile it records a CPU profile (V8's sampling profiler, 50 µs)
// while expr runs and prints the functions with the most self time; with
// -wasm the page loads another oidc.wasm, such as a build without -s -w
// whose functions have names.
func runProbe(ctx context.Context, e *env, lib, expr string) error {
	s, err := startSite(ctx, e)
	if err != nil {
		return err
	}
	defer s.close()
	t, err := openBrowser(ctx, e.opts.chromium)
	if err != nil {
		return err
	}
	defer t.close()
	if err := t.navigate(s.pageURL(lib, variantMain)); err != nil {
		return err
	}
	if _, err := t.wait("load", time.Minute); err != nil {
		return err
	}
	if _, err := eval[bool](t, 10*time.Second, "bench.login()"); err != nil {
		return err
	}
	if _, err := t.wait("callback", time.Minute); err != nil {
		return err
	}
	if err := t.networkEvents(false); err != nil {
		return err
	}
	if e.opts.profile {
		pctx, cancel := context.WithTimeout(t.ctx, 30*time.Second)
		defer cancel()
		if _, err := chromedp.Call(pctx, profiler.Enable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := chromedp.Call(pctx, profiler.SetSamplingInterval, profiler.SetSamplingIntervalParams{Interval: 50}); err != nil {
			return err
		}
		if _, err := chromedp.Call(pctx, profiler.Start, cdp.Empty{}); err != nil {
			return err
		}
	}
	v, err := eval[json.RawMessage](t, 5*time.Minute, expr)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(os.Stdout, "%s\n", v); err != nil {
		return err
	}
	if e.opts.profile {
		pctx, cancel := context.WithTimeout(t.ctx, time.Minute)
		defer cancel()
		res, err := chromedp.Call(pctx, profiler.Stop, cdp.Empty{})
		if err != nil {
			return err
		}
		printProfile(os.Stdout, res.Profile, 30)
	}
	return nil
}

// printProfile prints the n functions with the most self time.
func printProfile(w io.Writer, p *profiler.Profile, n int) {
	if p == nil {
		return
	}
	byID := map[int64]*profiler.ProfileNode{}
	for _, nd := range p.Nodes {
		byID[nd.ID] = nd
	}
	self := map[string]int64{}
	var total int64
	for i, id := range p.Samples {
		if i >= len(p.TimeDeltas) {
			break
		}
		dt := p.TimeDeltas[i]
		total += dt
		nd := byID[id]
		name := "?"
		if nd != nil && nd.CallFrame != nil {
			name = nd.CallFrame.FunctionName
			if name == "" {
				name = "(anonymous) " + nd.CallFrame.URL
			}
		}
		self[name] += dt
	}
	names := slices.SortedFunc(maps.Keys(self), func(a, b string) int { return cmp.Compare(self[b], self[a]) })
	fmt.Fprintf(w, "self time, %.0f ms sampled:\n", float64(total)/1000)
	for _, name := range names[:min(n, len(names))] {
		fmt.Fprintf(w, "  %5.1f%%  %8.1f ms  %s\n", 100*float64(self[name])/float64(total), float64(self[name])/1000, name)
	}
}
