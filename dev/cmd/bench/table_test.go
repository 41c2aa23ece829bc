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
