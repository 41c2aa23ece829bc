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
)

func TestHandlerServesSilentRefreshHTMLWithSafeHeaders(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		rec := httptest.NewRecorder()
		silentrefresh.Handler().ServeHTTP(rec, httptest.NewRequest(method, "/silent-refresh.html?code=c&state=s", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", method, rec.Code)
		}
		for k, want := range map[string]string{
			"Content-Type":           "text/html; charset=utf-8",
			"Cache-Control":          "no-store",
			"Referrer-Policy":        "no-referrer",
			"X-Content-Type-Options": "nosniff",
		} {
			if got := rec.Header().Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", method, k, got, want)
			}
		}
		csp := rec.Header().Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src '" + silentrefresh.ScriptHash() + "'", "img-src 'self'", "frame-ancestors 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: Content-Security-Policy %q lacks %q", method, csp, want)
			}
		}
		wantBody := silentrefresh.HTML()
		if method == http.MethodHead {
			wantBody = nil
		}
		if !bytes.Equal(rec.Body.Bytes(), wantBody) {
			t.Errorf("%s: body %q, want %q", method, rec.Body.Bytes(), wantBody)
		}
	}
}

func TestHandlerRefusesOtherMethods(t *testing.T) {
	rec := httptest.NewRecorder()
	silentrefresh.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/silent-refresh.html", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST: status %d, Allow %q; want 405 with GET, HEAD", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestSilentRefreshHTMLPostsItsURLToTheSameOriginParentOnly(t *testing.T) {
	page := string(silentrefresh.HTML())
	if !strings.Contains(page, "window.parent.postMessage(u, o)") || !strings.Contains(page, "var u = location.href, o = location.origin;") {
		t.Errorf("the page does not post location.href with targetOrigin location.origin:\n%s", page)
	}
	if strings.Contains(page, "src=") || strings.Contains(page, ".wasm") || strings.Contains(page, `"*"`) {
		t.Errorf("the page loads something or posts to any origin:\n%s", page)
	}
	scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(page, -1)
	if len(scripts) != 1 {
		t.Fatalf("%d inline scripts, want 1", len(scripts))
	}
	sum := sha256.Sum256([]byte(scripts[0][1]))
	if want := "sha256-" + base64.StdEncoding.EncodeToString(sum[:]); silentrefresh.ScriptHash() != want {
		t.Errorf("ScriptHash() = %q, want %q", silentrefresh.ScriptHash(), want)
	}
	onDisk, err := os.ReadFile("silent-refresh.html")
	if err != nil || !bytes.Equal(onDisk, silentrefresh.HTML()) {
		t.Errorf("HTML() is not silent-refresh.html (make build copies that file to static/): %v", err)
	}
}

func TestHTMLReturnsACopy(t *testing.T) {
	b := silentrefresh.HTML()
	b[0] = 'X'
	if silentrefresh.HTML()[0] == 'X' {
		t.Fatal("HTML() hands out the embedded page itself")
	}
}

// TestREADMEGivesTheScriptHash: sites copy the CSP hash from the README;
// a changed page must change it there too.
func TestREADMEGivesTheScriptHash(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "'"+silentrefresh.ScriptHash()+"'") {
		t.Errorf("README.md does not give script-src '%s'", silentrefresh.ScriptHash())
	}
}
