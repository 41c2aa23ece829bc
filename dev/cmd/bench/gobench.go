package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/oidcwasm/oidcwasm/dev/bench"
)

// goBenchmarks are the spa benchmarks the report shows, with their targets
// (ns/op; 0 = none).
var goBenchmarks = []struct {
	name   string
	target float64
	what   string
}{
	{"BenchmarkRouteMatch10kRoutes50Configs", 1000, "route match, 10,000 routes over 50 configs"},
	{"BenchmarkAccessTokenFastPath", 1000, "Manager.AccessToken, valid token (fast path)"},
	{"BenchmarkValidateCallback", 0, "Manager.ValidateCallback, valid response"},
	{"BenchmarkVerifyIDToken", 0, "ID-token verification, keys cached"},
}

// goBenchResult is one benchmark's medians over the runs.
type goBenchResult struct {
	Name     string    `json:"name"`
	What     string    `json:"what"`
	NsOp     float64   `json:"ns_op"` // median
	NsOpRuns []float64 `json:"ns_op_runs"`
	BOp      float64   `json:"b_op"`
	AllocsOp float64   `json:"allocs_op"`
	TargetNs float64   `json:"target_ns,omitempty"`
}

type goBenchReport struct {
	Command string          `json:"command"`
	Results []goBenchResult `json:"results"`
	Output  string          `json:"output"`
}

// runGoBenchmarks runs the spa benchmarks with -count and summarises them as
// medians.
func runGoBenchmarks(ctx context.Context, e *env) (*goBenchReport, error) {
	var names []string
	for _, b := range goBenchmarks {
		names = append(names, b.name)
	}
	args := []string{"test", "-run", "^$", "-bench", "^(" + strings.Join(names, "|") + ")$", "-benchmem",
		"-count", strconv.Itoa(e.opts.goCount), "-benchtime", e.opts.benchtime, "./spa/"}
	rep := &goBenchReport{Command: "go " + strings.Join(args, " ") + "   (in the repository root)"}
	cmd := exec.CommandContext(ctx, goCmd(), args...)
	cmd.Dir = e.root
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	rep.Output = out.String()
	if err != nil {
		return rep, fmt.Errorf("go test -bench: %w\n%s", err, out.String())
	}
	parsed, err := bench.ParseGoBench(bytes.NewReader(out.Bytes()))
	if err != nil {
		return rep, err
	}
	for _, p := range parsed {
		r := goBenchResult{Name: strings.TrimPrefix(p.Name, "Benchmark"), NsOp: p.Median("ns/op"),
			NsOpRuns: p.Samples["ns/op"], BOp: p.Median("B/op"), AllocsOp: p.Median("allocs/op")}
		for _, b := range goBenchmarks {
			if p.Name == b.name || strings.HasPrefix(p.Name, b.name+"/") {
				r.TargetNs, r.What = b.target, b.what
			}
		}
		rep.Results = append(rep.Results, r)
	}
	return rep, nil
}
