package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// goCmd is the go command that runs this program.
func goCmd() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// wasmEnv is the environment of a GOOS=js GOARCH=wasm build.
func wasmEnv() []string {
	return append(os.Environ(), "GOOS=js", "GOARCH=wasm")
}

// defaultWasmFlags are docs/DESIGN.md's build flags, used when the Makefile
// cannot be read.
var defaultWasmFlags = []string{"-trimpath", "-ldflags=-s -w"}

// makefileWasmFlags returns the flags of the Makefile's WASMFLAGS line (the
// flags the bridge ships with), so every wasm build here is built the same
// way, or defaultWasmFlags.
func makefileWasmFlags(root string) []string {
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		return defaultWasmFlags
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, value, ok := strings.Cut(line, ":=")
		if !ok || strings.TrimSpace(name) != "WASMFLAGS" {
			continue
		}
		if f, ok := splitShell(strings.TrimSpace(value)); ok && len(f) > 0 {
			return f
		}
	}
	return defaultWasmFlags
}

// splitShell splits words the way the shell would for a Makefile recipe line
// without variables: spaces separate, single and double quotes group.
func splitShell(s string) ([]string, bool) {
	var out []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		case c == '$' || c == '`' || c == '\\':
			return nil, false // not a plain list of words
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, false
	}
	if in {
		out = append(out, cur.String())
	}
	return out, true
}

// buildFlags are flags with (stripped) or without (not stripped) the
// -ldflags that strip the name section; a build without it keeps the
// function names that the symbol check and the size analysis read.
func buildFlags(flags []string, stripped bool) []string {
	if stripped {
		return flags
	}
	var out []string
	for i := 0; i < len(flags); i++ {
		f := flags[i]
		if f == "-ldflags" {
			i++ // and its value
			continue
		}
		if strings.HasPrefix(f, "-ldflags=") {
			continue
		}
		out = append(out, f)
	}
	return out
}

// buildWasm builds the package pkg (relative to the module in dir) for
// GOOS=js GOARCH=wasm into out with flags (see makefileWasmFlags), without
// the stripping -ldflags unless stripped.
func buildWasm(ctx context.Context, dir, pkg, out string, flags []string, stripped bool) error {
	args := append([]string{"build"}, buildFlags(flags, stripped)...)
	args = append(args, "-o", out, pkg)
	cmd := exec.CommandContext(ctx, goCmd(), args...)
	cmd.Dir = dir
	cmd.Env = wasmEnv()
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("GOOS=js GOARCH=wasm go %s: %w\n%s", strings.Join(args, " "), err, b)
	}
	return nil
}

// listPackage is what `go list -deps -json` says of one package.
type listPackage struct {
	ImportPath string
	Standard   bool
	Imports    []string
	Module     *struct{ Path string }
}

// wasmDeps lists pkg and every package it depends on, for GOOS=js.
func wasmDeps(ctx context.Context, dir, pkg string) ([]listPackage, error) {
	cmd := exec.CommandContext(ctx, goCmd(), "list", "-deps", "-json=ImportPath,Standard,Imports,Module", pkg)
	cmd.Dir = dir
	cmd.Env = wasmEnv()
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -deps %s: %w", pkg, err)
	}
	var pkgs []listPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listPackage
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("go list -deps %s: %w", pkg, err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// hasGoFiles reports whether dir holds a non-test .go file.
func hasGoFiles(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() && filepath.Ext(n) == ".go" && !isTestFile(n) {
			return true
		}
	}
	return false
}

func isTestFile(name string) bool {
	return len(name) > len("_test.go") && name[len(name)-len("_test.go"):] == "_test.go"
}
