package main

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/oidcwasm/oidcwasm/dev/bench"
)

// sizeAnalysis says where the bytes of a wasm build go: sections, Go packages
// and the largest functions (from the name section; `go tool nm` cannot read
// wasm), and for the heaviest packages which import chain links them.
type sizeAnalysis struct {
	Build     string              `json:"build"`
	Sections  map[string]int      `json:"sections"`
	Groups    []bench.PackageSize `json:"groups"`   // code by module or std area
	Packages  []bench.PackageSize `json:"packages"` // the largest, by code
	Functions []bench.Symbol      `json:"functions"`
	Why       map[string]string   `json:"why,omitempty"` // package -> import chain from main
}

// analyse reads mod, the non-stripped build of pkg (in module dir).
func analyse(ctx context.Context, e *env, dir, pkg, label string, mod *bench.Module) *sizeAnalysis {
	a := &sizeAnalysis{Build: label, Sections: map[string]int{
		"code": mod.Code, "data": mod.Data, "name": mod.Names, "other": mod.Other, "total": mod.Size}}
	deps, err := wasmDeps(ctx, dir, pkg)
	if err != nil {
		e.logf("size analysis: %v", err)
		return a
	}
	paths := make([]string, len(deps))
	group := map[string]string{}
	for i, p := range deps {
		paths[i] = p.ImportPath
		group[p.ImportPath] = groupOf(p)
	}
	pk := bench.NewPackages(paths)
	all := mod.ByPackage(pk)
	a.Packages = all[:min(25, len(all))]
	sums := map[string]*bench.PackageSize{}
	for _, p := range all {
		g := group[p.Package]
		if g == "" {
			g = p.Package // (linker), (unnamed)
		}
		s := sums[g]
		if s == nil {
			s = &bench.PackageSize{Package: g}
			sums[g] = s
		}
		s.Code += p.Code
		s.Functions += p.Functions
	}
	for _, s := range sums {
		a.Groups = append(a.Groups, *s)
	}
	slices.SortFunc(a.Groups, func(x, y bench.PackageSize) int { return cmp.Compare(y.Code, x.Code) })
	for _, f := range mod.Largest(15) {
		a.Functions = append(a.Functions, f)
	}
	// Import chains of the heavy packages that are not the runtime's.
	a.Why = map[string]string{}
	imports := map[string][]string{}
	var main string
	for _, p := range deps {
		imports[p.ImportPath] = p.Imports
	}
	main = deps[len(deps)-1].ImportPath // go list -deps lists the package itself last
	for _, p := range all[:min(40, len(all))] {
		if g := group[p.Package]; g == "runtime" || g == "" || p.Package == main {
			continue
		}
		if chain := importChain(imports, main, p.Package); chain != "" {
			a.Why[p.Package] = chain
		}
	}
	return a
}

// groupOf puts a package into a group for the summary: its module when it is
// not in the standard library; otherwise an area (runtime, crypto, encoding,
// ...).
func groupOf(p listPackage) string {
	if !p.Standard {
		if p.Module != nil {
			if strings.HasPrefix(p.Module.Path, "github.com/oidcwasm/oidcwasm") {
				return "oidcwasm (" + strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, p.Module.Path), "/") + ")"
			}
			return p.Module.Path
		}
		return p.ImportPath
	}
	first, _, _ := strings.Cut(p.ImportPath, "/")
	switch first {
	case "runtime", "internal", "reflect", "sync", "unsafe", "iter", "unique", "weak", "errors", "syscall", "os", "io":
		return "runtime"
	case "crypto", "encoding", "math", "net", "time", "fmt", "mime", "vendor":
		if strings.HasPrefix(p.ImportPath, "math/big") {
			return "math/big"
		}
		return first
	}
	return "std (other)"
}

// importChain is the shortest import path from main to target, as
// "main → a → b → target", or "".
func importChain(imports map[string][]string, main, target string) string {
	prev := map[string]string{main: ""}
	queue := []string{main}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == target {
			var chain []string
			for q := target; q != ""; q = prev[q] {
				chain = append(chain, q)
			}
			slices.Reverse(chain)
			return strings.Join(chain, " → ")
		}
		for _, q := range imports[p] {
			if _, seen := prev[q]; !seen {
				prev[q] = p
				queue = append(queue, q)
			}
		}
	}
	return ""
}

// packageDiff is how much code one package adds in the go-app demo over the
// bare go-app app.
type packageDiff struct {
	Package string `json:"package"`
	Demo    int    `json:"demo"`
	Bare    int    `json:"bare"`
	Added   int    `json:"added"`
}

// goappDiff builds the go-app app pkg and the bare one without -s and
// compares them by package.
func goappDiff(ctx context.Context, e *env, wasmDir, pkg, name string) []packageDiff {
	read := func(pkg, name string) map[string]int {
		out := filepath.Join(wasmDir, name+"-symbols.wasm")
		if err := buildWasm(ctx, e.dev, pkg, out, e.wasmFlags, false); err != nil {
			e.logf("go-app analysis: %v", err)
			return nil
		}
		b, err := os.ReadFile(out)
		if err != nil {
			return nil
		}
		m, err := bench.ReadWasm(b)
		if err != nil {
			return nil
		}
		deps, err := wasmDeps(ctx, e.dev, pkg)
		if err != nil {
			return nil
		}
		var paths []string
		for _, d := range deps {
			paths = append(paths, d.ImportPath)
		}
		sums := map[string]int{}
		for _, p := range m.ByPackage(bench.NewPackages(paths)) {
			name := p.Package
			if name == deps[len(deps)-1].ImportPath {
				name = "main"
			}
			sums[name] = p.Code
		}
		return sums
	}
	demo, bare := read(pkg, name), read(e.opts.goappBare, "goapp-bare")
	if demo == nil || bare == nil {
		return nil
	}
	var out []packageDiff
	for p, n := range demo {
		if d := n - bare[p]; d != 0 {
			out = append(out, packageDiff{Package: p, Demo: n, Bare: bare[p], Added: d})
		}
	}
	for p, n := range bare {
		if _, ok := demo[p]; !ok {
			out = append(out, packageDiff{Package: p, Bare: n, Added: -n})
		}
	}
	slices.SortFunc(out, func(x, y packageDiff) int { return cmp.Compare(y.Added, x.Added) })
	return out
}
