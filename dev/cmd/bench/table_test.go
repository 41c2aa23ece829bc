package main

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/bench"
)

// TestTableSurvivesMissingParts prints reports with parts missing or empty,
// as a run with -skip or a failed flow leaves them.
func TestTableSurvivesMissingParts(t *testing.T) {
	for _, r := range []*benchReport{
		{},
		{Sizes: &sizesReport{GoappDelta: sizeEntry{NA: "web/goapp does not exist yet"}}, Browser: &browserReport{PeerNA: "no npm"}},
	} {
		r.Table = buildTable(r)
		printTable(io.Discard, r)
	}
}

func TestTableStatuses(t *testing.T) {
	br := &bench.Sizes{Raw: 8_000_000, Gzip: 2_000_000, Brotli: 1_460_000}
	r := &benchReport{
		Sizes: &sizesReport{
			Bridge: sizeEntry{Sizes: br},
			OCT:    sizeEntry{Sizes: &bench.Sizes{Raw: 70_000, Gzip: 18_000, Brotli: 16_000}},
			// Over the raw budget by one byte, and far under any brotli figure:
			// the raw bytes are the gate.
			GoappDelta: sizeEntry{Sizes: &bench.Sizes{Raw: goappBudgetRaw + 1, Brotli: 10_000}},
		},
		Browser: &browserReport{
			Main: map[string][]*mainSample{
				libBridge: {{TokenRead: callStats{Median: 40, N: 100}}},
				libOCT:    {{TokenRead: callStats{Median: 5, N: 100}}},
			},
			Expiry: map[string][]*expirySample{
				libBridge: {{Tabs: 3, RefreshRequests: 2, Fulfilled: 200, Rejected: 100, Codes: map[string]int{"invalid_grant": 100}}},
			},
			Auto: map[string][]*autoSample{
				libBridge: {{Tabs: 3, RefreshRequests: 3, RefreshAt: []float64{5.3, 10.6, 15.9}}},
				libOCT:    {{Tabs: 3, RefreshRequests: 6, RefreshAt: []float64{5.0, 5.2, 10.0, 10.2, 15.1, 15.3}}},
			},
		},
	}
	status := map[string]string{}
	for _, rw := range buildTable(r) {
		status[rw.Metric] = rw.Status
	}
	for prefix, want := range map[string]string{
		"bridge oidc.wasm":   "over goal", // under the raw budget, over the brotli goal
		"go-app integration": "OVER BUDGET",
		"valid access token": "ok",
		"token requests, 100 callers at expiry in each of 3": "MISSED",
		"automatic renewal": "ok",
	} {
		found := false
		for m, got := range status {
			if strings.HasPrefix(m, prefix) {
				found = true
				if got != want {
					t.Errorf("%s: status %q; want %q", m, got, want)
				}
			}
		}
		if !found {
			t.Errorf("no row starting %q", prefix)
		}
	}
}

// A bridge over the raw budget is OVER BUDGET whatever its brotli figure.
func TestTableBridgeOverTheRawBudget(t *testing.T) {
	r := &benchReport{Sizes: &sizesReport{Bridge: sizeEntry{Sizes: &bench.Sizes{Raw: bridgeBudgetRaw + 1, Brotli: 1_000}}}}
	for _, rw := range buildTable(r) {
		if strings.HasPrefix(rw.Metric, "bridge oidc.wasm") && rw.Status != "OVER BUDGET" {
			t.Errorf("%s: status %q; want OVER BUDGET", rw.Metric, rw.Status)
		}
	}
}

// A run of one flow (-flows dpop) leaves the other rows without samples:
// the report must still be written as JSON.
func TestTableOfOneFlowIsJSON(t *testing.T) {
	r := &benchReport{Browser: &browserReport{}}
	r.Table = buildTable(r)
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
}

// The worker-custody rows stand under the page-custody row of the same
// moment, with the worker flow's figures (not page custody's) against
// oidc-client-ts's from the same runs.
func TestTableWorkerCustodyRows(t *testing.T) {
	page := &mainSample{loadSample: loadSample{ReadyCold: 270, LoadCold: report{DoneMs: 320}, ReadyWarm: []float64{100},
		Restore: []float64{25}, CallbackCold: report{AuthMs: 90, DoneMs: 310}, CallbackWarm: report{AuthMs: 25, DoneMs: 160}}}
	oct := &mainSample{loadSample: loadSample{ReadyCold: 75, LoadCold: report{DoneMs: 95}, ReadyWarm: []float64{30, 40},
		Restore: []float64{40, 60}, CallbackCold: report{AuthMs: 20, DoneMs: 110}, CallbackWarm: report{AuthMs: 20, DoneMs: 90}}}
	worker := &workerSample{
		loadSample: loadSample{ReadyCold: 300, LoadCold: report{DoneMs: 380}, ReadyWarm: []float64{140, 160},
			Restore: []float64{150, 170}, LoadWarm: []report{{DoneMs: 150}, {DoneMs: 170}}, CallbackCold: report{AuthMs: 150, DoneMs: 550}, CallbackWarm: report{AuthMs: 30, DoneMs: 280}},
		Controlled: report{ControlledMs: 700, DoneMs: 760, WorkerMarks: map[string]float64{"script": 450, "registered": 690, "activate": 695}},
	}
	r := &benchReport{Browser: &browserReport{
		Main:   map[string][]*mainSample{libBridge: {page}, libOCT: {oct}},
		Worker: []*workerSample{worker},
	}}
	rows := buildTable(r)
	at := func(prefix string) int {
		for i, rw := range rows {
			if strings.HasPrefix(rw.Metric, prefix) {
				return i
			}
		}
		t.Fatalf("no row starting %q", prefix)
		return -1
	}
	for _, tt := range []struct {
		under  string // the page-custody row
		below  int    // how many rows under it
		metric string
		this   string
		peer   string
		ratio  string
	}{
		{"library ready: nav start → oidc.ready / bundle run (cold)", 1, "  worker custody: nav start → oidc.ready (cold", "300.0 ms", "75.0 ms", "4.00"},
		{"library ready: nav start → oidc.ready / bundle run (warm)", 1, "  worker custody: oidc.ready on a reload", "150.0 ms (140.0–160.0, n=2)", "35.0 ms (30.0–40.0, n=2)", "4.29"},
		{"checkAuth() vs signinRedirectCallback() on the callback URL (cold page)", 1, "  worker custody: checkAuth() on the callback URL", "150.0 ms", "20.0 ms", "7.50"},
		{"nav start → signed in, after the callback (warm cache)", 1, "  worker custody: nav start → signed in", "280.0 ms", "90.0 ms", "3.11"},
		{"first load: nav start → checkAuth() resolved (signed out, cold)", 1, "  worker custody: first load: nav start → checkAuth() resolved, worker_unavailable", "380.0 ms", "95.0 ms", "4.00"},
		{"first load: nav start → checkAuth() resolved (signed out, cold)", 2, "  worker custody: first load: nav start → page controlled", "700.0 ms", "", ""},
		{"first load: nav start → checkAuth() resolved (signed out, cold)", 3, "  worker custody: first load: nav start → checkAuth() again once controlled", "760.0 ms", "95.0 ms", "8.00"},
		{"reload → session restored (warm cache)", 1, "  worker custody: reload → session usable", "160.0 ms (150.0–170.0, n=2)", "50.0 ms (40.0–60.0, n=2)", "3.20"},
	} {
		rw := rows[at(tt.under)+tt.below]
		if !strings.HasPrefix(rw.Metric, tt.metric) || rw.This != tt.this || rw.Peer != tt.peer || rw.Ratio != tt.ratio {
			t.Errorf("row %d under %q: %q %q %q %q; want %q… %q %q %q", tt.below, tt.under, rw.Metric, rw.This, rw.Peer, rw.Ratio, tt.metric, tt.this, tt.peer, tt.ratio)
		}
	}
	if rw := rows[at("worker custody: checkAuth() resolved")]; rw.This != "380.0 / 160.0 / 550.0 / 280.0" {
		t.Errorf("start-up, worker custody's checkAuth(): %q; want cold / warm / callback cold / callback warm 380.0 / 160.0 / 550.0 / 280.0", rw.This)
	}
	if rw := rows[at("worker custody, first load: worker script run")]; rw.This != "450.0 / 690.0 / 695.0 / 700.0 / 760.0" {
		t.Errorf("start-up, the worker's own start: %q; want 450.0 / 690.0 / 695.0 / 700.0 / 760.0", rw.This)
	}
	// Page custody's own rows keep page custody's figures.
	if rw := rows[at("reload → session restored")]; rw.This != "25.0 ms" || rw.Status != "ok" {
		t.Errorf("page custody's reload row: %q %q; want 25.0 ms, ok", rw.This, rw.Status)
	}
}
