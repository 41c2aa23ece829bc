package spa_test

import (
	"context"
	"errors"
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
			req, err := e.m.AuthorizePopup(context.Background(), "a", spa.AuthorizeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(req.URL)
			if got := u.Query().Get("redirect_uri"); got != c.want {
				t.Fatalf("redirect_uri %q, want %q", got, c.want)
			}
			if u.Query().Has("prompt") {
				t.Errorf("a popup sign-in asks prompt=%s: the user must be able to sign in", u.Query().Get("prompt"))
			}
			back, err := e.op.Authorize(req.URL)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(back, c.want+"?") {
				t.Fatalf("the provider answered at %s", back)
			}
			if _, err := e.m.Complete(context.Background(), req, back); err != nil {
				t.Fatal(err)
			}
			if !e.m.IsAuthenticated("a") {
				t.Error("not signed in after the popup's answer")
			}
			// The same answer, at the page's redirectUrl instead, is refused.
			req2, _ := e.m.AuthorizePopup(context.Background(), "a", spa.AuthorizeOptions{})
			back2, _ := e.op.Authorize(req2.URL)
			moved := strings.Replace(back2, c.want, "https://app.example/cb", 1)
			_, err = e.m.Complete(context.Background(), req2, moved)
			wantCode(t, err, spa.CodeStateMismatch)
		})
	}
	e := newEnv(t)
	_, err := e.m.AuthorizePopup(context.Background(), "a", spa.AuthorizeOptions{ReturnURL: "/x"})
	wantCode(t, err, spa.CodeInvalidConfig)
}

// TestCompleteTakesOnlyTheAnswerToItsRequest: an answer that carries another
// request's state (a stale iframe's, another flow's window) is
// state_mismatch, uses up nothing of that other request, and drops the
// request it was offered for; a request Discard dropped takes no answer.
func TestCompleteTakesOnlyTheAnswerToItsRequest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	mine, err := e.m.AuthorizePopup(ctx, "a", spa.AuthorizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.m.AuthorizePopup(ctx, "a", spa.AuthorizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	otherAnswer, err := e.op.Authorize(other.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.m.Complete(ctx, mine, otherAnswer)
	wantCode(t, err, spa.CodeStateMismatch)
	if se := (*spa.Error)(nil); !errors.As(err, &se) || se.ConfigID != "a" {
		t.Errorf("the refusal %v does not name config a", err)
	}
	if _, err := e.m.Complete(ctx, other, otherAnswer); err != nil {
		t.Fatalf("the other request's own answer after the refusal: %v, want signed in", err)
	}
	myAnswer, err := e.op.Authorize(mine.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.m.Complete(ctx, mine, myAnswer)
	wantCode(t, err, spa.CodeStateMismatch) // dropped by the refused answer

	late, _ := e.m.AuthorizePopup(ctx, "a", spa.AuthorizeOptions{})
	lateAnswer, _ := e.op.Authorize(late.URL)
	e.m.Discard(late)
	_, err = e.m.Complete(ctx, late, lateAnswer)
	wantCode(t, err, spa.CodeStateMismatch)
}

// TestAuthorizeSilentSignsInWithoutASession: a silent sign-in (worker
// custody after the browser stopped the worker) asks prompt=none at the
// config's SilentRenewURL, with max_age left out, and its answer signs a
// config in that has no session; an unknown config is refused.
func TestAuthorizeSilentSignsInWithoutASession(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	req, err := e.m.AuthorizeSilent(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(req.URL)
	if q := u.Query(); q.Get("prompt") != "none" || q.Get("redirect_uri") != "https://app.example/silent-refresh.html" || q.Has("max_age") {
		t.Fatalf("the silent sign-in's request: prompt %q, redirect_uri %q, max_age %q; want none at the silent-renew page, no max_age",
			q.Get("prompt"), q.Get("redirect_uri"), q.Get("max_age"))
	}
	back, err := e.op.Authorize(req.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Complete(ctx, req, back); err != nil {
		t.Fatal(err)
	}
	if !e.m.IsAuthenticated("a") {
		t.Error("not signed in after the silent sign-in's answer")
	}
	_, err = e.m.AuthorizeSilent(ctx, "nope")
	if err == nil {
		t.Error("a silent sign-in for an unknown config was made")
	}
}
