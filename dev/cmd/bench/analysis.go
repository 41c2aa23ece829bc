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
	// Dominates lists, for the packages that hold the most code only they
	// bring in, what would leave the build if nothing imported them.
	Dominates []dominated `json:"dominates,omitempty"`
	// WhatIf is the code that would leave the build if nothing imported a
	// set of packages: fixes that need library changes, with their size.
	WhatIf []dominated `json:"what_if,omitempty"`
	// BrotliPerCode is brotli bytes of the shipped file per byte of code
	// plus data, to turn code bytes into an estimate of download bytes.
	BrotliPerByte float64 `json:"brotli_per_byte,omitempty"`
}

// dominated is the code that only reaches the build through Package.
type dominated struct {
	Package   string   `json:"package"`
	Code      int      `json:"code"`      // code bytes of the packages listed
	Packages  []string `json:"packages"`  // Package and every package only it brings in
	Importers []string `json:"importers"` // who imports Package
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
	paths := make([]string, len(deps), len(deps)+1)
	group := map[string]string{}
	for i, p := range deps {
		paths[i] = p.ImportPath
		group[p.ImportPath] = groupOf(p)
	}
	// The main package's functions are named main.*, not by import path.
	pk := bench.NewPackages(append(paths, "main"))
	all := mod.ByPackage(pk)
	for i := range all {
		if all[i].Package == "main" {
			all[i].Package = deps[len(deps)-1].ImportPath
		}
	}
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
	code := map[string]int{}
	for _, p := range all {
		code[p.Package] = p.Code
	}
	a.Dominates = dominators(imports, main, code, group)
	for _, set := range whatIfSets {
		if d, ok := without(imports, main, code, set); ok {
			a.WhatIf = append(a.WhatIf, d)
		}
	}
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

// whatIfSets are package sets the bridge could stop importing, each with
// what it would take (docs/DESIGN.md: go-oidc is used only through NewVerifier;
// the verifier's checks are already spa's own, see spa/verify.go).
var whatIfSets = [][]string{
	{"net/http"},
	{"net/http", "github.com/coreos/go-oidc/v3/oidc", "golang.org/x/oauth2", "golang.org/x/oauth2/internal"},
	{"crypto/x509"},
}

// reachable is every package main imports, directly or not, without going
// through the packages of skip.
func reachable(imports map[string][]string, main string, skip map[string]bool) map[string]bool {
	seen := map[string]bool{main: true}
	queue := []string{main}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, q := range imports[p] {
			if !skip[q] && !seen[q] {
				seen[q] = true
				queue = append(queue, q)
			}
		}
	}
	return seen
}

// without is the code of the packages that leave the build when nothing
// imports the packages of set; ok is false when set is not in the build.
func without(imports map[string][]string, main string, code map[string]int, set []string) (dominated, bool) {
	all := reachable(imports, main, nil)
	skip := map[string]bool{}
	for _, p := range set {
		if !all[p] {
			return dominated{}, false
		}
		skip[p] = true
	}
	left := reachable(imports, main, skip)
	d := dominated{Package: strings.Join(set, " + ")}
	for p := range all {
		if !left[p] {
			d.Code += code[p]
			d.Packages = append(d.Packages, p)
		}
	}
	slices.Sort(d.Packages)
	for p := range left {
		for _, q := range imports[p] {
			if skip[q] {
				d.Importers = append(d.Importers, p)
				break
			}
		}
	}
	slices.Sort(d.Importers)
	return d, true
}

// dominators finds, for every package outside oidcwasm and the runtime, the
// packages that only it brings into the build (no import path from main
// avoids it), and returns the ten with the most code.
func dominators(imports map[string][]string, main string, code map[string]int, group map[string]string) []dominated {
	reach := func(skip string) map[string]bool { return reachable(imports, main, map[string]bool{skip: true}) }
	all := reach("")
	importers := map[string][]string{}
	for p := range all {
		for _, q := range imports[p] {
			importers[q] = append(importers[q], p)
		}
	}
	var out []dominated
	for c := range all {
		if c == main || group[c] == "runtime" || strings.HasPrefix(group[c], "oidcwasm") {
			continue
		}
		left := reach(c)
		d := dominated{Package: c, Importers: importers[c]}
		slices.Sort(d.Importers)
		for p := range all {
			if !left[p] {
				d.Code += code[p]
				d.Packages = append(d.Packages, p)
			}
		}
		slices.Sort(d.Packages)
		out = append(out, d)
	}
	slices.SortFunc(out, func(x, y dominated) int {
		return cmp.Or(cmp.Compare(y.Code, x.Code), strings.Compare(x.Package, y.Package))
	})
	// A package whose set is inside a larger one already listed adds nothing new.
	var top []dominated
	for _, d := range out {
		if len(top) == 10 {
			break
		}
		inside := false
		for _, t := range top {
			if slices.Contains(t.Packages, d.Package) && d.Code*10 > t.Code*9 {
				inside = true
			}
		}
		if !inside {
			top = append(top, d)
		}
	}
	return top
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
		// The main package's functions are named main.*; both apps' main
		// packages are compared as "main".
		paths := []string{"main"}
		for _, d := range deps[:len(deps)-1] {
			paths = append(paths, d.ImportPath)
		}
		sums := map[string]int{}
		for _, p := range m.ByPackage(bench.NewPackages(paths)) {
			sums[p.Package] = p.Code
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
