// Command demo runs the oidcwasm demo on localhost until Ctrl-C: two
// development OpenID Providers, the static site with the bridge demo, and
// the sample APIs (see package demo). `make demo` runs it from dev/ after
// `make build`.
//
//	demo [-port 8080] [-api-port 8081] [-provider-a-port 9001] [-provider-b-port 9002]
//	     [-static DIR] [-access-token-lifetime 60s]
//	     [-issuer URL -client-id ID]
//
// It prints the app URL, the providers and the demo users. With -issuer and
// -client-id it starts no provider and points the demo at that one instead;
// the printed redirect URIs must be registered there.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/oidcwasm/oidcwasm/dev/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// flagOfServer names the flag that sets each server's port, for errors.
var flagOfServer = map[string]string{
	"app": "-port", "api": "-api-port", "provider-a": "-provider-a-port", "provider-b": "-provider-b-port",
}

// run is the whole command: 0 after a clean stop, 2 for bad flags, 1 when
// the demo cannot start.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, usage)
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, oneLine("demo: "+err.Error()))
		return 2
	}
	d, err := demo.Start(ctx, cfg)
	if err != nil {
		var pe *demo.PortError
		if errors.As(err, &pe) && pe.InUse() {
			err = fmt.Errorf("demo: port %d (%s server) is already in use; stop what holds it or pick another with %s",
				pe.Port, pe.Name, flagOfServer[pe.Name])
		}
		fmt.Fprintln(stderr, oneLine(err.Error()))
		return 1
	}
	printBanner(stdout, d)
	<-ctx.Done()
	fmt.Fprintln(stdout, "demo: stopping")
	if err := d.Close(); err != nil {
		fmt.Fprintln(stderr, oneLine("demo: stop: "+err.Error()))
		return 1
	}
	return 0
}

func printBanner(w io.Writer, d *demo.Demo) {
	s := d.Settings()
	type line struct{ label, value string }
	var lines []line
	for _, p := range s.Providers {
		v := p.Issuer
		if len(p.Users) > 0 {
			v += "  (users: " + strings.Join(p.Users, ", ") + ")"
		}
		lines = append(lines, line{p.Name, v})
		if p.SignOutURL != "" { // front-channel logout of every demo tab
			lines = append(lines, line{p.Name + " sign-out page", p.SignOutURL})
		}
	}
	for _, t := range s.Requests {
		lines = append(lines, line{t.Label, t.URL})
	}
	width := 0
	for _, l := range lines {
		width = max(width, len(l.label)+1)
	}
	fmt.Fprintf(w, "oidcwasm demo: %s/  (bridge demo: %s/bridge/; with config b's tokens in a service worker: %s/bridge/?custody=worker)\n", d.AppURL(), d.AppURL(), d.AppURL())
	for _, l := range lines {
		fmt.Fprintf(w, "  %-*s %s\n", width, l.label+":", l.value)
	}
	if d.ProviderA() == nil {
		fmt.Fprintf(w, "  register at the provider, for client %q:\n    redirect URIs: %s\n    post-logout redirect URIs: %s\n",
			s.Bridge.Configs[0].ClientID, strings.Join(d.RedirectURIs(), " "), strings.Join(d.PostLogoutRedirectURIs(), " "))
	}
	fmt.Fprintln(w, "Ctrl-C stops everything.")
}

// parseArgs turns the command line into a demo.Config; errors name the flag.
func parseArgs(args []string) (demo.Config, error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	appPort := fs.Int("port", demo.DefaultAppPort, "")
	apiPort := fs.Int("api-port", demo.DefaultAPIPort, "")
	portA := fs.Int("provider-a-port", demo.DefaultProviderAPort, "")
	portB := fs.Int("provider-b-port", demo.DefaultProviderBPort, "")
	static := fs.String("static", "", "")
	lifetime := fs.Duration("access-token-lifetime", 0, "")
	issuer := fs.String("issuer", "", "")
	clientID := fs.String("client-id", "", "")
	if err := fs.Parse(args); err != nil {
		return demo.Config{}, err
	}
	if fs.NArg() > 0 {
		return demo.Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"port", *appPort}, {"api-port", *apiPort}, {"provider-a-port", *portA}, {"provider-b-port", *portB}} {
		if p.v < 1 || p.v > 65535 {
			return demo.Config{}, fmt.Errorf("-%s %d: want 1 to 65535", p.name, p.v)
		}
	}
	if *lifetime < 0 {
		return demo.Config{}, fmt.Errorf("-access-token-lifetime %v: must be positive", *lifetime)
	}
	if (*issuer == "") != (*clientID == "") {
		return demo.Config{}, errors.New("-issuer and -client-id go together (make demo ISSUER=... CLIENT_ID=...)")
	}
	dir := *static
	if dir == "" {
		var err error
		if dir, err = findStatic(); err != nil {
			return demo.Config{}, err
		}
	}
	return demo.Config{
		StaticDir: dir, AppPort: *appPort, APIPort: *apiPort, ProviderAPort: *portA, ProviderBPort: *portB,
		AccessTokenLifetime: *lifetime, Issuer: *issuer, ClientID: *clientID,
	}, nil
}

// findStatic looks for the repository's static/ folder from the working
// directory upwards (make demo runs in dev/).
func findStatic() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fi, err := os.Stat(filepath.Join(dir, "wasm", "oidc.js")); err == nil && !fi.IsDir() {
			return filepath.Join(dir, "static"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the repository's static/ folder from here; pass -static DIR")
		}
		dir = parent
	}
}

// oneLine keeps an error message on one line of stderr.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

const usage = `usage: demo [flags]

Runs the oidcwasm demo on localhost until Ctrl-C: two development OpenID
Providers, the static site (static/, built by make build) and the sample APIs.

  -port N                     app server: static site, /demo.json, API A (default 8080)
  -api-port N                 API B and the other-port look-alike (default 8081)
  -provider-a-port N          development provider A (default 9001)
  -provider-b-port N          development provider B (default 9002)
  -static DIR                 the static/ folder (default: found from the working directory)
  -access-token-lifetime D    access token lifetime at the bundled providers (default 60s)
  -issuer URL -client-id ID   use this external provider instead of the bundled ones
                              (make demo ISSUER=... CLIENT_ID=...)
`
