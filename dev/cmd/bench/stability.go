package main

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// The size gate must measure what the code decides, not where its lines are
// or what its names are: a change that only shifts lines or renames must move
// the gated number by less than stabilityShare of the headroom left under the
// budget. The stability section builds patched copies of the tree and checks
// that (README, "Size and speed").
const stabilityShare = 0.001

// shiftFile and the rename are the two changes that carry no decision: every
// line of shiftFile moves down by shiftLines (a block of comment lines at the
// top), and renameFrom, a function of package spa called from several
// places, gets a name of another length.
const (
	shiftFile  = "spa/errors.go"
	shiftLines = 40
	renamePkg  = "spa"
	renameFrom = "verifyIDToken"
	renameTo   = "verifyIDTokenSignatureAndClaims"
)

// stabilityReport is the gated numbers of the tree as it is and of each
// patched copy.
type stabilityReport struct {
	Variants []stabilityVariant `json:"variants"`
	Failures []string           `json:"failures,omitempty"`
	NA       string             `json:"na,omitempty"`
}

type stabilityVariant struct {
	Name string `json:"name"`
	// Raw sizes: the bridge, and the go-app integration (least app - bare).
	BridgeRaw int64 `json:"bridge_raw"`
	GoappRaw  int64 `json:"goapp_raw"`
	// Brotli of the same builds, to show what the old gate measured.
	BridgeBrotli int64 `json:"bridge_brotli"`
	GoappBrotli  int64 `json:"goapp_brotli"`
}

// measureStability copies the library and dev modules, applies each change
// to its own copy, builds the bridge and the least go-app app of each with the
// Makefile's flags, and compares the gated raw numbers with the unchanged
// copy's.
func measureStability(ctx context.Context, e *env) *stabilityReport {
	r := &stabilityReport{}
	tmp, err := os.MkdirTemp("", "oidcwasm-stability-")
	if err != nil {
		r.NA = err.Error()
		return r
	}
	defer os.RemoveAll(tmp)
	variants := []struct {
		name  string
		patch func(root string) error
	}{
		{"as it is", func(string) error { return nil }},
		{fmt.Sprintf("every line of %s shifted by %d", shiftFile, shiftLines), func(root string) error {
			return patchFile(filepath.Join(root, shiftFile), func(b []byte) ([]byte, error) { return shiftDown(b, shiftLines), nil })
		}},
		{fmt.Sprintf("%s.%s renamed %s", renamePkg, renameFrom, renameTo), func(root string) error {
			return renameInPackage(filepath.Join(root, renamePkg), renameFrom, renameTo)
		}},
	}
	bare := filepath.Join(tmp, "bare.wasm")
	if err := buildWasm(ctx, e.dev, e.opts.goappBare, bare, e.wasmFlags, true); err != nil {
		r.NA = "building the bare go-app app: " + firstLine(err)
		return r
	}
	bareBytes, err := os.ReadFile(bare)
	if err != nil {
		r.NA = err.Error()
		return r
	}
	out := make([]stabilityVariant, len(variants))
	errs := make([]error, len(variants))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 1) // builds are CPU-bound: one at a time, brotli alongside
	for i, v := range variants {
		root := filepath.Join(tmp, fmt.Sprint(i))
		if err := copyTree(e.root, root); err != nil {
			r.NA = err.Error()
			return r
		}
		if err := v.patch(root); err != nil {
			r.NA = v.name + ": " + err.Error()
			return r
		}
		wg.Go(func() {
			sem <- struct{}{}
			bridge, app := filepath.Join(root, "bridge.wasm"), filepath.Join(root, "app.wasm")
			err := buildWasm(ctx, root, "./wasm", bridge, e.wasmFlags, true)
			if err == nil {
				err = buildWasm(ctx, filepath.Join(root, "dev"), e.opts.goappApp, app, e.wasmFlags, true)
			}
			<-sem
			if err != nil {
				errs[i] = err
				return
			}
			b, err1 := os.ReadFile(bridge)
			a, err2 := os.ReadFile(app)
			if err1 != nil || err2 != nil {
				errs[i] = fmt.Errorf("reading the builds: %v %v", err1, err2)
				return
			}
			bs, as, bb := e.sizes.Measure(b), e.sizes.Measure(a), e.sizes.Measure(bareBytes)
			out[i] = stabilityVariant{Name: v.name, BridgeRaw: bs.Raw, GoappRaw: as.Raw - bb.Raw,
				BridgeBrotli: bs.Brotli, GoappBrotli: as.Brotli - bb.Brotli}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			r.NA = variants[i].name + ": " + firstLine(err)
			return r
		}
	}
	r.Variants = out
	base := out[0]
	for _, v := range out[1:] {
		for _, g := range []struct {
			what        string
			base, got   int64
			budget      int64
			budgetLabel string
		}{
			{"bridge", base.BridgeRaw, v.BridgeRaw, bridgeBudgetRaw, mb(bridgeBudgetRaw)},
			{"go-app integration", base.GoappRaw, v.GoappRaw, goappBudgetRaw, mb(goappBudgetRaw)},
		} {
			headroom := g.budget - g.base
			if d := abs(g.got - g.base); float64(d) >= stabilityShare*float64(headroom) {
				r.Failures = append(r.Failures, fmt.Sprintf("%s: %s moved the %s by %d raw bytes, %.2f%% of its %d bytes of headroom under %s (allowed: under %.1f%%)",
					"gate stability", v.Name, g.what, g.got-g.base, 100*float64(d)/float64(headroom), headroom, g.budgetLabel, 100*stabilityShare))
			}
		}
	}
	return r
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// shiftDown returns src with n comment lines before its first line: every
// line of the file moves down by n, and nothing else changes.
func shiftDown(src []byte, n int) []byte {
	var b bytes.Buffer
	for range n {
		b.WriteString("//\n")
	}
	b.Write(src)
	return b.Bytes()
}

// renameInPackage renames every identifier named from to to in the Go
// files of the package in dir (tests included, so the copy still builds and
// vets), and fails when to is already used there or from is not.
func renameInPackage(dir, from, to string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return err
	}
	fset := token.NewFileSet()
	type parsed struct {
		path string
		file *ast.File
	}
	var all []parsed
	found := 0
	for _, p := range files {
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		var clash bool
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				switch id.Name {
				case from:
					id.Name = to
					found++
				case to:
					clash = true
				}
			}
			return true
		})
		if clash {
			return fmt.Errorf("%s already uses %s", p, to)
		}
		all = append(all, parsed{p, f})
	}
	if found < 2 {
		return fmt.Errorf("%s is used %d times in %s: pick a function that is called", from, found, dir)
	}
	for _, p := range all {
		var b bytes.Buffer
		if err := format.Node(&b, fset, p.file); err != nil {
			return err
		}
		if err := os.WriteFile(p.path, b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func patchFile(path string, f func([]byte) ([]byte, error)) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if b, err = f(b); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// copyTree copies the Go modules under src (the repository) to dst: every
// file but version control, build outputs and installed packages.
func copyTree(src, dst string) error {
	skip := map[string]bool{".git": true, "build": true, "static": true, "node_modules": true, "artifacts": true}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() && skip[d.Name()] && rel != "." {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() || strings.HasSuffix(p, ".wasm") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
