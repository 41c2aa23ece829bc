package main

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

// TestHTTPClientCheck builds wasm programs without -s -w, as the size check
// does, and checks that it finds net/http's client exactly where it is used.
func TestHTTPClientCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds wasm binaries")
	}
	for _, tt := range []struct {
		pkg  string
		want bool
	}{
		{"./testdata/httpget", true},
		{"./testdata/fetchonly", false},
	} {
		t.Run(filepath.Base(tt.pkg), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "p.wasm")
			if err := buildWasm(context.Background(), ".", tt.pkg, out, defaultWasmFlags, false); err != nil {
				t.Fatal(err)
			}
			found, _, err := httpClientIn(out)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("net/http client symbols: %v", found)
			if got := len(found) > 0; got != tt.want {
				t.Fatalf("net/http client symbols found: %v; want found = %v", found, tt.want)
			}
		})
	}
}

// TestHTTPClientCheckNeedsSymbols refuses a stripped build instead of
// passing it: without the name section nothing could be found.
func TestHTTPClientCheckNeedsSymbols(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a wasm binary")
	}
	out := filepath.Join(t.TempDir(), "p.wasm")
	if err := buildWasm(context.Background(), ".", "./testdata/httpget", out, defaultWasmFlags, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := httpClientIn(out); err == nil {
		t.Fatal("httpClientIn accepted a build without a name section")
	}
}

func TestMakefileWasmFlags(t *testing.T) {
	got, ok := splitShell(`-trimpath -ldflags='-s -w' -gcflags=all=-l`)
	want := []string{"-trimpath", "-ldflags=-s -w", "-gcflags=all=-l"}
	if !ok || !slices.Equal(got, want) {
		t.Fatalf("splitShell = %q, %v; want %q", got, ok, want)
	}
	if got := buildFlags(want, false); !slices.Equal(got, []string{"-trimpath", "-gcflags=all=-l"}) {
		t.Errorf("buildFlags(not stripped) = %q", got)
	}
	if got := buildFlags([]string{"-ldflags", "-s -w", "-trimpath"}, false); !slices.Equal(got, []string{"-trimpath"}) {
		t.Errorf("buildFlags(separate -ldflags value) = %q", got)
	}
	if _, ok := splitShell("$(FLAGS)"); ok {
		t.Error("splitShell accepted a make variable")
	}
	// The repository's Makefile has a WASMFLAGS line this reads.
	if f := makefileWasmFlags("../../.."); !slices.Contains(f, "-trimpath") {
		t.Errorf("makefileWasmFlags(repository) = %q; want it to contain -trimpath", f)
	}
}
