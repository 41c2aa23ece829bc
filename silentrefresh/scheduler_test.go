package silentrefresh_test

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/oidcwasm/oidcwasm/internal/fakeop"
	"github.com/oidcwasm/oidcwasm/silentrefresh"
	"github.com/oidcwasm/oidcwasm/spa"
)

// settle waits until every goroutine of the bubble is blocked.
func settle() { synctest.Wait() }

const (
	refreshGrant = "refresh_token"
	codeGrant    = "authorization_code"
	s            = time.Second
)

// The OP's access tokens live 10 minutes; with the default timeoutFactor 0.75
// a session made at start is due at 450 s.
const due = 450 * s

func TestSchedulerRenewsAtTimeoutFactorOfEachNewToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, refreshConfig(), true)
		e.login()
		e.scheduler(silentrefresh.SchedulerOptions{})

		e.sleepUntil(due - time.Millisecond)
		if got := e.since(refreshGrant); len(got) != 0 {
			t.Fatalf("renewed before the timeout factor, at %v", got)
		}
		e.sleepUntil(due)
		e.sleepUntil(2 * due) // the new token is due 450 s after it arrived
		if got, want := e.since(refreshGrant), []time.Duration{due, 2 * due}; !slices.Equal(got, want) {
			t.Fatalf("refresh requests at %v, want %v", got, want)
		}
		started := e.events.of(spa.EventSilentRenewStarted)
		if len(started) != 2 || started[0].Method != spa.MethodRefreshToken {
			t.Errorf("silentRenewStarted events %+v, want two with method refresh_token", started)
		}
		if n := len(e.events.of(spa.EventTokenRefreshed)); n != 2 {
			t.Errorf("%d tokenRefreshed events, want 2", n)
		}
		if e.frame.n.Load() != 0 {
			t.Errorf("the iframe was used although the session has a refresh token")
		}
	})
}

func TestSchedulerRenewsAtOnceWhenTheDeviceWakes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		slept   time.Duration
		recheck bool // the page calls Recheck on visibilitychange
	}{
		{"past the renewal point", 8 * time.Minute, false},
		{"past the expiry", 2 * time.Hour, false},
		{"past the expiry, with Recheck", 2 * time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := setup(t, refreshConfig(), true)
				e.login()
				sch := e.scheduler(silentrefresh.SchedulerOptions{})
				e.sleepUntil(12 * s)

				e.clock.sleepDevice(tc.slept) // the wall clock jumps; no timer fires
				woke := e.clock.Now()
				if tc.recheck {
					sch.Recheck()
					settle()
				} else {
					time.Sleep(silentrefresh.DefaultMaxStep)
					settle()
				}
				got := e.op.Tokens(refreshGrant)
				if len(got) != 1 {
					t.Fatalf("%d refresh requests after waking, want 1", len(got))
				}
				late := got[0].At.Sub(woke)
				if tc.recheck && late != 0 || late > silentrefresh.DefaultMaxStep {
					t.Errorf("renewed %v after waking; want at once (Recheck) or within MaxStep %v", late, silentrefresh.DefaultMaxStep)
				}
				if cur := e.session(); cur == nil || cur.Expired(e.clock.Now()) {
					t.Errorf("no valid session after waking: %+v", cur)
				}
				if n := len(e.events.of(spa.EventTokenExpired)); n != 0 {
					t.Errorf("%d tokenExpired events, want none: the renewal after the wake succeeded", n)
				}
			})
		})
	}
}

func TestSchedulerStopsOnLogoffAndResumesWithTheNextLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, refreshConfig(), true)
		e.login()
		e.scheduler(silentrefresh.SchedulerOptions{})
		e.sleepUntil(100 * s)
		if err := e.m.LogoffLocal("app"); err != nil {
			t.Fatal(err)
		}
		e.sleepUntil(3 * time.Hour)
		if got := e.since(refreshGrant); len(got) != 0 {
			t.Fatalf("renewed after logoff, at %v", got)
		}
		if n := len(e.events.of(spa.EventSilentRenewStarted)) + len(e.events.of(spa.EventTokenExpired)); n != 0 {
			t.Fatalf("%d renewal events after logoff, want none", n)
		}

		e.login() // at 3 h: due at 3 h + 450 s
		e.sleepUntil(3*time.Hour + due)
		if got, want := e.since(refreshGrant), []time.Duration{3*time.Hour + due}; !slices.Equal(got, want) {
			t.Fatalf("refresh requests at %v, want %v", got, want)
		}
	})
}

func TestDisableSilentRenewSchedulesNothingButAccessTokenStillRenews(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := refreshConfig()
		cfg.DisableSilentRenew = true
		e := setup(t, cfg, true)
		first := e.login()
		e.scheduler(silentrefresh.SchedulerOptions{})
		e.sleepUntil(9 * time.Minute)
		if got := e.since(refreshGrant); len(got) != 0 {
			t.Fatalf("silentRenew off, but renewed at %v", got)
		}
		tok, err := e.m.AccessToken(context.Background(), "app")
		if err != nil {
			t.Fatalf("AccessToken on a stale token: %v", err)
		}
		if tok == first.AccessToken || len(e.since(refreshGrant)) != 1 {
			t.Fatalf("AccessToken on a stale token did not renew it (%d refresh requests)", len(e.since(refreshGrant)))
		}
		e.sleepUntil(time.Hour)
		if n := len(e.since(refreshGrant)); n != 1 {
			t.Fatalf("%d refresh requests, want only the one AccessToken asked for", n)
		}
	})
}

func TestSchedulerIgnoresTokensWithoutExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, refreshConfig(), true)
		e.op.SetAccessTTL(0) // no expires_in
		e.login()
		e.scheduler(silentrefresh.SchedulerOptions{})
		e.sleepUntil(24 * time.Hour)
		if n := len(e.op.Tokens(refreshGrant)); n != 0 {
			t.Fatalf("%d renewals of a token without expiry, want none", n)
		}
	})
}

func TestSchedulerBacksOffOnTransientFailuresAndRenewsWhenTheProviderRecovers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault fakeop.Fault
		code  string
	}{
		{"network down", fakeop.Fault{Network: true}, spa.CodeNetwork},
		{"HTTP 503 with an HTML page", fakeop.Fault{Status: 503}, spa.CodeInvalidResponse},
		{"server_error", fakeop.Fault{Status: 500, Code: "server_error"}, "server_error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := setup(t, refreshConfig(), true)
				e.login()
				e.op.SetTokenFault(&tc.fault)
				e.scheduler(silentrefresh.SchedulerOptions{})

				e.sleepUntil(due + 31*s)
				failed := []time.Duration{due, due + 1*s, due + 3*s, due + 7*s, due + 15*s, due + 31*s} // 1, 2, 4, 8, 16 s apart
				if got := e.since(refreshGrant); !slices.Equal(got, failed) {
					t.Fatalf("attempts at %v, want %v", got, failed)
				}
				for _, ev := range e.events.of(spa.EventSilentRenewFailed) {
					if ev.Code != tc.code {
						t.Errorf("silentRenewFailed code %q, want %q", ev.Code, tc.code)
					}
				}
				if cur := e.session(); cur == nil || len(e.events.of(spa.EventLoggedOut)) != 0 {
					t.Fatalf("a transient failure ended the session")
				}

				e.op.SetTokenFault(nil)    // the provider is back
				e.sleepUntil(due + 61*s)   // the next attempt, 30 s (the cap) later, succeeds
				e.sleepUntil(2*due + 61*s) // and the new token is renewed at its own factor
				want := append(failed, due+61*s, 2*due+61*s)
				if got := e.since(refreshGrant); !slices.Equal(got, want) {
					t.Fatalf("attempts at %v, want %v", got, want)
				}
				if cur := e.session(); cur == nil || cur.Expired(e.clock.Now()) {
					t.Fatalf("no valid session after the provider recovered")
				}
			})
		})
	}
}

func TestSchedulerAddsJitterToTheBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, refreshConfig(), true)
		e.login()
		e.op.SetTokenFault(&fakeop.Fault{Network: true})
		var limits []time.Duration
		e.scheduler(silentrefresh.SchedulerOptions{Jitter: func(limit time.Duration) time.Duration {
			limits = append(limits, limit) // called from the scheduler's one goroutine
			return limit / 2
		}})
		e.sleepUntil(due + 10*s)
		// Delays 1, 2, 4 s plus a quarter: 1.25, 2.5, 5 s.
		want := []time.Duration{due, due + 1250*time.Millisecond, due + 3750*time.Millisecond, due + 8750*time.Millisecond}
		if got := e.since(refreshGrant); !slices.Equal(got, want) {
			t.Fatalf("attempts at %v, want %v", got, want)
		}
		if want := []time.Duration{500 * time.Millisecond, s, 2 * s, 4 * s}; !slices.Equal(limits, want) {
			t.Errorf("Jitter limits %v, want half of each delay %v", limits, want)
		}
	})
}

// TestSchedulerCapsAJitterThatReturnsTooMuch: a Jitter that ignores its
// limit adds at most half the delay, so backoff stays within 1.5× of the
// doubling schedule.
func TestSchedulerCapsAJitterThatReturnsTooMuch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, refreshConfig(), true)
		e.login()
		e.op.SetTokenFault(&fakeop.Fault{Network: true})
		e.scheduler(silentrefresh.SchedulerOptions{Jitter: func(time.Duration) time.Duration { return time.Hour }})
		e.sleepUntil(due + 11*s)
		// Delays 1, 2, 4 s plus half of each: 1.5, 3, 6 s.
		want := []time.Duration{due, due + 1500*time.Millisecond, due + 4500*time.Millisecond, due + 10500*time.Millisecond}
		if got := e.since(refreshGrant); !slices.Equal(got, want) {
			t.Fatalf("attempts at %v, want %v", got, want)
		}
	})
}

func TestSchedulerEmitsTokenExpiredOnceWhenRetriesOutlastTheToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, refreshConfig(), true)
		e.login()
		e.op.SetTokenFault(&fakeop.Fault{Network: true})
		e.scheduler(silentrefresh.SchedulerOptions{})
		e.sleepUntil(3 * time.Hour)

		want := []time.Duration{450 * s, 451 * s, 453 * s, 457 * s, 465 * s, 481 * s, 511 * s, 541 * s, 571 * s}
		if got := e.since(refreshGrant); !slices.Equal(got, want) {
			t.Fatalf("attempts at %v, want %v (none after the expiry at 600 s)", got, want)
		}
		expired := e.events.of(spa.EventTokenExpired)
		if len(expired) != 1 || expired[0].At.Sub(e.start) != 10*time.Minute {
			t.Fatalf("tokenExpired events %+v, want one at the expiry (600 s)", expired)
		}
		if e.session() == nil {
			t.Fatalf("the session ended; a network failure must keep it")
		}

		e.op.SetTokenFault(nil)
		e.login() // a new session is scheduled again
		e.sleepUntil(3*time.Hour + due)
		if got := e.since(refreshGrant); len(got) != len(want)+1 || got[len(want)] != 3*time.Hour+due {
			t.Fatalf("attempts at %v, want one more at %v", got, 3*time.Hour+due)
		}
	})
}

func TestSchedulerStopsWhenTheProviderEndsTheSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, refreshConfig(), true)
		e.login()
		e.op.RevokeRefreshTokens()
		e.scheduler(silentrefresh.SchedulerOptions{})
		e.sleepUntil(3 * time.Hour)
		if got := e.since(refreshGrant); len(got) != 1 {
			t.Fatalf("attempts at %v, want one: invalid_grant ends the session", got)
		}
		if e.session() != nil {
			t.Fatalf("invalid_grant kept the session")
		}
		if f := e.events.of(spa.EventSilentRenewFailed); len(f) != 1 || f[0].Code != "invalid_grant" {
			t.Fatalf("silentRenewFailed events %+v, want one with invalid_grant", f)
		}
		if n := len(e.events.of(spa.EventTokenExpired)); n != 0 {
			t.Errorf("%d tokenExpired events after the session ended, want none", n)
		}
	})
}

func TestSchedulerReplansWhenConfigsAreLoaded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := refreshConfig()
		e := setup(t, cfg, true)
		e.login()
		e.scheduler(silentrefresh.SchedulerOptions{})
		e.sleepUntil(100 * s)

		cfg.ConfigID, cfg.Authority, cfg.ClientID, cfg.RedirectURL = "app", fakeop.Issuer, "spa-client", "https://app.example/callback"
		cfg.TimeoutFactor = 0.5
		if err := e.m.Configure(context.Background(), []spa.Config{cfg}); err != nil {
			t.Fatal(err)
		}
		e.sleepUntil(300 * s) // half of 600 s
		if got, want := e.since(refreshGrant), []time.Duration{300 * s}; !slices.Equal(got, want) {
			t.Fatalf("refresh requests at %v, want %v", got, want)
		}

		cfg.DisableSilentRenew = true
		if err := e.m.Configure(context.Background(), []spa.Config{cfg}); err != nil {
			t.Fatal(err)
		}
		e.sleepUntil(3 * time.Hour)
		if n := len(e.since(refreshGrant)); n != 1 {
			t.Fatalf("%d refresh requests after silentRenew was turned off, want 1", n)
		}
	})
}

func TestSchedulerStopReturnsAtOnceDuringARenewalAndLeavesNoGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, spa.Config{SilentRenewTimeout: 20 * s}, true)
		e.login()
		e.frame.answer = func(ctx context.Context, _ spa.AuthRequest) (string, error) {
			<-ctx.Done() // silent-refresh.html never answers
			return "", ctx.Err()
		}
		sch := e.scheduler(silentrefresh.SchedulerOptions{})
		e.sleepUntil(due + s)
		if n := e.frame.n.Load(); n != 1 {
			t.Fatalf("%d navigations, want the one in flight", n)
		}
		before := time.Now()
		sch.Stop()
		if waited := time.Since(before); waited != 0 {
			t.Fatalf("Stop waited %v for the renewal in flight", waited)
		}
		e.sleepUntil(3 * time.Hour) // the renewal in flight times out on its own
		if f := e.events.of(spa.EventSilentRenewFailed); len(f) != 1 || f[0].Code != spa.CodeTimeout {
			t.Fatalf("silentRenewFailed %+v, want the one timeout of the renewal in flight", f)
		}
		if n := e.frame.n.Load(); n != 1 {
			t.Fatalf("%d navigations, want none after Stop", n)
		}
		// synctest.Test fails if a goroutine of the scheduler is still blocked.
	})
}

func TestSchedulerTokenExpiredIsEmittedOnceWhenAWokenDeviceCannotRenew(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, refreshConfig(), true)
		e.login()
		e.scheduler(silentrefresh.SchedulerOptions{})
		e.sleepUntil(12 * s)
		e.op.SetTokenFault(&fakeop.Fault{Network: true}) // the device wakes before its network does
		e.clock.sleepDevice(2 * time.Hour)
		time.Sleep(time.Hour)
		settle()
		if n := len(e.op.Tokens(refreshGrant)); n != 1 {
			t.Fatalf("%d attempts, want one: a token that expired is tried once on waking, not retried", n)
		}
		// The Manager emits tokenExpired for the failed renewal of an expired
		// token; the Scheduler must not repeat it.
		if n := len(e.events.of(spa.EventTokenExpired)); n != 1 {
			t.Fatalf("%d tokenExpired events, want 1", n)
		}
		if e.session() == nil {
			t.Fatalf("a network failure ended the session")
		}
	})
}

func TestSchedulerCanBeStoppedFromAnEventSubscriber(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := setup(t, refreshConfig(), true)
		e.login()
		e.op.SetTokenFault(&fakeop.Fault{Network: true})
		sch := e.scheduler(silentrefresh.SchedulerOptions{})
		stopped := make(chan struct{})
		defer e.m.Subscribe(func(ev spa.Event) {
			if ev.Type == spa.EventTokenExpired {
				sch.Stop() // e.g. an app that stops renewing once a token has expired
				close(stopped)
			}
		})()
		e.sleepUntil(time.Hour)
		select {
		case <-stopped:
		default:
			t.Fatal("no tokenExpired, or Stop did not return")
		}
	})
}
