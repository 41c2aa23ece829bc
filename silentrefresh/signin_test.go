package silentrefresh_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/oidcwasm/oidcwasm/internal/fakeop"
	"github.com/oidcwasm/oidcwasm/silentrefresh"
	"github.com/oidcwasm/oidcwasm/spa"
)

// SignIn (the service worker's recovery of a config it lost): with the
// provider's session it signs the config in through the iframe; when the
// iframe brings no answer it times out and drops its request, so a late
// answer is refused; a login_required from a provider on another site
// carries the third-party-cookie hint, as an iframe renewal's does.
func TestSignInWithoutASession(t *testing.T) {
	t.Run("signs in", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := setup(t, iframeConfig(), true)
			e.login()
			if err := e.m.LogoffLocal("app"); err != nil {
				t.Fatal(err)
			}
			if err := silentrefresh.New(e.frame).SignIn(context.Background(), e.m, "app"); err != nil {
				t.Fatalf("SignIn: %v", err)
			}
			if !e.m.IsAuthenticated("app") || e.frame.n.Load() != 1 {
				t.Fatalf("after SignIn: signed in %v, %d iframe loads; want signed in by one", e.m.IsAuthenticated("app"), e.frame.n.Load())
			}
		})
	})
	t.Run("no answer drops the request", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := setup(t, iframeConfig(), true)
			var asked spa.AuthRequest
			e.frame.answer = func(ctx context.Context, req spa.AuthRequest) (string, error) {
				asked = req
				<-ctx.Done()
				return "", ctx.Err()
			}
			err := silentrefresh.New(e.frame).SignIn(context.Background(), e.m, "app")
			if spa.ErrorCode(err) != spa.CodeTimeout || !strings.Contains(err.Error(), "silentRenewTimeoutInSeconds") {
				t.Fatalf("SignIn: %v; want a timeout naming silentRenewTimeoutInSeconds", err)
			}
			au, perr := url.Parse(asked.URL)
			if perr != nil || asked.State == "" {
				t.Fatalf("the iframe was not asked to load an authorization request: %q", asked.URL)
			}
			late := au.Query().Get("redirect_uri") + "?code=late&state=" + asked.State + "&iss=" + url.QueryEscape(fakeop.Issuer)
			if _, err := e.m.ValidateCallback(context.Background(), late); spa.ErrorCode(err) != spa.CodeStateMismatch {
				t.Errorf("a late answer to the failed sign-in: %v; want state_mismatch (its transaction dropped)", err)
			}
		})
	})
	t.Run("login_required names third-party cookies", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := setup(t, spa.Config{RedirectURL: "https://app.example/callback"}, true)
			e.op.SetSilentError("login_required")
			err := silentrefresh.New(e.frame).SignIn(context.Background(), e.m, "app")
			if spa.ErrorCode(err) != spa.CodeLoginRequired || !strings.Contains(err.Error(), "third-party cookies") {
				t.Fatalf("SignIn: %v; want login_required with the third-party-cookie hint", err)
			}
		})
	})
	t.Run("no frame", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := setup(t, iframeConfig(), false)
			if err := silentrefresh.New(nil).SignIn(context.Background(), e.m, "app"); spa.ErrorCode(err) != spa.CodeLoginRequired {
				t.Fatalf("SignIn without a frame: %v; want login_required", err)
			}
		})
	})
}
