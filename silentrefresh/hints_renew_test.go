package silentrefresh_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/oidcwasm/oidcwasm/spa"
)

// TestIframeLoginRequiredNamesThirdPartyCookiesForACrossSiteProvider: the
// renewal's error says why a signed-in user got login_required, and what to
// do, when the provider is on another site; on the app's own site it does
// not guess.
func TestIframeLoginRequiredNamesThirdPartyCookiesForACrossSiteProvider(t *testing.T) {
	for _, tc := range []struct {
		name, redirect string
		hint           bool
	}{
		{"provider on another site", "https://app.example/callback", true},
		{"provider on the app's site", "https://app.op.example/callback", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := setup(t, spa.Config{RedirectURL: tc.redirect}, true)
				e.login()
				e.op.SetSilentError("login_required")
				_, err := e.m.Renew(context.Background(), "app")
				if spa.ErrorCode(err) != spa.CodeLoginRequired {
					t.Fatalf("Renew: %v, want login_required", err)
				}
				msg := err.Error()
				if got := strings.Contains(msg, "third-party cookies") && strings.Contains(msg, "useRefreshToken: true") &&
					strings.Contains(msg, "offline_access"); got != tc.hint {
					t.Errorf("hint %v, want %v: %s", got, tc.hint, msg)
				}
			})
		})
	}
}
