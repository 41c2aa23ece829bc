package bench

import (
	"bufio"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// GoBench is one benchmark's results over the runs of `go test -bench -count N`.
type GoBench struct {
	Name    string               // without the -GOMAXPROCS suffix
	Samples map[string][]float64 // unit (ns/op, B/op, allocs/op, ...) -> one value per run
}

// Median returns the median of the benchmark's values in unit, NaN when absent.
func (g *GoBench) Median(unit string) float64 { return Median(g.Samples[unit]) }

var procsSuffix = regexp.MustCompile(`-\d+$`)

// ParseGoBench reads the output of go test -bench (the Go benchmark format,
// golang.org/design/14313-benchmark-format) and returns the benchmarks in the
// order they first appear.
func ParseGoBench(r io.Reader) ([]*GoBench, error) {
	var out []*GoBench
	byName := map[string]*GoBench{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue
		}
		name := procsSuffix.ReplaceAllString(f[0], "")
		g := byName[name]
		if g == nil {
			g = &GoBench{Name: name, Samples: map[string][]float64{}}
			byName[name] = g
			out = append(out, g)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			g.Samples[f[i+1]] = append(g.Samples[f[i+1]], v)
		}
	}
	return out, sc.Err()
}
