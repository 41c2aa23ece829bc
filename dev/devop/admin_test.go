package devop_test

import (
	"net/http"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/devop"
)

// TestAdminHTTP drives every switch through the /admin/ HTTP path, as a
// test in another process would.
func TestAdminHTTP(t *testing.T) {
	srv := start(t, devop.Config{})
	admin := func(method, path string) int {
		t.Helper()
		req, _ := http.NewRequest(method, srv.Issuer()+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	mustAdmin := func(path string) {
		t.Helper()
		if got := admin(http.MethodPost, path); got != http.StatusNoContent {
			t.Fatalf("POST %s: %d, want 204", path, got)
		}
	}

	mustAdmin("/admin/auto-login?user=bob")
	b := newBrowser(t, srv)
	p := newPKCE("a")
	s := b.authorize(authParams(p, "openid"))
	if s.response.Get("code") == "" {
		t.Fatalf("after /admin/auto-login?user=bob: %d, want a code at once", s.status)
	}

	mustAdmin("/admin/fail-token?n=1&mode=500")
	if tr := exchange(t, srv, s.response.Get("code"), p.verifier); tr.status != http.StatusInternalServerError {
		t.Fatalf("after /admin/fail-token: token %d, want 500", tr.status)
	}
	tr := exchange(t, srv, s.response.Get("code"), p.verifier)
	_, claims := verify(t, jwks(t, srv), tr.IDToken)
	if claims["sub"] != "user-bob" {
		t.Errorf("auto-login user: sub %v, want user-bob", claims["sub"])
	}

	mustAdmin("/admin/rotate-key")
	if n := len(jwks(t, srv).Keys); n != 2 {
		t.Errorf("after /admin/rotate-key: %d keys, want 2", n)
	}

	mustAdmin("/admin/end-sessions")
	if r := b.authorize(authParams(newPKCE("b"), "openid", "prompt", "none")).response; r.Get("error") != "login_required" {
		t.Errorf("after /admin/end-sessions: %v, want login_required", r)
	}

	mustAdmin("/admin/delay?endpoint=userinfo&duration=1ms")
	mustAdmin("/admin/delay?endpoint=userinfo&duration=0s")

	var counts map[string]int
	getJSON(t, srv.Issuer()+"/admin/counts", &counts)
	if counts["token"] != 2 || counts["token:authorization_code"] != 2 || counts["authorize"] != 2 {
		t.Errorf("GET /admin/counts = %v", counts)
	}
	mustAdmin("/admin/counts/reset")
	var reset map[string]int
	getJSON(t, srv.Issuer()+"/admin/counts", &reset)
	if len(reset) != 0 {
		t.Errorf("after /admin/counts/reset: %v", reset)
	}

	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, "/admin/fail-token?n=x&mode=500", http.StatusBadRequest},
		{http.MethodPost, "/admin/fail-token?n=1&mode=teapot", http.StatusBadRequest},
		{http.MethodPost, "/admin/delay?endpoint=nope&duration=1s", http.StatusBadRequest},
		{http.MethodPost, "/admin/delay?endpoint=token&duration=soon", http.StatusBadRequest},
		{http.MethodPost, "/admin/auto-login?user=mallory", http.StatusBadRequest},
		{http.MethodGet, "/admin/rotate-key", http.StatusMethodNotAllowed},
		{http.MethodPost, "/admin/unknown", http.StatusNotFound},
	} {
		if got := admin(tc.method, tc.path); got != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, got, tc.want)
		}
	}

	req, _ := http.NewRequest(http.MethodPost, srv.Issuer()+"/admin/rotate-key", nil)
	req.Header.Set("Origin", "http://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin admin request: %d, want 403", resp.StatusCode)
	}
}
