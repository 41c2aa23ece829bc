package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web"
)

// origin is the page's origin, where wasmbrowser serves /echo, /slow,
// /status/{code} and /unused-port.
func origin(t *testing.T) string {
	t.Helper()
	needBrowser(t)
	return js.Global().Get("location").Get("origin").String()
}

// echoed is what wasmbrowser's /echo answers.
type echoed struct {
	Method  string
	Path    string
	Query   string
	Headers http.Header
	Body    string
}

func fetchEcho(t *testing.T, req *spa.Request) (*spa.Response, echoed) {
	t.Helper()
	resp, err := web.Fetcher{}.Fetch(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var e echoed
	if err := json.Unmarshal(resp.Body, &e); err != nil {
		t.Fatalf("echo body %q: %v", resp.Body, err)
	}
	return resp, e
}

func TestFetchGetSendsHeadersAndReadsResponse(t *testing.T) {
	resp, e := fetchEcho(t, &spa.Request{
		URL:    origin(t) + "/echo?a=1",
		Header: http.Header{"Accept": {"application/json"}, "X-Multi": {"one", "two"}},
	})
	if e.Method != "GET" || e.Path != "/echo" || e.Query != "a=1" || e.Body != "" {
		t.Errorf("server saw %s %s?%s body %q", e.Method, e.Path, e.Query, e.Body)
	}
	if got := e.Headers.Get("Accept"); got != "application/json" {
		t.Errorf("Accept = %q", got)
	}
	if got := e.Headers.Get("X-Multi"); got != "one, two" {
		t.Errorf("X-Multi = %q, want both values", got)
	}
	if resp.Status != 200 {
		t.Errorf("status %d", resp.Status)
	}
	if got := resp.Header.Get("X-Wasmbrowser"); got != "echo" {
		t.Errorf("response header X-Wasmbrowser = %q (headers %v)", got, resp.Header)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("response Content-Type = %q", got)
	}
}

func TestFetchPostSendsBodyAndAuthorization(t *testing.T) {
	body := "grant_type=authorization_code&code=abc%20def&redirect_uri=x"
	_, e := fetchEcho(t, &spa.Request{
		Method: "POST",
		URL:    origin(t) + "/echo",
		Header: http.Header{
			"Content-Type":  {"application/x-www-form-urlencoded"},
			"Authorization": {"Bearer not-a-real-token"},
		},
		Body: []byte(body),
	})
	if e.Method != "POST" || e.Body != body {
		t.Errorf("server saw %s with body %q, want POST with %q", e.Method, e.Body, body)
	}
	if got := e.Headers.Get("Authorization"); got != "Bearer not-a-real-token" {
		t.Errorf("Authorization = %q", got)
	}
	if got := e.Headers.Get("Content-Type"); got != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q", got)
	}
}

func TestFetchCrossOriginWithPreflight(t *testing.T) {
	// 127.0.0.1 is another origin than localhost: Authorization needs a CORS preflight.
	other := strings.Replace(origin(t), "localhost", "127.0.0.1", 1)
	_, e := fetchEcho(t, &spa.Request{
		Method: "POST",
		URL:    other + "/echo",
		Header: http.Header{"Authorization": {"Bearer x"}, "Content-Type": {"application/json"}},
		Body:   []byte(`{}`),
	})
	if e.Headers.Get("Authorization") != "Bearer x" || e.Headers.Get("Origin") != origin(t) {
		t.Errorf("cross-origin request arrived with headers %v", e.Headers)
	}
}

func TestFetchOmitsCookies(t *testing.T) {
	doc := js.Global().Get("document")
	doc.Set("cookie", "oidcwasm_test=1; path=/")
	defer doc.Set("cookie", "oidcwasm_test=; path=/; max-age=0")
	_, e := fetchEcho(t, &spa.Request{URL: origin(t) + "/echo"})
	if c := e.Headers.Get("Cookie"); c != "" {
		t.Errorf("same-origin request sent Cookie %q; tokens go by header, never cookies", c)
	}
}

func TestFetchHTTPErrorStatusIsAResponse(t *testing.T) {
	for _, code := range []int{400, 401, 500, 503} {
		resp, err := web.Fetcher{}.Fetch(context.Background(), &spa.Request{URL: origin(t) + "/status/" + strconv.Itoa(code)})
		if err != nil {
			t.Fatalf("status %d: %v", code, err)
		}
		if resp.Status != code || string(resp.Body) != "status "+strconv.Itoa(code)+"\n" {
			t.Errorf("got %d %q, want %d", resp.Status, resp.Body, code)
		}
	}
}

func TestFetchAbortsWhenContextEnds(t *testing.T) {
	tests := []struct {
		name     string
		path     string // /slow?body=1 sends headers first: the abort hits the body read
		ctx      func() (context.Context, context.CancelFunc)
		wantCode string
		wantErr  error
	}{
		{"CancelBeforeHeaders", "/slow?", cancelSoon, spa.CodeNetwork, context.Canceled},
		{"CancelDuringBody", "/slow?body=1", cancelSoon, spa.CodeNetwork, context.Canceled},
		{"DeadlineBeforeHeaders", "/slow?", deadlineSoon, spa.CodeTimeout, context.DeadlineExceeded},
		{"DeadlineDuringBody", "/slow?body=1", deadlineSoon, spa.CodeTimeout, context.DeadlineExceeded},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			id := fmt.Sprintf("abort-%d-%d", time.Now().UnixNano(), i)
			start := time.Now()
			resp, err := web.Fetcher{}.Fetch(ctx, &spa.Request{URL: origin(t) + tt.path + "&id=" + id + "&code=secret-code"})
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("Fetch returned after %v", elapsed)
			}
			if err == nil {
				t.Fatalf("Fetch = %d, want an error", resp.Status)
			}
			if code := spa.ErrorCode(err); code != tt.wantCode {
				t.Errorf("code %q, want %q (%v)", code, tt.wantCode, err)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v is not %v", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "secret-code") {
				t.Errorf("error holds the query: %v", err)
			}
			// The request itself must end, not only the wait for it.
			gone, err := web.Fetcher{}.Fetch(context.Background(), &spa.Request{URL: origin(t) + "/slow/gone?id=" + id})
			if err != nil {
				t.Fatal(err)
			}
			if gone.Status != 200 {
				t.Errorf("the server still serves the aborted request: %d %s", gone.Status, gone.Body)
			}
		})
	}
	t.Run("AlreadyCanceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := web.Fetcher{}.Fetch(ctx, &spa.Request{URL: origin(t) + "/echo"})
		if spa.ErrorCode(err) != spa.CodeNetwork || !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
	})
}

func cancelSoon() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	return ctx, cancel
}

func deadlineSoon() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 200*time.Millisecond)
}

func TestFetchNetworkErrorNamesOriginAndPathOnly(t *testing.T) {
	resp, err := web.Fetcher{}.Fetch(context.Background(), &spa.Request{URL: origin(t) + "/unused-port"})
	if err != nil {
		t.Fatal(err)
	}
	closed := string(resp.Body)
	_, err = web.Fetcher{}.Fetch(context.Background(), &spa.Request{
		Method: "POST",
		URL:    closed + "/token?code=secret-code&state=s",
		Header: http.Header{"Authorization": {"Basic c2VjcmV0LWNsaWVudA=="}},
		Body:   []byte("refresh_token=secret-refresh"),
	})
	if code := spa.ErrorCode(err); code != spa.CodeNetwork {
		t.Fatalf("code %q, want %q (%v)", code, spa.CodeNetwork, err)
	}
	msg := err.Error()
	t.Logf("error: %s", msg)
	if !strings.Contains(msg, "POST "+closed+"/token") {
		t.Errorf("error %q does not name the method, origin and path", msg)
	}
	for _, secret := range []string{"secret-code", "state=", "?", "c2VjcmV0LWNsaWVudA", "secret-refresh"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error %q holds %q", msg, secret)
		}
	}
}

func TestFetchRejectsBodyOverLimit(t *testing.T) {
	big := strings.Repeat("x", web.MaxResponseBody) // echoed inside JSON: over the limit
	_, err := web.Fetcher{}.Fetch(context.Background(), &spa.Request{Method: "POST", URL: origin(t) + "/echo", Body: []byte(big)})
	if code := spa.ErrorCode(err); code != spa.CodeInvalidResponse {
		t.Errorf("code %q, want %q (%v)", code, spa.CodeInvalidResponse, err)
	}
}

// TestFetchNoRedirectsStopsAtTheRedirect: with NoRedirects the redirect comes
// back as Redirect (opaque) and its target is never asked; without it the
// answer is the target's, marked Redirected.
func TestFetchNoRedirectsStopsAtTheRedirect(t *testing.T) {
	u := origin(t) + "/redirect?to=/echo"
	resp, err := web.Fetcher{}.Fetch(context.Background(), &spa.Request{URL: u, NoRedirects: true})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Redirect || resp.Redirected || len(resp.Body) != 0 {
		t.Errorf("NoRedirects: %+v, want an opaque redirect", resp)
	}
	resp, e := fetchEcho(t, &spa.Request{URL: u})
	if resp.Redirect || !resp.Redirected || resp.Status != http.StatusOK || e.Path != "/echo" {
		t.Errorf("following: %+v (path %q), want the echo's answer, Redirected", resp, e.Path)
	}
}
