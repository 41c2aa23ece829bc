package demo

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/devop"
)

// Config configures a demo. Every field except StaticDir has a useful zero
// value; port 0 picks a free port (tests), the command passes fixed ports.
type Config struct {
	// StaticDir is the static/ folder of the repository, as `make build`
	// leaves it (static/oidc/oidc.wasm must exist). Required.
	StaticDir string

	// AppPort serves the static site, /demo.json, silent-refresh.html and
	// API A on http://localhost:AppPort.
	AppPort int
	// APIPort serves API B, and the "same host, other port" look-alike, on
	// http://localhost:APIPort.
	APIPort int
	// ProviderAPort and ProviderBPort are the ports of the two bundled
	// development providers (issuers http://localhost:PORT).
	ProviderAPort, ProviderBPort int

	// AutoLogin signs this user in at both bundled providers without the
	// login form (tests). "" shows the form, as the demo does.
	AutoLogin string
	// AccessTokenLifetime of the bundled providers; default 60s, short so
	// renewals are visible.
	AccessTokenLifetime time.Duration

	// Issuer and ClientID, when set, point the demo at an external OpenID
	// Provider instead of the bundled ones: demo.json then holds one config
	// ("a") for it, API A checks its tokens, and no provider is started.
	// The redirect URIs printed by RedirectURIs must be registered there.
	Issuer, ClientID string

	// Mount adds handlers to the app server, keyed by http.ServeMux
	// pattern (for example "/e2e/" for test pages). A pattern may not
	// shadow the demo's own paths.
	Mount map[string]http.Handler
	// RedirectPaths are extra paths on the app origin (for example "/e2e/")
	// registered at the bundled providers as redirect and post-logout
	// redirect URIs of both demo clients.
	RedirectPaths []string
}

// Default ports of cmd/demo.
const (
	DefaultAppPort       = 8080
	DefaultAPIPort       = 8081
	DefaultProviderAPort = 9001
	DefaultProviderBPort = 9002
)

// API C is on the API server under APICPath and takes only tokens for its
// own audience: aud = its resource indicator (APIURL + APICPath, RFC 8707)
// with scope APICScope. Config a's route entry for it names that resource,
// so it gets a token of its own from provider A with the same sign-in.
const (
	APICPath  = "/api/c"
	APICScope = "api-c.read"
)

// Client IDs of the demo clients at the bundled providers, and of the
// confidential client the sample APIs introspect tokens with (RFC 7662).
const (
	ClientA   = "demo-a"
	ClientB   = "demo-b"
	apiClient = "sample-api"
)

// PortError reports a port that could not be listened on, usually because
// another program holds it. Name says which server wanted it ("app",
// "api", "provider-a", "provider-b").
type PortError struct {
	Name string
	Port int
	Err  error
}

func (e *PortError) Error() string {
	if isAddrInUse(e.Err) {
		return fmt.Sprintf("demo: %s server: port %d is already in use", e.Name, e.Port)
	}
	return fmt.Sprintf("demo: %s server: cannot listen on port %d: %v", e.Name, e.Port, e.Err)
}

func (e *PortError) Unwrap() error { return e.Err }

// InUse reports whether the port is held by another program.
func (e *PortError) InUse() bool { return isAddrInUse(e.Err) }

func isAddrInUse(err error) bool {
	return err != nil && strings.Contains(err.Error(), "address already in use")
}

// withDefaults fills zero values.
func (c Config) withDefaults() Config {
	if c.AccessTokenLifetime == 0 {
		c.AccessTokenLifetime = devop.DefaultAccessTokenLifetime
	}
	c.Issuer = strings.TrimSuffix(c.Issuer, "/")
	return c
}

// validate checks the config; errors name the field.
func (c Config) validate() error {
	if c.StaticDir == "" {
		return errors.New("demo: StaticDir is required (the repository's static/ folder)")
	}
	wasm := filepath.Join(c.StaticDir, "oidc", "oidc.wasm")
	if _, err := os.Stat(wasm); err != nil {
		return fmt.Errorf("demo: %s is missing: run `make build` first", wasm)
	}
	for _, p := range []struct {
		name string
		port int
	}{{"AppPort", c.AppPort}, {"APIPort", c.APIPort}, {"ProviderAPort", c.ProviderAPort}, {"ProviderBPort", c.ProviderBPort}} {
		if p.port < 0 || p.port > 65535 {
			return fmt.Errorf("demo: %s %d: want 0 to 65535", p.name, p.port)
		}
	}
	if (c.Issuer == "") != (c.ClientID == "") {
		return errors.New("demo: Issuer and ClientID go together: set both to use an external provider, or neither")
	}
	if c.Issuer != "" {
		u, err := url.Parse(c.Issuer)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("demo: Issuer %q: want an absolute http(s) URL", c.Issuer)
		}
	}
	if c.AccessTokenLifetime < 0 {
		return fmt.Errorf("demo: AccessTokenLifetime %v: must not be negative", c.AccessTokenLifetime)
	}
	for _, p := range c.RedirectPaths {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "?#") {
			return fmt.Errorf("demo: RedirectPaths %q: want an absolute path without query or fragment", p)
		}
	}
	for pattern := range c.Mount {
		for _, own := range ownPaths {
			if strings.HasPrefix(own, pattern) || strings.HasPrefix(pattern, own) {
				return fmt.Errorf("demo: Mount %q: overlaps the demo's own path %q", pattern, own)
			}
		}
	}
	return nil
}
