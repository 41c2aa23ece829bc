package spa_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/oidcwasm/oidcwasm/spa"
)

// TestLoggedOutSaysWhoEndedTheSession: docs/DESIGN.md "Sign-out from elsewhere":
// a session the provider ended ends with loggedOut reason "provider"; one
// this app ended has no reason.
func TestLoggedOutSaysWhoEndedTheSession(t *testing.T) {
	for _, tt := range []struct {
		name   string
		end    func(e *env)
		reason string
		code   string
	}{
		{"logoffLocal", func(e *env) { e.m.LogoffLocal("a") }, "", ""},
		{"logoff", func(e *env) { e.m.Logoff(context.Background(), "a", spa.EndSessionOptions{}) }, "", ""},
		{"refresh answered invalid_grant", func(e *env) {
			e.op.RevokeRefreshTokens()
			e.m.Renew(context.Background(), "a")
		}, spa.ReasonProvider, "invalid_grant"},
		{"refresh answered with an ID token of another user", func(e *env) {
			e.op.SetSubject("bob")
			e.m.Renew(context.Background(), "a")
		}, "", spa.CodeInvalidIDToken},
		{"userinfo answered 401", func(e *env) {
			e.op.Handle("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				w.WriteHeader(http.StatusUnauthorized)
			})
			e.m.UserInfo(context.Background(), "a")
		}, spa.ReasonProvider, spa.CodeLoginRequired},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.login("a")
			tt.end(e)
			lo := e.loggedOut()
			if len(lo) != 1 || lo[0].Reason != tt.reason || lo[0].Code != tt.code {
				t.Fatalf("loggedOut %+v, want one with reason %q and code %q", lo, tt.reason, tt.code)
			}
		})
	}
}

// TestAUserinfo401EndsTheSessionOnce: the provider refusing the session's
// token at userinfo ends the session (without a retry), once; a token a
// renewal replaced meanwhile is not the session's, and its refusal ends
// nothing.
func TestAUserinfo401EndsTheSessionOnce(t *testing.T) {
	refuse := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
	}
	e := newEnv(t)
	e.login("a")
	e.op.Handle("GET /userinfo", refuse)
	before := e.op.Requests("/userinfo")
	_, err := e.m.UserInfo(context.Background(), "a")
	wantCode(t, err, spa.CodeLoginRequired)
	_, err = e.m.UserInfo(context.Background(), "a")
	wantCode(t, err, spa.CodeLoginRequired)
	if n := e.op.Requests("/userinfo") - before; n != 1 {
		t.Errorf("%d userinfo requests, want 1: no retry, and none without a session", n)
	}
	if e.m.IsAuthenticated("a") || len(e.loggedOut()) != 1 {
		t.Fatalf("signed in %v, %d loggedOut: want signed out once", e.m.IsAuthenticated("a"), len(e.loggedOut()))
	}

	t.Run("renewed meanwhile", func(t *testing.T) {
		e := newEnv(t)
		e.login("a")
		e.op.Handle("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
			if _, err := e.m.Renew(context.Background(), "a"); err != nil { // another caller renews first
				t.Error(err)
			}
			refuse(w, r)
		})
		_, err := e.m.UserInfo(context.Background(), "a")
		wantCode(t, err, spa.CodeLoginRequired)
		if !e.m.IsAuthenticated("a") || len(e.loggedOut()) != 0 {
			t.Fatal("a refusal of a replaced token ended the session")
		}
	})
}

// TestTheCallbackKeepsSessionState: Session Management 1.0 §2: the
// authorization response's session_state is kept with the session, and a
// silent renewal's answer replaces it.
func TestTheCallbackKeepsSessionState(t *testing.T) {
	e := newEnv(t)
	e.op.SetSessionState("abc.salt")
	if s := e.login("a"); s.SessionState != "abc.salt" {
		t.Fatalf("session_state %q", s.SessionState)
	}
	e.op.SetSessionState("")
	if s := e.login("a"); s.SessionState != "" {
		t.Fatalf("session_state %q from a response without one", s.SessionState)
	}
}

// TestEndedElsewhereCarriesTheReason: another tab's session ended with a
// reason (its broadcast says so): this tab's loggedOut has that reason too,
// for a tab's own session and for a shared one the other tab removed; a
// shared session still in the store is not dropped (the other tab's write
// has not arrived yet).
func TestEndedElsewhereCarriesTheReason(t *testing.T) {
	for _, storage := range []string{spa.StorageSession, spa.StorageLocal} {
		t.Run(storage, func(t *testing.T) {
			c := cfg("a")
			c.Storage = storage
			e := newEnv(t, c)
			e.login("a")
			if storage == spa.StorageLocal {
				done, err := e.m.EndedElsewhere("a", spa.ReasonProvider)
				if err != nil || done || !e.m.IsAuthenticated("a") || len(e.loggedOut()) != 0 {
					t.Fatalf("with the session still stored: done %v, err %v, signed in %v: want to wait, signed in", done, err, e.m.IsAuthenticated("a"))
				}
				e.stores[spa.StorageLocal].Remove("oidcwasm.a.session") // the other tab's logoff arrives
			}
			done, err := e.m.EndedElsewhere("a", spa.ReasonProvider)
			if err != nil || !done || e.m.IsAuthenticated("a") {
				t.Fatalf("done %v, err %v, signed in %v", done, err, e.m.IsAuthenticated("a"))
			}
			if lo := e.loggedOut(); len(lo) != 1 || lo[0].Reason != spa.ReasonProvider {
				t.Fatalf("loggedOut %+v, want one with reason provider", lo)
			}
			if done, _ := e.m.EndedElsewhere("a", spa.ReasonProvider); !done || len(e.loggedOut()) != 1 {
				t.Fatal("a second message ended something again")
			}
		})
	}
}
