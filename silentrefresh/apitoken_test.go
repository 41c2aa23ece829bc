package silentrefresh_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/oidcwasm/oidcwasm/spa"
)

// TestAPITokenWithoutARefreshTokenComesFromTheIframe: prompt=none naming
// the route's resource and scope, then the code exchange with that resource
// (RFC 8707 §2.2); the token is stored in the session and the login token is
// left as it was.
func TestAPITokenWithoutARefreshTokenComesFromTheIframe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const orders = "https://orders.example/api"
		cfg := iframeConfig()
		cfg.Scope = "openid profile orders.read"
		cfg.SecureRoutes = []spa.Route{{URL: "https://orders.example/api", Resource: orders, Scope: "orders.read"}}
		e := setup(t, cfg, true)
		var asked []url.Values
		e.frame.answer = func(ctx context.Context, req spa.AuthRequest) (string, error) {
			u, _ := url.Parse(req.URL)
			asked = append(asked, u.Query())
			return e.op.Authorize(req.URL)
		}
		login := e.login()
		if login.RefreshToken != "" {
			t.Fatal("the config must have no refresh token")
		}
		m, ok := e.m.MatchRequest("https://orders.example/api/1", "GET", nil)
		if !ok {
			t.Fatal("no route")
		}
		tok, ok, err := e.m.RouteToken(context.Background(), m, false)
		if err != nil || !ok || !strings.HasSuffix(tok, "@"+orders) {
			t.Fatalf("RouteToken = %q, %v, %v; want the orders token", tok, ok, err)
		}
		if len(asked) != 1 || asked[0].Get("prompt") != "none" || strings.Join(asked[0]["resource"], " ") != orders || asked[0].Get("scope") != "openid orders.read" {
			t.Fatalf("iframe requests %v, want one prompt=none for %s with scope openid orders.read", asked, orders)
		}
		codes := e.op.Tokens("authorization_code")
		if len(codes) != 2 || codes[1].Resource != orders {
			t.Errorf("code exchanges %+v, want the second with resource %s", codes, orders)
		}
		s := e.session()
		if s.AccessToken != login.AccessToken || s.APITokens[m.Route.TokenOptions().Key()].AccessToken != tok {
			t.Errorf("session after: login token changed or API token not stored: %+v", s)
		}
		if again, _, err := e.m.RouteToken(context.Background(), m, false); again != tok || err != nil || e.frame.n.Load() != 1 {
			t.Errorf("second request: %q, %v after %d navigations, want the cached token", again, err, e.frame.n.Load())
		}
		if got := e.events.of(spa.EventTokenRefreshed); len(got) != 1 || got[0].Resource != orders {
			t.Errorf("tokenRefreshed %+v, want one naming %s", got, orders)
		}
	})
}

// TestAPITokenWithNoWayToRenewLeavesTheSession: a Renewer without a Frame
// cannot get a per-API token for a session without a refresh token. That is
// login_required naming the resource, and silentRenewFailed, but the
// provider said nothing: the session and its login token stay.
func TestAPITokenWithNoWayToRenewLeavesTheSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const orders = "https://orders.example/api"
		cfg := iframeConfig()
		cfg.Scope = "openid profile orders.read"
		cfg.SecureRoutes = []spa.Route{{URL: "https://orders.example/api", Resource: orders, Scope: "orders.read"}}
		e := setup(t, cfg, false) // silentrefresh.New(nil)
		login := e.login()
		_, err := e.m.AccessTokenFor(context.Background(), "app", spa.TokenOptions{Resource: orders, Scope: "orders.read"})
		if spa.ErrorCode(err) != spa.CodeLoginRequired || !strings.Contains(err.Error(), orders) {
			t.Fatalf("AccessTokenFor: %v, want login_required naming the resource", err)
		}
		if s := e.session(); s == nil || s.AccessToken != login.AccessToken {
			t.Error("the session ended, or its login token changed, though the provider said nothing")
		}
		if got := e.events.of(spa.EventSilentRenewFailed); len(got) != 1 || got[0].Resource != orders {
			t.Errorf("silentRenewFailed %+v, want one naming %s", got, orders)
		}
		if got := e.events.of(spa.EventLoggedOut); len(got) != 0 {
			t.Errorf("loggedOut %+v, want none", got)
		}
	})
}
