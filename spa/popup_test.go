package spa_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/spa"
)

// TestPopupSignInUsesThePopupRedirectURI: the authorization request of a
// popup names PopupRedirectURL (default: the silent-renew page), and its
// answer there signs in like a redirect's; a popup has no return URL.
func TestPopupSignInUsesThePopupRedirectURI(t *testing.T) {
	for _, c := range []struct{ name, popup, want string }{
		{"default", "", "https://app.example/silent-refresh.html"},
		{"configured", "https://app.example/popup.html", "https://app.example/popup.html"},
	} {
		t.Run(c.name, func(t *testing.T) {
			conf := cfg("a")
			conf.PopupRedirectURL = c.popup
			e := newEnv(t, conf)
			raw, err := e.m.AuthorizePopupURL(context.Background(), "a", spa.AuthorizeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(raw)
			if got := u.Query().Get("redirect_uri"); got != c.want {
				t.Fatalf("redirect_uri %q, want %q", got, c.want)
			}
			if u.Query().Has("prompt") {
				t.Errorf("a popup sign-in asks prompt=%s: the user must be able to sign in", u.Query().Get("prompt"))
			}
			back, err := e.op.Authorize(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(back, c.want+"?") {
				t.Fatalf("the provider answered at %s", back)
			}
			cb, err := e.m.ValidateCallback(context.Background(), back)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.m.Exchange(context.Background(), cb); err != nil {
				t.Fatal(err)
			}
			if !e.m.IsAuthenticated("a") {
				t.Error("not signed in after the popup's answer")
			}
			// The same answer, at the page's redirectUrl instead, is refused.
			raw2, _ := e.m.AuthorizePopupURL(context.Background(), "a", spa.AuthorizeOptions{})
			back2, _ := e.op.Authorize(raw2)
			moved := strings.Replace(back2, c.want, "https://app.example/cb", 1)
			_, err = e.m.ValidateCallback(context.Background(), moved)
			wantCode(t, err, spa.CodeStateMismatch)
		})
	}
	e := newEnv(t)
	_, err := e.m.AuthorizePopupURL(context.Background(), "a", spa.AuthorizeOptions{ReturnURL: "/x"})
	wantCode(t, err, spa.CodeInvalidConfig)
}
