package silentrefresh

import (
	"errors"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/spa"
)

func TestCrossSite(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"http://localhost:8080/silent-refresh.html", "http://localhost:9001", false}, // ports do not make sites
		{"http://localhost:8080/", "http://127.0.0.1:9001", true},
		{"https://app.example.com/s", "https://login.example.com", false},
		{"https://app.example.com/s", "https://login.example.net", true},
		{"https://app.example.com/s", "http://app.example.com", true}, // schemeful
		{"https://APP.Example.com./s", "https://example.com", false},
		{"http://127.0.0.1:1/", "http://127.0.0.1:2", false},
		{"http://[::1]:1/", "http://127.0.0.1:2", true},
		{"http://10.0.0.1/", "http://10.0.0.2", true}, // an address is a site of its own, not "0.1"
		{"::not a url", "https://op.example", false},
		{"", "https://op.example", false},
	} {
		if got := crossSite(tc.a, tc.b); got != tc.want {
			t.Errorf("crossSite(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestThirdPartyCookieHint(t *testing.T) {
	loginRequired := &spa.Error{Code: spa.CodeLoginRequired, ConfigID: "x", Message: "the provider refused the authorization request: login_required", Description: "no session"}
	cross := &spa.Config{ConfigID: "x", Authority: "http://127.0.0.1:9001", SilentRenewURL: "http://localhost:8080/silent-refresh.html"}
	same := &spa.Config{ConfigID: "x", Authority: "http://localhost:9001", SilentRenewURL: "http://localhost:8080/silent-refresh.html"}

	got := thirdPartyCookieHint(loginRequired, cross)
	var e *spa.Error
	if !errors.As(got, &e) || e.Code != spa.CodeLoginRequired || e.ConfigID != "x" || e.Description != "no session" {
		t.Fatalf("hinted error %#v: want login_required for x with the provider's description", got)
	}
	for _, want := range []string{"http://127.0.0.1:9001", "http://localhost:8080", "another site", "third-party cookies", "useRefreshToken: true", "offline_access"} {
		if !strings.Contains(e.Error(), want) {
			t.Errorf("the message lacks %q: %s", want, e.Error())
		}
	}
	if !strings.HasPrefix(e.Message, loginRequired.Message) {
		t.Errorf("the provider's refusal is no longer at the start: %s", e.Message)
	}
	if loginRequired.Message != "the provider refused the authorization request: login_required" {
		t.Errorf("the original error changed: %s", loginRequired.Message)
	}
	for name, tc := range map[string]struct {
		err error
		cfg *spa.Config
	}{
		"same site":            {loginRequired, same},
		"consent_required":     {&spa.Error{Code: "consent_required", Message: "m"}, cross},
		"interaction_required": {&spa.Error{Code: "interaction_required", Message: "m"}, cross},
		"not an spa.Error":     {errors.New("plain"), cross},
		"nil":                  {nil, cross},
	} {
		if got := thirdPartyCookieHint(tc.err, tc.cfg); got != tc.err {
			t.Errorf("%s: %v changed to %v", name, tc.err, got)
		}
	}
}
