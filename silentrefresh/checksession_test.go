package silentrefresh_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/oidcwasm/oidcwasm/silentrefresh"
	"github.com/oidcwasm/oidcwasm/spa"
)

// opFrame is a SessionFrame that plays the provider's check_session_iframe:
// it records each question and answers with answer (default "unchanged").
type opFrame struct {
	mu     sync.Mutex
	asks   []asked
	closed int
	answer func(ctx context.Context, t spa.CheckSessionTarget) (string, error)
}

type asked struct {
	configID, message, iframeURL, origin string
	at                                   time.Time
}

func (f *opFrame) Ask(ctx context.Context, configID string, t spa.CheckSessionTarget) (string, error) {
	f.mu.Lock()
	f.asks = append(f.asks, asked{configID, t.Message, t.IframeURL, t.Origin, time.Now()})
	answer := f.answer
	f.mu.Unlock()
	if answer == nil {
		return "unchanged", nil
	}
	return answer(ctx, t)
}

func (f *opFrame) Close(string) { f.mu.Lock(); f.closed++; f.mu.Unlock() }

func (f *opFrame) questions() []asked {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]asked(nil), f.asks...)
}

func (f *opFrame) set(answer func(ctx context.Context, t spa.CheckSessionTarget) (string, error)) {
	f.mu.Lock()
	f.answer = answer
	f.mu.Unlock()
}

func answering(s string) func(context.Context, spa.CheckSessionTarget) (string, error) {
	return func(context.Context, spa.CheckSessionTarget) (string, error) { return s, nil }
}

// checking is a config with check-session, renewing by refresh token.
func checking() spa.Config {
	c := refreshConfig()
	c.CheckSession = true
	return c
}

// monitored signs in with session_state "state-1" and starts a SessionMonitor.
func monitored(t *testing.T, cfg spa.Config) (*env, *opFrame, *silentrefresh.SessionMonitor) {
	e := setup(t, cfg, true)
	e.op.SetSessionState("state-1")
	e.login()
	f := &opFrame{}
	mon := silentrefresh.NewSessionMonitor(e.m, f)
	mon.Start()
	t.Cleanup(mon.Stop)
	return e, f, mon
}

// offsets are the times of the questions, from the env's start.
func (e *env) offsets(qs []asked) []time.Duration {
	var out []time.Duration
	for _, q := range qs {
		out = append(out, q.at.Sub(e.start).Round(time.Millisecond))
	}
	return out
}

// TestSessionMonitorAsksAtOnceThenEveryInterval: OpenID Connect Session
// Management 1.0 §3.2: the question is client_id + " " + session_state, to
// the check_session_iframe, first when the session is there, then every
// checkSessionIntervalInSeconds; "unchanged" changes nothing.
func TestSessionMonitorAsksAtOnceThenEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, f, _ := monitored(t, checking())
		e.sleepUntil(10 * time.Second)
		qs := f.questions()
		if got, want := e.offsets(qs), []time.Duration{0, 3 * time.Second, 6 * time.Second, 9 * time.Second}; !equalDurations(got, want) {
			t.Fatalf("questions at %v, want %v", got, want)
		}
		for _, q := range qs {
			if q.configID != "app" || q.message != "spa-client state-1" || q.iframeURL != "https://op.example/check_session" || q.origin != "https://op.example" {
				t.Fatalf("question %+v", q)
			}
		}
		if all, _ := e.op.Authorizes(); all != 1 || len(e.events.of(spa.EventSilentRenewStarted)) != 0 {
			t.Fatalf("%d authorization requests, %d renewals: unchanged must not renew", all, len(e.events.of(spa.EventSilentRenewStarted)))
		}
	})
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSessionMonitorWatchesOnlyWhatItShould: a config without checkSession,
// or a session without session_state, is never asked about; a session that
// appears later is asked about at once, with its own interval.
func TestSessionMonitorWatchesOnlyWhatItShould(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, f, _ := monitored(t, refreshConfig())
		e.sleepUntil(10 * time.Second)
		if qs := f.questions(); len(qs) != 0 {
			t.Fatalf("a config without checkSession was asked about: %+v", qs)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		c := checking()
		c.CheckSessionInterval = time.Second
		e := setup(t, c, true)
		f := &opFrame{}
		mon := silentrefresh.NewSessionMonitor(e.m, f)
		mon.Start()
		defer mon.Stop()
		e.login() // no session_state
		e.sleepUntil(5 * time.Second)
		if qs := f.questions(); len(qs) != 0 {
			t.Fatalf("a session without session_state was asked about: %+v", qs)
		}
		e.op.SetSessionState("state-9")
		e.login()
		e.sleepUntil(7500 * time.Millisecond)
		if got, want := e.offsets(f.questions()), []time.Duration{5 * time.Second, 6 * time.Second, 7 * time.Second}; !equalDurations(got, want) {
			t.Fatalf("questions at %v, want %v", got, want)
		}
	})
}

// TestSessionMonitorStopsWhereTheAnswerSaysSo: "changed" with the provider's
// session over ends the session and the asking; "error" and no answer are
// checkSessionFailed once, and the asking stops until a new session_state;
// "changed" with the same user goes on with the new session_state.
func TestSessionMonitorStopsWhereTheAnswerSaysSo(t *testing.T) {
	t.Run("changed, signed out at the provider", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e, f, _ := monitored(t, checking())
			e.sleepUntil(4 * time.Second)
			e.op.SetSilentError("login_required")
			f.set(answering("changed"))
			e.sleepUntil(30 * time.Second)
			if n := len(f.questions()); n != 3 {
				t.Fatalf("%d questions, want 3 (0 s, 3 s, then changed at 6 s and no more)", n)
			}
			if e.session() != nil {
				t.Fatal("still signed in")
			}
			if lo := e.events.of(spa.EventLoggedOut); len(lo) != 1 || lo[0].Reason != spa.ReasonProvider {
				t.Fatalf("loggedOut %+v", lo)
			}
			if _, silent := e.op.Authorizes(); silent != 1 || len(e.op.Tokens("refresh_token")) != 0 {
				t.Fatalf("%d prompt=none requests, %d refresh grants; want one prompt=none, no refresh", silent, len(e.op.Tokens("refresh_token")))
			}
			if f.closed != 1 {
				t.Fatalf("iframe closed %d times, want once", f.closed)
			}
		})
	})
	t.Run("changed, the same user again", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e, f, _ := monitored(t, checking())
			e.sleepUntil(time.Second)
			e.op.SetSessionState("state-2")
			f.set(func(_ context.Context, t spa.CheckSessionTarget) (string, error) {
				if t.Message == "spa-client state-1" {
					return "changed", nil
				}
				return "unchanged", nil
			})
			e.sleepUntil(10 * time.Second)
			var msgs []string
			for _, q := range f.questions() {
				msgs = append(msgs, q.message)
			}
			if len(msgs) != 4 || msgs[0] != "spa-client state-1" || msgs[1] != "spa-client state-1" || msgs[2] != "spa-client state-2" || msgs[3] != "spa-client state-2" {
				t.Fatalf("questions %q, want state-1 twice (the second changed), then state-2", msgs)
			}
			if e.session() == nil || len(e.events.of(spa.EventTokenRefreshed)) != 1 {
				t.Fatalf("session %v, %d tokenRefreshed", e.session() != nil, len(e.events.of(spa.EventTokenRefreshed)))
			}
		})
	})
	for _, tt := range []struct {
		name   string
		answer func(ctx context.Context, t spa.CheckSessionTarget) (string, error)
		code   string
		at     time.Duration // when checkSessionFailed comes
	}{
		{"error", answering("error"), "invalid_request", 3 * time.Second},
		{"no answer", func(ctx context.Context, _ spa.CheckSessionTarget) (string, error) {
			<-ctx.Done()
			return "", ctx.Err()
		}, spa.CodeTimeout, 23 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e, f, _ := monitored(t, checking())
				e.sleepUntil(time.Second)
				f.set(tt.answer)
				e.sleepUntil(time.Minute)
				fails := e.events.of(spa.EventCheckSessionFailed)
				if len(fails) != 1 || fails[0].Code != tt.code || fails[0].At.Sub(e.start) != tt.at {
					t.Fatalf("checkSessionFailed %+v, want one with %s at %v", fails, tt.code, tt.at)
				}
				// A refresh keeps the session_state: still not asked about.
				if _, err := e.m.Renew(context.Background(), "app"); err != nil {
					t.Fatal(err)
				}
				e.sleepUntil(time.Minute + time.Second)
				if n := len(f.questions()); n != 2 {
					t.Fatalf("%d questions, want 2: none after the failure, nor after a refresh", n)
				}
				if e.session() == nil {
					t.Fatal("the session ended")
				}
				// A new session_state is watched again.
				f.set(nil)
				e.op.SetSessionState("state-3")
				e.login()
				e.sleepUntil(time.Minute + 5*time.Second)
				if n := len(f.questions()); n != 4 {
					t.Fatalf("%d questions after a new sign-in, want 2 more", n)
				}
			})
		})
	}
}

// TestSessionMonitorStopAsksNoMore: after Stop nothing is asked and no
// event comes from a question in flight.
func TestSessionMonitorStopAsksNoMore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, f, mon := monitored(t, checking())
		e.sleepUntil(4 * time.Second)
		f.set(func(ctx context.Context, _ spa.CheckSessionTarget) (string, error) {
			<-ctx.Done()
			return "", ctx.Err()
		})
		e.sleepUntil(7 * time.Second) // the third question hangs
		mon.Stop()
		e.sleepUntil(time.Minute)
		if n := len(f.questions()); n != 3 {
			t.Fatalf("%d questions, want 3", n)
		}
		if fails := e.events.of(spa.EventCheckSessionFailed); len(fails) != 0 {
			t.Fatalf("checkSessionFailed %+v after Stop", fails)
		}
		if f.closed != 1 {
			t.Fatalf("iframe closed %d times, want once", f.closed)
		}
	})
}

func TestAcceptSessionReply(t *testing.T) {
	const op = "https://op.example"
	for _, tt := range []struct {
		name      string
		msgOrigin string
		ours      bool
		data      any
		want      string
		ok        bool
	}{
		{"changed", op, true, "changed", "changed", true},
		{"unchanged", op, true, "unchanged", "unchanged", true},
		{"error", op, true, "error", "error", true},
		{"origin in capitals", "HTTPS://OP.EXAMPLE", true, "changed", "changed", true},
		{"another origin", "https://evil.example", true, "changed", "", false},
		{"the page's own origin", "https://app.example", true, "unchanged", "", false},
		{"an opaque origin", "null", true, "changed", "", false},
		{"another window", op, false, "changed", "", false},
		{"not an answer", op, true, "Changed", "", false},
		{"not a string", op, true, map[string]any{"changed": true}, "", false},
		{"nil", op, true, nil, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := silentrefresh.AcceptSessionReply(op, tt.msgOrigin, tt.ours, tt.data)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("got %q %v, want %q %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	if _, ok := silentrefresh.AcceptSessionReply("null", "null", true, "changed"); ok {
		t.Fatal("an opaque frame origin was accepted")
	}
}
