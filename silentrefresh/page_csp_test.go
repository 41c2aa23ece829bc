package silentrefresh_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/oidcwasm/oidcwasm/silentrefresh"
)

// TestHandlerAllowsImagesOfItsOwnOrigin: Firefox fetches /favicon.ico for
// the sign-in popup's window; under default-src 'none' alone that is a CSP
// violation on the console of every popup sign-in there.
func TestHandlerAllowsImagesOfItsOwnOrigin(t *testing.T) {
	rec := httptest.NewRecorder()
	silentrefresh.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/silent-refresh.html", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	if got := regexp.MustCompile(`img-src[^;]*`).FindString(csp); got != "img-src 'self'" {
		t.Errorf("Content-Security-Policy %q: img-src is %q, want img-src 'self'", csp, got)
	}
}
