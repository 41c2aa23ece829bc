package spa

import (
	"net/url"
	"testing"
)

func TestCleanCallbackURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://app.example.com/cb?code=c&state=s&iss=https%3A%2F%2Fop", "https://app.example.com/cb"},
		{"https://app.example.com/cb?keep=1&code=c&state=s&session_state=x", "https://app.example.com/cb?keep=1"},
		{"https://app.example.com/cb?error=access_denied&error_description=no&state=s", "https://app.example.com/cb"},
		{"https://app.example.com/cb#code=c&state=s", "https://app.example.com/cb"},
		{"https://app.example.com/page#section", "https://app.example.com/page#section"},
	}
	for _, tt := range tests {
		if got := CleanCallbackURL(tt.in); got != tt.want {
			t.Errorf("CleanCallbackURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsCallbackURL(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://app/cb?code=c&state=s":               true,
		"https://app/cb?error=login_required&state=s": true,
		"https://app/cb#code=c&state=s":               true,
		"https://app/cb?code=c":                       false,
		"https://app/cb?state=s":                      false,
		"https://app/cb":                              false,
		"::":                                          false,
	} {
		if got := IsCallbackURL(raw); got != want {
			t.Errorf("IsCallbackURL(%q) = %v", raw, got)
		}
	}
}

// CallbackState reads the state where ValidateCallback reads it, and only
// when there is exactly one: the iframe renewal matches its answer by it.
func TestCallbackState(t *testing.T) {
	type want struct {
		state string
		ok    bool
	}
	for raw, w := range map[string]want{
		"https://app/cb?code=c&state=s1":               {"s1", true},
		"https://app/cb?error=login_required&state=s2": {"s2", true},
		"https://app/cb#code=c&state=s3":               {"s3", true},
		"https://app/cb?state=q&x=1#code=c&state=s4":   {"s4", true}, // the query is no response: the fragment is
		"https://app/cb?code=c&state=s5&state=s6":      {"", false},
		"https://app/cb?code=c&state=":                 {"", true},
		"https://app/cb?code=c":                        {"", false},
		"https://app/cb":                               {"", false},
		"::":                                           {"", false},
	} {
		if st, ok := CallbackState(raw); st != w.state || ok != w.ok {
			t.Errorf("CallbackState(%q) = %q, %v; want %q, %v", raw, st, ok, w.state, w.ok)
		}
	}
}

func FuzzCallbackParse(f *testing.F) {
	for _, s := range []string{
		"https://app/cb?code=c&state=s", "https://app/cb#code=c&state=s&iss=x", "https://app/cb?state=s&state=t&code=c",
		"https://app/cb?error=x&state=s", "%zz", "https://app/cb?code=%ff&state=%00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, ok := responseParams(raw)
		if ok && (!q.Has("state") || !(q.Has("code") || q.Has("error"))) {
			t.Fatalf("responseParams accepted %q without state and code/error", raw)
		}
		clean := CleanCallbackURL(raw)
		if ok && clean != raw {
			if u, err := url.Parse(clean); err == nil && (u.Query().Has("code") || u.Query().Has("state")) {
				t.Fatalf("CleanCallbackURL(%q) = %q still carries code or state", raw, clean)
			}
		}
	})
}
