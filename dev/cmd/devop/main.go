// Command devop runs the development OpenID Provider of package devop on
// loopback until SIGINT or SIGTERM.
//
//	devop [-port 5556] [-host 127.0.0.1] [-issuer URL] [-config file.json]
//	      [-client 'id=spa,redirect=URL,postlogout=URL,origin=ORIGIN']...
//	      [-access-token-lifetime 60s] [-id-token-lifetime 5m]
//	      [-refresh-token-lifetime 8h] [-key-grace-period 1h] [-auto-login alice]
//	      [-require-par] [-par-lifetime 60s] [-dpop-proof-window 60s]
//
// It prints one line with the issuer and the demo users. Without any client
// it registers the demo client "demo" for http://localhost:8080/. Bad input
// exits non-zero with one line on stderr naming the setting.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/oidcwasm/oidcwasm/dev/devop"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command: it returns the exit code, 0 after a clean stop
// when ctx is done, 2 for bad input, 1 when the provider cannot start.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, usage)
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, oneLine("devop: "+err.Error()))
		return 2
	}
	srv, err := devop.Start(ctx, cfg)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) {
			_, port, _ := net.SplitHostPort(cfg.Addr)
			err = fmt.Errorf("devop: -port %s: %w", port, opErr)
		}
		fmt.Fprintln(stderr, oneLine(err.Error()))
		return 1
	}
	var users []string
	for _, u := range srv.Users() {
		users = append(users, u.Username+"/"+u.Password)
	}
	fmt.Fprintf(stdout, "devop: issuer %s (users: %s)\n", srv.Issuer(), strings.Join(users, ", "))
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		fmt.Fprintln(stderr, oneLine("devop: stop: "+err.Error()))
		return 1
	}
	return 0
}

// oneLine keeps an error message on one line of stderr.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

const usage = `usage: devop [flags]

Runs the development OpenID Provider on loopback until SIGINT/SIGTERM.

  -port N                     port to listen on, 0 = random (default 5556)
  -host HOST                  loopback host to listen on (default 127.0.0.1)
  -issuer URL                 issuer (default http://localhost:PORT)
  -client SPEC                register a client; repeatable. SPEC is comma-separated
                              key=value pairs, keys repeatable except id:
                              id=ID, redirect=URL, postlogout=URL, origin=ORIGIN, secret=S,
                              frontchannel=URL (frontchannel_logout_uri, with iss and sid)
                              e.g. 'id=spa-a,redirect=http://localhost:8080/,postlogout=http://localhost:8080/,origin=http://localhost:8080'
                              (default: id=demo for http://localhost:8080/ and its silent-refresh.html)
  -config FILE                JSON file with the same settings (flags override it):
                              {"port":5556,"host":"127.0.0.1","issuer":"",
                               "clients":[{"id":"","redirect_uris":[],"post_logout_redirect_uris":[],"origins":[],"secret":"",
                                           "frontchannel_logout_uri":"","frontchannel_logout_session_required":false}],
                               "users":[{"username":"","password":"","sub":"","name":"","given_name":"",
                                         "family_name":"","email":"","email_verified":true}],
                               "access_token_lifetime":"60s","id_token_lifetime":"5m",
                               "refresh_token_lifetime":"8h","key_grace_period":"1h","auto_login":"",
                               "require_pushed_authorization_requests":false,"pushed_request_lifetime":"60s",
                               "dpop_proof_window":"60s"}
  -access-token-lifetime D    access token lifetime (default 60s)
  -id-token-lifetime D        ID token lifetime (default 5m)
  -refresh-token-lifetime D   refresh token lifetime (default 8h)
  -key-grace-period D         how long a rotated-out key stays in the JWKS (default 1h)
  -auto-login USER            sign USER in without the login page (tests only)
  -require-par                refuse authorization requests not pushed to /par (RFC 9126 §5)
  -par-lifetime D             lifetime of a /par request_uri (default 60s)
  -dpop-proof-window D        how far a DPoP proof's iat may be off (default 60s, RFC 9449)

Pages: GET /signout shows the browser's session and signs it out with front-channel logout of its
clients; /check_session is the check_session_iframe (OpenID Connect Session Management 1.0).
Test switches: POST /admin/fail-token?n=1&mode=500|close, /admin/delay?endpoint=token&duration=2s,
/admin/rotate-key, /admin/end-sessions, /admin/auto-login?user=alice, /admin/counts/reset,
/admin/dpop-nonce?on=1|0, /admin/dpop-nonce/rotate; GET /admin/counts. Loopback clients only.
`
