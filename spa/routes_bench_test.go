package spa

import (
	"fmt"
	"net/url"
	"testing"
)

// benchRouteTable builds 10,000 routes over 50 configs: per config 19 hosts
// with 10 paths each, plus 10 wildcard routes.
func benchRouteTable(b *testing.B) *RouteTable {
	routes := make(map[string][]string, 50)
	n := 0
	for c := range 50 {
		id := fmt.Sprintf("config%02d", c)
		for h := range 19 {
			for p := range 10 {
				routes[id] = append(routes[id], fmt.Sprintf("https://svc%d-%d.example.com/api/v%d/res%d", c, h, p, c))
			}
		}
		for w := range 10 {
			routes[id] = append(routes[id], fmt.Sprintf("https://*.tenant%d-%d.example.net/api/v%d", c, w, w))
		}
		n += len(routes[id])
	}
	if n != 10000 {
		b.Fatalf("built %d routes", n)
	}
	rt, err := NewRouteTable(routes)
	if err != nil {
		b.Fatal(err)
	}
	return rt
}

func BenchmarkRouteMatch10kRoutes50Configs(b *testing.B) {
	rt := benchRouteTable(b)
	base, _ := url.Parse("https://svc17-3.example.com/app/index.html")
	for _, bc := range []struct {
		name string
		url  string
		base *url.URL
		want string
	}{
		{"hit", "https://svc17-3.example.com/api/v4/res17/items/42?expand=owner", nil, "config17"},
		{"hit-wildcard", "https://t1.tenant5-3.example.net/api/v3/items/42", nil, "config05"},
		{"hit-relative", "../api/v4/res17/items/42", base, "config17"},
		{"miss-host", "https://svc17-3.example.com.evil.net/api/v4/res17/items/42", nil, ""},
		{"miss-path", "https://svc17-3.example.com/api/v4/res18/items/42", nil, ""},
		{"miss-dot-segments", "https://svc17-3.example.com/api/v4/res17/%2e%2e/%2e%2e/admin", nil, ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if got, _ := rt.Match(bc.url, bc.base); got != bc.want {
				b.Fatalf("Match = %q; want %q", got, bc.want)
			}
			b.ReportAllocs()
			for b.Loop() {
				rt.Match(bc.url, bc.base)
			}
		})
	}
	b.Run("hit-MatchURL", func(b *testing.B) {
		u, _ := url.Parse("https://svc17-3.example.com/api/v4/res17/items/42?expand=owner")
		b.ReportAllocs()
		for b.Loop() {
			rt.MatchURL(u)
		}
	})
}

func BenchmarkNewRouteTable10kRoutes50Configs(b *testing.B) {
	for b.Loop() {
		benchRouteTable(b)
	}
}
