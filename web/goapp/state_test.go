package goapp

import (
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
)

func TestNextStateFollowsEventsAndSession(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sess := &spa.Session{ConfigID: "a", AccessToken: "at", RefreshToken: "rt", IssuedAt: t0, ExpiresAt: t0.Add(time.Minute),
		Claims: &spa.IDTokenClaims{Subject: "alice"}, UserData: map[string]any{"name": "Alice"}}
	failed := AuthState{ConfigID: "a", Ready: true, ErrorCode: "network", Error: "down", Renewing: true}
	tests := []struct {
		name string
		prev AuthState
		sess *spa.Session
		now  time.Time
		ev   *spa.Event
		want func(AuthState) bool
	}{
		{"session without event keeps the event fields", AuthState{Ready: true, Event: spa.EventConfigLoaded}, sess, t0, nil,
			func(s AuthState) bool {
				return s.Ready && s.SignedIn && s.Subject == "alice" && s.Claims["name"] == "Alice" && s.RefreshToken &&
					s.RenewAt.Equal(t0.Add(45*time.Second)) && s.Event == spa.EventConfigLoaded
			}},
		{"expired access token is signed out but keeps the claims", AuthState{}, sess, t0.Add(time.Minute), nil,
			func(s AuthState) bool { return !s.SignedIn && s.Subject == "alice" }},
		{"no session clears everything of the session", AuthState{SignedIn: true, Subject: "x", Claims: map[string]any{}}, nil, t0, nil,
			func(s AuthState) bool {
				return !s.SignedIn && s.Subject == "" && s.Claims == nil && s.ExpiresAt.IsZero()
			}},
		{"renewal started", AuthState{}, sess, t0, &spa.Event{Type: spa.EventSilentRenewStarted, Method: spa.MethodIframe},
			func(s AuthState) bool { return s.Renewing && s.RenewMethod == spa.MethodIframe && s.EventAt.Equal(t0) }},
		{"refreshed clears the error", failed, sess, t0, &spa.Event{Type: spa.EventTokenRefreshed},
			func(s AuthState) bool { return !s.Renewing && s.ErrorCode == "" && s.Error == "" }},
		{"renewal failed", AuthState{Renewing: true}, sess, t0, &spa.Event{Type: spa.EventSilentRenewFailed, Code: "timeout", Message: "m"},
			func(s AuthState) bool { return !s.Renewing && s.ErrorCode == "timeout" && s.Error == "m" }},
		{"logged out on request clears the error", failed, nil, t0, &spa.Event{Type: spa.EventLoggedOut},
			func(s AuthState) bool { return s.ErrorCode == "" && !s.SignedIn }},
		{"ended by the provider keeps the renewal's error", failed, nil, t0, &spa.Event{Type: spa.EventLoggedOut, Code: "invalid_grant"},
			func(s AuthState) bool { return s.ErrorCode == "network" }},
		{"ended by the provider says so", AuthState{}, nil, t0, &spa.Event{Type: spa.EventLoggedOut, Code: "login_required"},
			func(s AuthState) bool { return s.ErrorCode == "login_required" && s.Error != "" }},
		{"signed out at the provider says who", AuthState{SignedIn: true}, nil, t0, &spa.Event{Type: spa.EventLoggedOut, Reason: spa.ReasonProvider},
			func(s AuthState) bool {
				return !s.SignedIn && s.LogoutReason == spa.ReasonProvider && s.ErrorCode == "" && s.Error == ""
			}},
		{"logged out on request has no reason", AuthState{LogoutReason: spa.ReasonProvider}, nil, t0, &spa.Event{Type: spa.EventLoggedOut},
			func(s AuthState) bool { return s.LogoutReason == "" }},
		{"a sign-in clears the reason", AuthState{LogoutReason: spa.ReasonProvider}, sess, t0, &spa.Event{Type: spa.EventAuthenticated},
			func(s AuthState) bool { return s.SignedIn && s.LogoutReason == "" }},
		{"check-session failed", AuthState{}, sess, t0, &spa.Event{Type: spa.EventCheckSessionFailed, Code: "timeout", Message: "m"},
			func(s AuthState) bool { return s.SignedIn && s.ErrorCode == "timeout" && s.Error == "m" }},
		{"per-API tokens show their lifetimes, never a token", AuthState{}, func() *spa.Session {
			s := *sess
			s.APITokens = map[string]*spa.APIToken{"resource=https%3A%2F%2Fb": {Resource: "https://b", Scope: "b.read", AccessToken: "secret-b",
				IssuedAt: t0, ExpiresAt: t0.Add(2 * time.Minute)}}
			return &s
		}(), t0, nil,
			func(s AuthState) bool {
				if len(s.APITokens) != 1 {
					return false
				}
				a := s.APITokens[0]
				return a.Resource == "https://b" && a.Scope == "b.read" &&
					a.IssuedAt.Equal(t0) && a.RenewAt.Equal(t0.Add(90*time.Second)) && a.ExpiresAt.Equal(t0.Add(2*time.Minute))
			}},
		{"signed out drops the per-API tokens", AuthState{APITokens: []APITokenState{{Resource: "https://b"}}}, nil, t0, nil,
			func(s AuthState) bool { return s.APITokens == nil }},
		{"revoked access token", AuthState{}, &spa.Session{Claims: &spa.IDTokenClaims{Subject: "alice"}, ExpiresAt: t0.Add(-time.Second)}, t0, nil,
			func(s AuthState) bool { return !s.SignedIn && s.ExpiresAt.IsZero() && s.RenewAt.IsZero() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextState(tt.prev, tt.sess, 0.75, tt.now, tt.ev); !tt.want(got) {
				t.Errorf("nextState = %+v", got)
			}
		})
	}
}
