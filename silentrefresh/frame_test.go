package silentrefresh_test

import (
	"testing"

	"github.com/oidcwasm/oidcwasm/silentrefresh"
)

func TestAcceptMessage(t *testing.T) {
	const (
		origin = "https://app.example"
		good   = "https://app.example/silent-refresh.html?code=c1&state=s1&iss=https%3A%2F%2Fop.example"
	)
	for _, tc := range []struct {
		name         string
		pageOrigin   string
		msgOrigin    string
		fromOurFrame bool
		data         any
		pending      string
		ok           bool
	}{
		{"the answer of our iframe", origin, origin, true, good, "s1", true},
		{"an error answer", origin, origin, true, "https://app.example/silent-refresh.html?error=login_required&state=s1", "s1", true},
		{"response_mode=fragment", origin, origin, true, "https://app.example/silent-refresh.html#code=c1&state=s1", "s1", true},
		{"a message from another origin", origin, "https://evil.example", true, good, "s1", false},
		{"a message from a look-alike origin", origin, "https://app.example.evil.net", true, good, "s1", false},
		{"a message from another window of our origin", origin, origin, false, good, "s1", false},
		{"another state", origin, origin, true, good, "s2", false},
		{"no pending renewal", origin, origin, true, good, "", false},
		{"a repeated state", origin, origin, true, good + "&state=s1", "s1", false},
		{"no code or error", origin, origin, true, "https://app.example/silent-refresh.html?state=s1", "s1", false},
		{"data that is not a string", origin, origin, true, map[string]any{"url": good}, "s1", false},
		{"nil data", origin, origin, true, nil, "s1", false},
		{"a URL on another origin", origin, origin, true, "https://evil.example/silent-refresh.html?code=c1&state=s1", "s1", false},
		{"a URL on another port", origin, origin, true, "https://app.example:8443/silent-refresh.html?code=c1&state=s1", "s1", false},
		{"a relative URL", origin, origin, true, "/silent-refresh.html?code=c1&state=s1", "s1", false},
		{"a URL with userinfo", origin, origin, true, "https://user@app.example/silent-refresh.html?code=c1&state=s1", "s1", false},
		{"a javascript URL", origin, origin, true, "javascript:alert(1)//?code=c1&state=s1", "s1", false},
		{"an opaque origin", "null", "null", true, good, "s1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := silentrefresh.AcceptMessage(tc.pageOrigin, tc.msgOrigin, tc.fromOurFrame, tc.data, tc.pending)
			if ok != tc.ok {
				t.Fatalf("AcceptMessage = %q, %v; want ok %v", got, ok, tc.ok)
			}
			if ok && got != tc.data {
				t.Fatalf("AcceptMessage = %q, want the posted URL", got)
			}
			if !ok && got != "" {
				t.Fatalf("a rejected message returned %q", got)
			}
		})
	}
}
