package spa_test

import (
	"context"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
)

// TestNoClockSkewAllowsNoLeeway: with NoClockSkew an ID token that expired a
// second before it is verified is refused; the default 60 s accepts it.
func TestNoClockSkewAllowsNoLeeway(t *testing.T) {
	for _, tc := range []struct {
		name string
		skew time.Duration
		code string
	}{
		{"default", 0, ""},
		{"none", spa.NoClockSkew, spa.CodeInvalidIDToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			c := cfg("a")
			c.ClockSkew = tc.skew
			m := e.managerWithTokenHookOf(c, nil, func(string, *spa.Response) {
				e.clk.Advance(time.Hour + time.Second) // the ID token's exp is an hour after its iat
			})
			_, err := e.op.Login(context.Background(), m, "a")
			if spa.ErrorCode(err) != tc.code {
				t.Fatalf("sign-in with an ID token expired 1 s ago: %v, want code %q", err, tc.code)
			}
		})
	}
}
