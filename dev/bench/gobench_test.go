package bench

import (
	"strings"
	"testing"
)

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
goarch: amd64
pkg: github.com/oidcwasm/oidcwasm/spa
BenchmarkRouteMatch10kRoutes50Configs/hit-2         	 5000000	       250.0 ns/op	      48 B/op	       2 allocs/op
BenchmarkAccessTokenFastPath-2   	 3000000	       400 ns/op	     0 B/op	       0 allocs/op
BenchmarkRouteMatch10kRoutes50Configs/hit-2         	 5000000	       260.0 ns/op	      48 B/op	       2 allocs/op
BenchmarkRouteMatch10kRoutes50Configs/hit-2         	 5000000	       240.0 ns/op	      48 B/op	       2 allocs/op
--- BENCH: BenchmarkSomething
PASS
ok  	github.com/oidcwasm/oidcwasm/spa	12.3s
`
	got, err := ParseGoBench(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "BenchmarkRouteMatch10kRoutes50Configs/hit" || got[1].Name != "BenchmarkAccessTokenFastPath" {
		t.Fatalf("got %d benchmarks: %+v", len(got), got)
	}
	if m := got[0].Median("ns/op"); m != 250 {
		t.Errorf("median ns/op = %v; want 250", m)
	}
	if n := len(got[0].Samples["allocs/op"]); n != 3 {
		t.Errorf("%d allocs/op samples; want 3", n)
	}
}
