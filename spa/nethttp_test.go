//go:build !js

package spa_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/spa"
)

// TestNetHTTPFetcherNoRedirects: natively too, NoRedirects stops at the
// redirect (the same contract as web.Fetcher's), and a followed one is
// marked Redirected.
func TestNetHTTPFetcherNoRedirects(t *testing.T) {
	var hits []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.URL.Path)
		if r.URL.Path == "/r" {
			http.Redirect(w, r, "/target", http.StatusFound)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	resp, err := spa.NetHTTPFetcher{}.Fetch(context.Background(), &spa.Request{URL: srv.URL + "/r", NoRedirects: true})
	if err != nil || !resp.Redirect || resp.Redirected || strings.Join(hits, ",") != "/r" {
		t.Errorf("NoRedirects: %+v, %v, hits %v; want a Redirect and no request to the target", resp, err, hits)
	}
	hits = nil
	resp, err = spa.NetHTTPFetcher{}.Fetch(context.Background(), &spa.Request{URL: srv.URL + "/r"})
	if err != nil || resp.Redirect || !resp.Redirected || string(resp.Body) != "ok" {
		t.Errorf("following: %+v, %v; want the target's answer, Redirected", resp, err)
	}
}
