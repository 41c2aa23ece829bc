package silentrefresh_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/oidcwasm/oidcwasm/internal/fakeop"
	"github.com/oidcwasm/oidcwasm/spa"
)

// iframeConfig renews by iframe: no offline_access, so no refresh token.
func iframeConfig() spa.Config { return spa.Config{} }

func TestRenewOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cfg        spa.Config
		arrange    func(e *env)
		method     string // of silentRenewStarted
		code       string // "" for success
		endsSess   bool
		navigation bool // the iframe was used
	}{
		{name: "iframe succeeds", cfg: iframeConfig(), method: spa.MethodIframe, navigation: true},
		{name: "refresh token succeeds", cfg: refreshConfig(), method: spa.MethodRefreshToken},
		{name: "iframe login_required ends the session", cfg: iframeConfig(),
			arrange: func(e *env) { e.op.SetSilentError("login_required") },
			method:  spa.MethodIframe, code: "login_required", endsSess: true, navigation: true},
		{name: "iframe consent_required ends the session", cfg: iframeConfig(),
			arrange: func(e *env) { e.op.SetSilentError("consent_required") },
			method:  spa.MethodIframe, code: "consent_required", endsSess: true, navigation: true},
		{name: "iframe interaction_required ends the session", cfg: iframeConfig(),
			arrange: func(e *env) { e.op.SetSilentError("interaction_required") },
			method:  spa.MethodIframe, code: "interaction_required", endsSess: true, navigation: true},
		{name: "refresh invalid_grant ends the session without trying the iframe", cfg: refreshConfig(),
			arrange: func(e *env) { e.op.RevokeRefreshTokens() },
			method:  spa.MethodRefreshToken, code: "invalid_grant", endsSess: true},
		{name: "refresh network failure keeps the session", cfg: refreshConfig(),
			arrange: func(e *env) { e.op.SetTokenFault(&fakeop.Fault{Network: true}) },
			method:  spa.MethodRefreshToken, code: spa.CodeNetwork},
		{name: "refresh HTTP 503 keeps the session", cfg: refreshConfig(),
			arrange: func(e *env) { e.op.SetTokenFault(&fakeop.Fault{Status: 503}) },
			method:  spa.MethodRefreshToken, code: spa.CodeInvalidResponse},
		{name: "iframe that fails without an answer keeps the session", cfg: iframeConfig(),
			arrange: func(e *env) {
				e.frame.answer = func(context.Context, spa.AuthRequest) (string, error) { return "", errors.New("iframe blocked") }
			},
			method: spa.MethodIframe, code: spa.CodeNetwork, navigation: true},
		{name: "iframe that fails with a wrapped error of its own keeps its code and gets the config", cfg: iframeConfig(),
			arrange: func(e *env) {
				e.frame.answer = func(context.Context, spa.AuthRequest) (string, error) {
					return "", fmt.Errorf("frame: %w", &spa.Error{Code: spa.CodeTimeout, Message: "the frame gave up"})
				}
			},
			method: spa.MethodIframe, code: spa.CodeTimeout, navigation: true},
		{name: "code exchange network failure keeps the session", cfg: iframeConfig(),
			arrange: func(e *env) { e.op.SetTokenFault(&fakeop.Fault{Network: true}) },
			method:  spa.MethodIframe, code: spa.CodeNetwork, navigation: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := setup(t, tc.cfg, true)
				before := e.login()
				if tc.arrange != nil {
					tc.arrange(e)
				}
				_, err := e.m.Renew(context.Background(), "app")
				if got := spa.ErrorCode(err); got != tc.code || (tc.code == "") != (err == nil) {
					t.Fatalf("Renew: %v (code %q), want code %q", err, got, tc.code)
				}
				if started := e.events.of(spa.EventSilentRenewStarted); len(started) != 1 || started[0].Method != tc.method {
					t.Errorf("silentRenewStarted %+v, want one with method %q", started, tc.method)
				}
				if navigated := e.frame.n.Load() > 0; navigated != tc.navigation {
					t.Errorf("iframe used: %v, want %v", navigated, tc.navigation)
				}
				cur := e.session()
				switch {
				case tc.code == "":
					if cur == nil || cur.AccessToken == before.AccessToken || len(e.events.of(spa.EventTokenRefreshed)) != 1 {
						t.Fatalf("no new session and tokenRefreshed after a successful renewal")
					}
					return
				case tc.endsSess && cur != nil:
					t.Errorf("%s kept the session", tc.code)
				case !tc.endsSess && (cur == nil || cur.AccessToken != before.AccessToken):
					t.Errorf("%s changed the session, want it kept", tc.code)
				}
				if f := e.events.of(spa.EventSilentRenewFailed); len(f) != 1 || f[0].Code != tc.code || f[0].ConfigID != "app" {
					t.Errorf("silentRenewFailed %+v, want one for app with code %q", f, tc.code)
				}
				var se *spa.Error
				if !errors.As(err, &se) || se.ConfigID != "app" {
					t.Errorf("error %#v does not name the config", err)
				}
			})
		})
	}
}

func TestIframeRenewalTimesOutWhenSilentRefreshHTMLDoesNotAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, spa.Config{SilentRenewTimeout: 7 * s}, true)
		before := e.login()
		e.frame.answer = func(ctx context.Context, _ spa.AuthRequest) (string, error) {
			<-ctx.Done()
			return "", ctx.Err()
		}
		start := time.Now()
		_, err := e.m.Renew(context.Background(), "app")
		if waited := time.Since(start); waited != 7*s {
			t.Errorf("gave up after %v, want silentRenewTimeout 7s", waited)
		}
		if spa.ErrorCode(err) != spa.CodeTimeout {
			t.Fatalf("Renew: %v, want code timeout", err)
		}
		for _, want := range []string{"7 seconds", "silent-refresh.html", "silentRenewUrl https://app.example/silent-refresh.html"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message %q does not say %q", err, want)
			}
		}
		if f := e.events.of(spa.EventSilentRenewFailed); len(f) != 1 || f[0].Code != spa.CodeTimeout {
			t.Errorf("silentRenewFailed %+v, want one with code timeout", f)
		}
		if cur := e.session(); cur == nil || cur.AccessToken != before.AccessToken {
			t.Errorf("a timeout changed the session, want it kept")
		}
	})
}

func TestIframeAnswerWithAnotherStateIsRejected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(e *env, pendingLogin string) (string, error)
	}{
		{"a forged state", func(*env, string) (string, error) {
			return "https://app.example/silent-refresh.html?code=c&state=forged", nil
		}},
		{"the state of an interactive login in progress", func(e *env, pendingLogin string) (string, error) {
			return e.op.Authorize(pendingLogin) // a valid code, for another transaction
		}},
		{"no authorization response", func(*env, string) (string, error) {
			return "https://app.example/silent-refresh.html", nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := setup(t, iframeConfig(), true)
				e.login()
				pendingLogin, err := e.m.Authorize(context.Background(), "app", spa.AuthorizeOptions{MaxAge: -1})
				if err != nil {
					t.Fatal(err)
				}
				e.frame.answer = func(context.Context, spa.AuthRequest) (string, error) { return tc.answer(e, pendingLogin) }
				_, err = e.m.Renew(context.Background(), "app")
				if spa.ErrorCode(err) != spa.CodeStateMismatch {
					t.Fatalf("Renew: %v, want code state_mismatch", err)
				}
				if n := len(e.op.Tokens(codeGrant)); n != 1 {
					t.Errorf("%d code exchanges, want only the login's", n)
				}
				// The interactive login's transaction is still there to complete.
				back, err := e.op.Authorize(pendingLogin)
				if err != nil {
					t.Fatal(err)
				}
				cb, err := e.m.ValidateCallback(context.Background(), back)
				if err != nil {
					t.Fatalf("the pending login's callback no longer validates: %v", err)
				}
				if _, err := e.m.Exchange(context.Background(), cb); err != nil {
					t.Fatalf("Exchange: %v", err)
				}
			})
		})
	}
}

func TestConcurrentAccessTokenCallsShareOneRenewal(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     spa.Config
		grant   string
		grants  int   // token requests of that grant, with the login's
		navigat int32 // Frame navigations
	}{
		{"iframe", iframeConfig(), codeGrant, 2, 1},
		{"refresh token", refreshConfig(), refreshGrant, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := setup(t, tc.cfg, true)
				e.login()
				e.sleepUntil(due + s) // stale
				gate := make(chan struct{})
				e.op.SetTokenGate(gate) // the renewal waits at the token endpoint until all callers are in

				var wg sync.WaitGroup
				tokens := make([]string, 100)
				errs := make([]error, 100)
				for i := range tokens {
					wg.Go(func() { tokens[i], errs[i] = e.m.AccessToken(context.Background(), "app") })
				}
				settle()
				close(gate)
				wg.Wait()

				for i := range tokens {
					if errs[i] != nil || tokens[i] != tokens[0] {
						t.Fatalf("caller %d got %q, %v; want the one new token %q", i, tokens[i], errs[i], tokens[0])
					}
				}
				if n := len(e.op.Tokens(tc.grant)); n != tc.grants {
					t.Errorf("%d %s requests, want %d", n, tc.grant, tc.grants)
				}
				if n := e.frame.n.Load(); n != tc.navigat {
					t.Errorf("%d navigations, want %d", n, tc.navigat)
				}
				if n := len(e.events.of(spa.EventSilentRenewStarted)); n != 1 {
					t.Errorf("%d silentRenewStarted events, want 1", n)
				}
			})
		})
	}
}

func TestRefreshTokenRotationNeverReusesTheOldToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, refreshConfig(), true)
		held := []string{e.login().RefreshToken} // what the session holds, after login and each renewal
		for range 3 {
			sess, err := e.m.Renew(context.Background(), "app")
			if err != nil {
				t.Fatalf("Renew: %v", err)
			}
			held = append(held, sess.RefreshToken)
		}
		var presented []string
		for _, tok := range e.op.Tokens(refreshGrant) {
			presented = append(presented, tok.RefreshToken)
		}
		// Each renewal presents the token the previous one stored, and each is new.
		if !slices.Equal(presented, held[:3]) || len(slices.Compact(slices.Sorted(slices.Values(held)))) != len(held) {
			t.Errorf("the session held %v; the OP was shown %v", held, presented)
		}
		cur := held[3]
		if e.session().RefreshToken != cur {
			t.Errorf("the stored session's refresh token is not the last one issued")
		}
		if valid := e.op.ValidRefreshTokens(); !slices.Equal(valid, []string{cur}) {
			t.Errorf("the session holds %q; the OP accepts %v", cur, valid)
		}
		if n := e.op.Reuses(); n != 0 {
			t.Errorf("%d reuses of rotated refresh tokens", n)
		}
	})
}

func TestRenewWithoutRefreshTokenOrFrameIsLoginRequired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, iframeConfig(), false)
		e.login()
		_, err := e.m.Renew(context.Background(), "app")
		if spa.ErrorCode(err) != spa.CodeLoginRequired {
			t.Fatalf("Renew: %v, want login_required", err)
		}
		if n := len(e.op.Tokens("")); n != 1 {
			t.Errorf("%d token requests, want only the login's", n)
		}
	})
}

func TestUseRefreshTokenChoosesBetweenRefreshTokenAndIframe(t *testing.T) {
	for _, tc := range []struct {
		name            string
		useRefreshToken bool
		withFrame       bool
		method          string
	}{
		{"useRefreshToken", true, true, spa.MethodRefreshToken},
		{"useRefreshToken false, with a frame", false, true, spa.MethodIframe},
		{"useRefreshToken false, no frame: the refresh token is all there is", false, false, spa.MethodRefreshToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := refreshConfig()
				cfg.UseRefreshToken = tc.useRefreshToken
				e := setup(t, cfg, tc.withFrame)
				e.login()
				if _, err := e.m.Renew(context.Background(), "app"); err != nil {
					t.Fatalf("Renew: %v", err)
				}
				if started := e.events.of(spa.EventSilentRenewStarted); len(started) != 1 || started[0].Method != tc.method {
					t.Errorf("silentRenewStarted %+v, want method %q", started, tc.method)
				}
			})
		})
	}
}

func TestRenewerCancelledByItsCallerIsTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, iframeConfig(), true)
		e.login()
		e.frame.answer = func(ctx context.Context, _ spa.AuthRequest) (string, error) {
			<-ctx.Done()
			return "", ctx.Err()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*s)
		defer cancel()
		e.callerCtx = ctx // the Renewer's own context, not the Manager's detached one
		_, err := e.m.Renew(context.Background(), "app")
		if spa.ErrorCode(err) != spa.CodeTimeout || !strings.Contains(err.Error(), "cancelled") {
			t.Fatalf("Renew: %v, want code timeout saying it was cancelled", err)
		}
	})
}

func TestRefreshRenewalTimesOutWhenTheTokenEndpointHangs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := refreshConfig()
		cfg.SilentRenewTimeout = 5 * s
		e := setup(t, cfg, true)
		before := e.login()
		e.op.SetTokenGate(make(chan struct{})) // never opens
		start := time.Now()
		_, err := e.m.Renew(context.Background(), "app")
		if waited := time.Since(start); waited != 5*s {
			t.Errorf("gave up after %v, want silentRenewTimeout 5s", waited)
		}
		if spa.ErrorCode(err) != spa.CodeTimeout || !strings.Contains(err.Error(), "token endpoint") {
			t.Fatalf("Renew: %v, want code timeout naming the token endpoint", err)
		}
		if cur := e.session(); cur == nil || cur.RefreshToken != before.RefreshToken {
			t.Errorf("a timeout changed the session, want it kept")
		}
	})
}

// TestAFailedIframeRenewalDropsItsTransactionAtOnce: an iframe that never
// answers must not leave a usable authorization request behind for 15
// minutes (a late or forged answer could still complete it).
func TestAFailedIframeRenewalDropsItsTransactionAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, iframeConfig(), true)
		e.login()
		var asked spa.AuthRequest
		e.frame.answer = func(ctx context.Context, req spa.AuthRequest) (string, error) {
			asked = req
			<-ctx.Done()
			return "", ctx.Err()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*s)
		defer cancel()
		e.callerCtx = ctx
		if _, err := e.m.Renew(context.Background(), "app"); spa.ErrorCode(err) != spa.CodeTimeout {
			t.Fatalf("Renew: %v, want timeout", err)
		}
		st := asked.State
		if st == "" {
			t.Fatal("the iframe was not asked to load an authorization request")
		}
		au, err := url.Parse(asked.URL)
		if err != nil {
			t.Fatal(err)
		}
		late := au.Query().Get("redirect_uri") + "?code=late&state=" + st + "&iss=" + url.QueryEscape(fakeop.Issuer)
		if _, err := e.m.ValidateCallback(context.Background(), late); spa.ErrorCode(err) != spa.CodeStateMismatch {
			t.Errorf("a late answer to the failed renewal: %v, want state_mismatch (its transaction dropped)", err)
		}
	})
}
