package spa_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/internal/fakeop"
	"github.com/oidcwasm/oidcwasm/silentrefresh"
	"github.com/oidcwasm/oidcwasm/spa"
)

func csConfig(id string) spa.Config {
	c := cfg(id)
	c.CheckSession = true
	c.UseRefreshToken = true
	return c
}

// csEnv is a Manager that renews by refresh token and, when asked for
// prompt=none, in a "hidden iframe" played by the fake provider; signed in
// to config "a" (check-session on) with session_state "state-1".
func csEnv(t *testing.T, configs ...spa.Config) *env {
	t.Helper()
	if len(configs) == 0 {
		configs = []spa.Config{csConfig("a")}
	}
	clk := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	e := &env{t: t, op: fakeop.New(t, clk), clk: clk, stores: map[string]spa.Store{
		spa.StorageSession: spa.NewMemoryStore(), spa.StorageLocal: spa.NewMemoryStore(), spa.StorageMemory: spa.NewMemoryStore()}}
	frame := silentrefresh.FrameFunc(func(_ context.Context, r spa.AuthRequest) (string, error) { return e.op.Authorize(r.URL) })
	e.m = spa.NewManager(spa.Options{Fetcher: e.op.Fetcher(), Stores: e.stores, Clock: clk, Renewer: silentrefresh.New(frame)})
	e.m.Subscribe(func(ev spa.Event) { e.mu.Lock(); e.events = append(e.events, ev); e.mu.Unlock() })
	if err := e.m.Configure(context.Background(), configs); err != nil {
		t.Fatal(err)
	}
	e.op.SetSessionState("state-1")
	e.login("a")
	return e
}

func (e *env) target(id string) spa.CheckSessionTarget {
	e.t.Helper()
	t, ok := e.m.CheckSessionTarget(id)
	if !ok {
		e.t.Fatalf("no check-session target for %s", id)
	}
	return t
}

func (e *env) ofType(typ spa.EventType) []spa.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []spa.Event
	for _, ev := range e.events {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// TestCheckSessionTargetIsTheClientAndTheSessionState: OpenID Connect
// Session Management 1.0 §2 and §3.2: the session keeps the authorization
// response's session_state, and the message is client_id + " " +
// session_state, to the check_session_iframe's origin.
func TestCheckSessionTargetIsTheClientAndTheSessionState(t *testing.T) {
	e := csEnv(t)
	got := e.target("a")
	if got.Message != "client-a state-1" || got.IframeURL != fakeop.Issuer+"/check_session" || got.Origin != fakeop.Issuer ||
		got.Interval != 3*time.Second || got.Timeout != 20*time.Second {
		t.Fatalf("target %+v", got)
	}
	// Kept across a refresh (the provider's browser session did not change)
	// and a reload.
	if _, err := e.m.Renew(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if n := len(e.op.Tokens("refresh_token")); n != 1 {
		t.Fatalf("%d refresh grants, want the usual renewal to use the refresh token", n)
	}
	m := e.manager()
	if err := m.Configure(context.Background(), []spa.Config{csConfig("a")}); err != nil {
		t.Fatal(err)
	}
	if again, ok := m.CheckSessionTarget("a"); !ok || again.Message != "client-a state-1" {
		t.Fatalf("after a refresh and a reload: %+v %v", again, ok)
	}

	for _, tt := range []struct {
		name string
		env  func(t *testing.T) *env
	}{
		{"checkSession off", func(t *testing.T) *env {
			c := csConfig("a")
			c.CheckSession = false
			return csEnv(t, c)
		}},
		{"no session_state in the response", func(t *testing.T) *env {
			e := csEnv(t)
			e.op.SetSessionState("")
			e.login("a")
			return e
		}},
		{"signed out", func(t *testing.T) *env {
			e := csEnv(t)
			e.m.LogoffLocal("a")
			return e
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := tt.env(t).m.CheckSessionTarget("a"); ok {
				t.Fatalf("target %+v, want none", got)
			}
		})
	}
	t.Run("no check_session_iframe", func(t *testing.T) {
		e := csEnv(t)
		var doc map[string]any
		resp, _ := e.op.Fetcher().Fetch(context.Background(), &spa.Request{Method: "GET", URL: fakeop.Issuer + "/.well-known/openid-configuration"})
		json.Unmarshal(resp.Body, &doc)
		delete(doc, "check_session_iframe")
		e.op.Handle("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(doc)
		})
		for k := range e.stores {
			e.stores[k] = spa.NewMemoryStore()
		}
		e.events = nil
		m := e.manager()
		if err := m.Configure(context.Background(), []spa.Config{csConfig("a")}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.op.Login(context.Background(), m, "a"); err != nil {
			t.Fatal(err)
		}
		if got, ok := m.CheckSessionTarget("a"); ok {
			t.Fatalf("target %+v, want none", got)
		}
		if w := e.events[0]; w.Type != spa.EventConfigLoaded || !strings.Contains(w.Warning, "check_session_iframe") {
			t.Fatalf("configLoaded %+v, want a warning naming check_session_iframe", w)
		}
	})
}

// TestCheckSessionAnswers: what each answer of the check_session_iframe
// does (docs/DESIGN.md "Sign-out from elsewhere"; Session Management 1.0 §3.2,
// §5): "changed" starts one prompt=none renewal, in the iframe even though
// the session has a refresh token, and that renewal decides.
func TestCheckSessionAnswers(t *testing.T) {
	for _, tt := range []struct {
		name      string
		setup     func(e *env)
		answer    string
		err       error
		keepAsk   bool
		signedIn  bool
		silent    int    // prompt=none requests
		failed    string // the code of checkSessionFailed, "" none
		reason    string // of loggedOut
		nextState string // the session_state watched next
	}{
		{name: "unchanged", answer: "unchanged", keepAsk: true, signedIn: true, nextState: "state-1"},
		{name: "changed, the provider's session is over", answer: "changed",
			setup: func(e *env) { e.op.SetSilentError("login_required") }, silent: 1, reason: spa.ReasonProvider},
		{name: "changed, another user signed in there", answer: "changed",
			setup: func(e *env) { e.op.SetSubject("bob"); e.op.SetSessionState("state-bob") }, silent: 1, reason: spa.ReasonProvider},
		{name: "changed, the same user again", answer: "changed",
			setup: func(e *env) { e.op.SetSessionState("state-2") }, keepAsk: true, signedIn: true, silent: 1, nextState: "state-2"},
		{name: "changed, but the same session_state comes back", answer: "changed", signedIn: true, silent: 1,
			failed: spa.CodeInvalidResponse, nextState: "state-1"},
		{name: "changed, and no session_state comes back", answer: "changed", setup: func(e *env) { e.op.SetSessionState("") },
			signedIn: true, silent: 1, failed: spa.CodeInvalidResponse},
		{name: "changed, and the renewal fails on its way", answer: "changed",
			setup: func(e *env) { e.op.SetTokenFault(&fakeop.Fault{Network: true}) }, signedIn: true, silent: 1, failed: spa.CodeNetwork, nextState: "state-1"},
		{name: "error", answer: "error", signedIn: true, failed: "invalid_request", nextState: "state-1"},
		{name: "no answer in time", err: context.DeadlineExceeded, signedIn: true, failed: spa.CodeTimeout, nextState: "state-1"},
		{name: "the iframe failed", err: errors.New("gone"), signedIn: true, failed: spa.CodeNetwork, nextState: "state-1"},
		{name: "not an answer", answer: "maybe", keepAsk: true, signedIn: true, nextState: "state-1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := csEnv(t)
			asked := e.target("a")
			if tt.setup != nil {
				tt.setup(e)
			}
			_, silentBefore := e.op.Authorizes()
			keep := e.m.CheckSessionAnswer(context.Background(), "a", asked, tt.answer, tt.err)
			if keep != tt.keepAsk {
				t.Errorf("keep asking %v, want %v", keep, tt.keepAsk)
			}
			if got := e.m.IsAuthenticated("a"); got != tt.signedIn {
				t.Errorf("signed in %v, want %v (events %v)", got, tt.signedIn, e.eventTypes())
			}
			if _, silent := e.op.Authorizes(); silent-silentBefore != tt.silent {
				t.Errorf("%d prompt=none requests, want %d", silent-silentBefore, tt.silent)
			}
			if n := len(e.op.Tokens("refresh_token")); n != 0 {
				t.Errorf("%d refresh grants: the renewal after changed must ask the authorization endpoint", n)
			}
			fails := e.ofType(spa.EventCheckSessionFailed)
			switch {
			case tt.failed == "" && len(fails) != 0:
				t.Errorf("checkSessionFailed %+v, want none", fails)
			case tt.failed != "" && (len(fails) != 1 || fails[0].Code != tt.failed || fails[0].ConfigID != "a"):
				t.Errorf("checkSessionFailed %+v, want one with code %s", fails, tt.failed)
			}
			lo := e.ofType(spa.EventLoggedOut)
			if tt.signedIn != (len(lo) == 0) || len(lo) > 1 || len(lo) == 1 && lo[0].Reason != tt.reason {
				t.Errorf("loggedOut %+v, want reason %q once when signed out", lo, tt.reason)
			}
			next, ok := e.m.CheckSessionTarget("a")
			if tt.nextState == "" && ok || tt.nextState != "" && next.Message != "client-a "+tt.nextState {
				t.Errorf("next target %+v (%v), want session_state %q", next, ok, tt.nextState)
			}
		})
	}
}

// TestCheckSessionAnswerAboutAnOldStateChangesNothing: another tab renewed
// (a new session_state) between the question and the answer.
func TestCheckSessionAnswerAboutAnOldStateChangesNothing(t *testing.T) {
	e := csEnv(t)
	asked := e.target("a")
	e.op.SetSessionState("state-2")
	e.login("a")
	_, before := e.op.Authorizes()
	if !e.m.CheckSessionAnswer(context.Background(), "a", asked, "changed", nil) {
		t.Fatal("stopped asking")
	}
	if _, after := e.op.Authorizes(); after != before || len(e.ofType(spa.EventCheckSessionFailed)) != 0 || !e.m.IsAuthenticated("a") {
		t.Fatalf("renewed or failed on an answer about the old state (events %v)", e.eventTypes())
	}
}
