package spa_test

import (
	"fmt"
	"net/url"

	"github.com/oidcwasm/oidcwasm/spa"
)

// A route table decides which config's token a request gets: the longest
// matching entry, on whole path segments, after the URL is normalised as the
// browser would send it. Look-alike hosts, dot segments that climb out of
// the route and userinfo get no token.
func ExampleRouteTable_MatchRequest() {
	table, err := spa.NewRouteTableOf(map[string][]spa.Route{
		"orders":  spa.Routes("https://api.example.com/orders/"),
		"billing": {{URL: "https://api.example.com/billing/", Methods: []string{"POST"}}},
	})
	if err != nil {
		panic(err)
	}
	base, _ := url.Parse("https://app.example.com/")
	for _, r := range []struct{ method, url string }{
		{"GET", "https://api.example.com/orders/42"},
		{"GET", "https://API.example.com:443/orders/42"},
		{"GET", "https://api.example.com/orders/../admin"},
		{"GET", "https://api.example.com.evil.example/orders/42"},
		{"GET", "https://me@api.example.com/orders/42"},
		{"POST", "https://api.example.com/billing/invoices"},
		{"GET", "https://api.example.com/billing/invoices"},
		{"GET", "/orders/42"}, // relative: resolved against the page
	} {
		m, ok := table.MatchRequest(r.url, r.method, base)
		if !ok {
			fmt.Printf("%-4s %-50s no token\n", r.method, r.url)
			continue
		}
		fmt.Printf("%-4s %-50s %s\n", r.method, r.url, m.ConfigID)
	}
	// Output:
	// GET  https://api.example.com/orders/42                  orders
	// GET  https://API.example.com:443/orders/42              orders
	// GET  https://api.example.com/orders/../admin            no token
	// GET  https://api.example.com.evil.example/orders/42     no token
	// GET  https://me@api.example.com/orders/42               no token
	// POST https://api.example.com/billing/invoices           billing
	// GET  https://api.example.com/billing/invoices           no token
	// GET  /orders/42                                         no token
}
