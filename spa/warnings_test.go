package spa_test

import (
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/spa"
)

// TestUseRefreshTokenWithoutOneWarns: renewal would quietly fall back to
// the iframe; the authenticated event says so, and only then.
func TestUseRefreshTokenWithoutOneWarns(t *testing.T) {
	for _, tt := range []struct {
		scope      string
		useRefresh bool
		want       string // "" = no warning
	}{
		{"openid profile", true, `Add "offline_access" to scope`},
		{"openid profile offline_access", true, ""},
		{"openid profile", false, ""},
	} {
		c := cfg("a")
		c.Scope, c.UseRefreshToken = tt.scope, tt.useRefresh
		e := newEnv(t, c)
		e.login("a")
		var warning string
		e.mu.Lock()
		for _, ev := range e.events {
			if ev.Type == spa.EventAuthenticated {
				warning = ev.Warning
			}
		}
		e.mu.Unlock()
		if tt.want == "" && warning != "" || tt.want != "" && !strings.Contains(warning, tt.want) {
			t.Errorf("scope %q, useRefreshToken %v: warning %q, want %q", tt.scope, tt.useRefresh, warning, tt.want)
		}
	}
}
