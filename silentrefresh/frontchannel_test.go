package silentrefresh_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/silentrefresh"
	"github.com/oidcwasm/oidcwasm/spa"
)

// TestPageHandlersServeThePagesWithSafeHeaders: silent-refresh.html and
// frontchannel-logout.html carry a code or a session ID in their URL: never
// cached, never sent on in a Referer; their CSP allows their own script only
// and framing by whom may frame them.
func TestPageHandlersServeThePagesWithSafeHeaders(t *testing.T) {
	for _, tt := range []struct {
		name    string
		handler http.Handler
		page    []byte
		hash    string
		framing string // the frame-ancestors directive, "" none
	}{
		{"silent-refresh.html", silentrefresh.Handler(), silentrefresh.HTML(), silentrefresh.ScriptHash(), "frame-ancestors 'self'"},
		{"frontchannel-logout.html, framed by anyone (the tabs check the framer)", silentrefresh.FrontchannelLogoutHandler(),
			silentrefresh.FrontchannelLogoutHTML(), silentrefresh.FrontchannelLogoutScriptHash(), ""},
		{"frontchannel-logout.html, framed by the providers only", silentrefresh.FrontchannelLogoutHandler("https://id.example.com", "http://localhost:*"),
			silentrefresh.FrontchannelLogoutHTML(), silentrefresh.FrontchannelLogoutScriptHash(), "frame-ancestors https://id.example.com http://localhost:*"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				rec := httptest.NewRecorder()
				tt.handler.ServeHTTP(rec, httptest.NewRequest(method, "/page.html?code=c&state=s&iss=x&sid=y", nil))
				if rec.Code != http.StatusOK {
					t.Fatalf("%s: status %d", method, rec.Code)
				}
				for k, want := range map[string]string{
					"Content-Type":           "text/html; charset=utf-8",
					"Cache-Control":          "no-store",
					"Referrer-Policy":        "no-referrer",
					"X-Content-Type-Options": "nosniff",
					"X-Frame-Options":        "",
				} {
					if got := rec.Header().Get(k); got != want {
						t.Errorf("%s: %s = %q, want %q", method, k, got, want)
					}
				}
				csp := rec.Header().Get("Content-Security-Policy")
				if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src '"+tt.hash+"'") {
					t.Errorf("%s: Content-Security-Policy %q", method, csp)
				}
				if got := regexp.MustCompile(`frame-ancestors[^;]*`).FindString(csp); got != tt.framing {
					t.Errorf("%s: %q in %q, want %q", method, got, csp, tt.framing)
				}
				want := tt.page
				if method == http.MethodHead {
					want = nil
				}
				if !bytes.Equal(rec.Body.Bytes(), want) {
					t.Errorf("%s: body %q", method, rec.Body.Bytes())
				}
			}
			rec := httptest.NewRecorder()
			tt.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/page.html", nil))
			if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
				t.Fatalf("POST: status %d, Allow %q; want 405 with GET, HEAD", rec.Code, rec.Header().Get("Allow"))
			}
		})
	}
}

// TestFrontchannelLogoutHTMLHandsOverTheFactsAndNothingElse: the page posts
// on the channel and stores under the key the tabs read (web: StorePrefix +
// spa.FrontchannelLogoutStoreKey), in the shape spa.Manager.FrontchannelLogout
// reads; it loads nothing, sends nothing, reads no session and posts to no
// window.
func TestFrontchannelLogoutHTMLHandsOverTheFactsAndNothingElse(t *testing.T) {
	page := string(silentrefresh.FrontchannelLogoutHTML())
	for _, want := range []string{
		`"` + silentrefresh.FrontchannelLogoutChannel + `"`,
		`"` + silentrefresh.FrontchannelLogoutStorageKey + `"`,
		"v: 1, query: location.search", "framed: window.parent !== window", "ancestor: a ? (a.length ? a[0] : \"\") : null",
		"referrer: document.referrer", "at: Date.now()", "l.slice(-20)",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q:\n%s", want, page)
		}
	}
	if !strings.HasSuffix(silentrefresh.FrontchannelLogoutStorageKey, ":"+spa.FrontchannelLogoutStoreKey) {
		t.Errorf("the page's key %q is not the Manager's %q under a prefix", silentrefresh.FrontchannelLogoutStorageKey, spa.FrontchannelLogoutStoreKey)
	}
	for _, never := range []string{"src=", "fetch", "XMLHttpRequest", "sendBeacon", "postMessage(m, ", "parent.postMessage", "opener", ".session", "sessionStorage", "cookie", ".wasm"} {
		if strings.Contains(page, never) {
			t.Errorf("the page has %q:\n%s", never, page)
		}
	}
	scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(page, -1)
	if len(scripts) != 1 {
		t.Fatalf("%d inline scripts, want 1", len(scripts))
	}
	sum := sha256.Sum256([]byte(scripts[0][1]))
	if want := "sha256-" + base64.StdEncoding.EncodeToString(sum[:]); silentrefresh.FrontchannelLogoutScriptHash() != want {
		t.Errorf("FrontchannelLogoutScriptHash() = %q, want %q", silentrefresh.FrontchannelLogoutScriptHash(), want)
	}
	onDisk, err := os.ReadFile("frontchannel-logout.html")
	if err != nil || !bytes.Equal(onDisk, silentrefresh.FrontchannelLogoutHTML()) {
		t.Errorf("FrontchannelLogoutHTML() is not frontchannel-logout.html: %v", err)
	}
	b := silentrefresh.FrontchannelLogoutHTML()
	b[0] = 'X'
	if silentrefresh.FrontchannelLogoutHTML()[0] == 'X' {
		t.Error("FrontchannelLogoutHTML() hands out the embedded page itself")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "'"+silentrefresh.FrontchannelLogoutScriptHash()+"'") {
		t.Errorf("README.md does not give script-src '%s'", silentrefresh.FrontchannelLogoutScriptHash())
	}
}
