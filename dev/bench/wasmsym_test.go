package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

func TestPackagesOf(t *testing.T) {
	p := NewPackages([]string{"net/http", "net", "runtime", "github.com/go-jose/go-jose/v4",
		"github.com/go-jose/go-jose/v4/json", "encoding/json", "slices", "net/url"})
	for goName, want := range map[string]string{
		"net/http.(*Client).do":                                    "net/http",
		"net.(*Resolver).lookupIP":                                 "net",
		"runtime.gcStart":                                          "runtime",
		"github.com/go-jose/go-jose/v4.ParseSigned":                "github.com/go-jose/go-jose/v4",
		"github.com/go-jose/go-jose/v4/json.(*decodeState).object": "github.com/go-jose/go-jose/v4/json",
		"encoding/json.Marshal[go.shape.int]":                      "encoding/json",
		"slices.SortFunc[go.shape.[]net/url.Values]":               "slices",
		"type:.eq.[2]string":                                       "(linker)",
		"_rt0_wasm_js":                                             "(linker)",
	} {
		if got := p.Of(WasmName(goName)); got != want {
			t.Errorf("Of(%q) = %q; want %q", WasmName(goName), got, want)
		}
	}
	if got := p.Of(""); got != "(unnamed)" {
		t.Errorf(`Of("") = %q`, got)
	}
}

func TestWasmName(t *testing.T) {
	if got, want := WasmName("net/http.(*Transport).RoundTrip"), "net_http.__Transport_.RoundTrip"; got != want {
		t.Errorf("WasmName = %q; want %q", got, want)
	}
}

// TestReadWasmFindsGoSymbols builds a small Go program for GOOS=js without -s
// and checks that its functions come out with names and sizes.
func TestReadWasmFindsGoSymbols(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a wasm binary")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	os.WriteFile(src, []byte(`package main

import "strconv"

func main() { println(quote("x")) }

//go:noinline
func quote(s string) string { return strconv.Quote(s) }
`), 0o644)
	out := filepath.Join(dir, "p.wasm")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-trimpath", "-o", out, src)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadWasm(b)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Has("main.main") || !m.Has("main.quote") || !m.Has("runtime.gcStart") {
		t.Fatalf("main.main, main.quote or runtime.gcStart missing among %d functions", len(m.Functions))
	}
	if m.Names == 0 || m.Code == 0 || m.Data == 0 || m.Code+m.Data+m.Names+m.Other != m.Size {
		t.Fatalf("sections do not add up: %+v", *m)
	}
	sum := 0
	for _, f := range m.Functions {
		if f.Name == "" {
			t.Errorf("an unnamed function of %d bytes", f.Size)
		}
		sum += f.Size
	}
	if sum > m.Code || sum < m.Code*9/10 {
		t.Errorf("function bodies sum to %d of a %d-byte code section", sum, m.Code)
	}
	if top := m.Largest(1); len(top) != 1 || top[0].Size == 0 {
		t.Errorf("Largest(1) = %v", top)
	}
}
