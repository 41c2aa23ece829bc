package devop_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/oidcwasm/oidcwasm/dev/devop"
)

// An end-to-end test starts a provider in process, points the SPA at its
// issuer and uses the switches to provoke the cases it wants to see.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // also stops the provider

	srv, err := devop.Start(ctx, devop.Config{
		Clients: []devop.Client{{
			ID:                     "spa",
			RedirectURIs:           []string{"http://localhost:8080/", "http://localhost:8080/silent-refresh.html"},
			PostLogoutRedirectURIs: []string{"http://localhost:8080/"},
			Origins:                []string{"http://localhost:8080"},
		}},
		AutoLogin: "alice", // no login form in browser tests
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	_ = srv.FailNextToken(1, devop.FailStatus500) // the next token request fails
	_ = srv.Delay(devop.EndpointUserinfo, 0)      // no delay on userinfo
	// ... drive the SPA ...
	fmt.Println(strings.HasPrefix(srv.Issuer(), "http://localhost:"), srv.Counts()["token"])
	// Output: true 0
}
