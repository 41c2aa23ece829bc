package devop

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestKeyRingDropsKeysAfterGrace checks the JWKS keeps a rotated-out key for
// the grace period and no longer.
func TestKeyRingDropsKeysAfterGrace(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ring, err := newKeyRing(time.Hour, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	first := ring.current().ID()
	if err := ring.rotate(); err != nil {
		t.Fatal(err)
	}
	second := ring.current().ID()
	if second == first {
		t.Fatal("rotate kept the key")
	}
	ids := func() []string {
		var out []string
		for _, k := range ring.published() {
			out = append(out, k.ID())
		}
		return out
	}
	now = now.Add(59 * time.Minute)
	if got := ids(); len(got) != 2 || got[0] != second || got[1] != first {
		t.Errorf("within grace: JWKS %v, want [%s %s]", got, second, first)
	}
	now = now.Add(2 * time.Minute)
	if got := ids(); len(got) != 1 || got[0] != second {
		t.Errorf("after grace: JWKS %v, want [%s]", got, second)
	}
}

// TestAdminRefusesNonLoopback checks the admin path by peer address and
// Origin header.
func TestAdminRefusesNonLoopback(t *testing.T) {
	reached := false
	h := loopbackOnly(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	for _, tc := range []struct {
		remote, origin string
		want           int
	}{
		{"127.0.0.1:5000", "", http.StatusOK},
		{"[::1]:5000", "", http.StatusOK},
		{"127.8.9.10:5000", "", http.StatusOK},
		{"192.0.2.7:5000", "", http.StatusForbidden},
		{"[2001:db8::1]:5000", "", http.StatusForbidden},
		{"10.0.0.1:5000", "", http.StatusForbidden},
		{"garbage", "", http.StatusForbidden},
		{"127.0.0.1:5000", "http://evil.example", http.StatusForbidden},
	} {
		reached = false
		req := httptest.NewRequest(http.MethodPost, "/admin/rotate-key", nil)
		req.RemoteAddr = tc.remote
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want || reached != (tc.want == http.StatusOK) {
			t.Errorf("RemoteAddr %s Origin %q: status %d reached %v, want %d", tc.remote, tc.origin, rec.Code, reached, tc.want)
		}
	}
}

// TestAddIss checks where the RFC 9207 iss parameter goes.
func TestAddIss(t *testing.T) {
	const iss = "http://localhost:5556"
	for _, tc := range []struct{ in, want string }{
		{"http://localhost:8080/cb?code=c&state=s", "http://localhost:8080/cb?code=c&state=s&iss=http%3A%2F%2Flocalhost%3A5556"},
		{"http://localhost:8080/cb#code=c&state=s", "http://localhost:8080/cb#code=c&state=s&iss=http%3A%2F%2Flocalhost%3A5556"},
		{"http://localhost:8080/cb", "http://localhost:8080/cb?iss=http%3A%2F%2Flocalhost%3A5556"},
		{iss + "/login?authRequestID=x", iss + "/login?authRequestID=x"},
		{"/login?authRequestID=x", "/login?authRequestID=x"},
	} {
		if got, _ := addIss(tc.in, iss); got != tc.want {
			t.Errorf("addIss(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
