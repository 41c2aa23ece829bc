package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/devop"
	"github.com/oidcwasm/oidcwasm/silentrefresh"
)

// ownPaths are the app server's own paths; Config.Mount may not overlap them.
var ownPaths = []string{"/demo.json", "/silent-refresh.html", FrontchannelLogoutPath, "/api/", "/apix/", "/echo", "/oidc/", "/bridge/"}

// FrontchannelLogoutPath is the app's front-channel logout page
// (silentrefresh.FrontchannelLogoutHandler), registered at the bundled
// providers as both demo clients' frontchannel_logout_uri.
const FrontchannelLogoutPath = "/frontchannel-logout.html"

// Demo is a running demo: two development providers (unless an external
// one is configured), the app server and the API server. Its methods are
// safe for concurrent use.
type Demo struct {
	cfg       Config
	settings  Settings
	framers   []string // the providers' origins: frame-ancestors of the front-channel logout page
	appURL    string
	apiURL    string
	providerA *devop.Server
	providerB *devop.Server
	apis      *apis
	static    hitCounter // GETs of the static site, by path
	servers   []*http.Server
	served    sync.WaitGroup
	done      chan struct{} // closed by Close
	closeOnce sync.Once
	closeErr  error
}

// Start validates cfg, listens on every port, starts the providers and the
// servers, and serves until Close is called or ctx is done. A port that
// cannot be listened on is a *PortError.
func Start(ctx context.Context, cfg Config) (*Demo, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	d := &Demo{cfg: cfg, apis: newAPIs(), done: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			d.Close()
		}
	}()

	appLn, err := listen("app", cfg.AppPort)
	if err != nil {
		return nil, err
	}
	apiLn, err := listen("api", cfg.APIPort)
	if err != nil {
		appLn.Close()
		return nil, err
	}
	d.appURL = fmt.Sprintf("http://localhost:%d", port(appLn))
	d.apiURL = fmt.Sprintf("http://localhost:%d", port(apiLn))
	o := origins{app: d.appURL, api: d.apiURL, appIP: fmt.Sprintf("http://127.0.0.1:%d", port(appLn))}

	var verifierA, verifierB, verifierC *verifier
	client := &http.Client{Timeout: 10 * time.Second}
	if cfg.Issuer != "" {
		o.providerA, o.clientA = cfg.Issuer, cfg.ClientID
		verifierA = &verifier{issuer: cfg.Issuer, audience: cfg.ClientID, http: client, now: time.Now}
	} else {
		secret := randomSecret()
		for _, p := range []struct {
			name   string
			port   int
			client string
			dst    **devop.Server
		}{{"provider-a", cfg.ProviderAPort, ClientA, &d.providerA}, {"provider-b", cfg.ProviderBPort, ClientB, &d.providerB}} {
			pc := d.providerConfig(p.port, p.client, secret)
			if p.client == ClientA {
				pc.Resources = []devop.Resource{{URI: d.apiURL + APICPath, Scopes: []string{APICScope}}}
			}
			srv, err := devop.Start(ctx, pc)
			if err != nil {
				appLn.Close()
				apiLn.Close()
				var opErr *net.OpError
				if errors.As(err, &opErr) {
					return nil, &PortError{Name: p.name, Port: p.port, Err: opErr}
				}
				return nil, fmt.Errorf("demo: %s: %w", p.name, err)
			}
			*p.dst = srv
		}
		o.providerA, o.providerB, o.clientA = d.providerA.Issuer(), d.providerB.Issuer(), ClientA
		for _, u := range d.providerA.Users() {
			o.users = append(o.users, u.Username+"/"+u.Password)
		}
		verifierA = &verifier{issuer: o.providerA, audience: ClientA, clientID: apiClient, secret: secret, http: client, now: time.Now}
		verifierB = &verifier{issuer: o.providerB, audience: ClientB, clientID: apiClient, secret: secret, http: client, now: time.Now}
		verifierC = &verifier{issuer: o.providerA, audience: d.apiURL + APICPath, scope: APICScope, clientID: apiClient, secret: secret, http: client, now: time.Now}
	}
	d.settings = newSettings(o)

	// Only the providers may frame the front-channel logout page (CSP
	// frame-ancestors): every browser enforces that, whatever the tabs can
	// tell of who framed it.
	for _, iss := range []string{o.providerA, o.providerB} {
		if u, err := url.Parse(iss); err == nil && u.Host != "" {
			d.framers = append(d.framers, u.Scheme+"://"+u.Host)
		}
	}
	d.serve(appLn, d.appHandler(verifierA))
	d.serve(apiLn, d.apiHandler(verifierB, verifierC))
	go func() {
		select {
		case <-ctx.Done():
			d.Close()
		case <-d.done:
		}
	}()
	ok = true
	return d, nil
}

// providerConfig registers the demo client of one bundled provider: the
// go-app page, the bridge page, silent-refresh.html and the extra paths as
// redirect URIs, the pages as post-logout redirect URIs, the front-channel
// logout page (with iss and sid); and the sample APIs' confidential client
// for introspection.
func (d *Demo) providerConfig(port int, clientID, secret string) devop.Config {
	return devop.Config{
		Addr: fmt.Sprintf("127.0.0.1:%d", port),
		Clients: []devop.Client{
			{ID: clientID, RedirectURIs: d.RedirectURIs(), PostLogoutRedirectURIs: d.PostLogoutRedirectURIs(), Origins: []string{d.appURL},
				FrontchannelLogoutURI: d.appURL + FrontchannelLogoutPath, FrontchannelLogoutSessionRequired: true},
			{ID: apiClient, Secret: secret, RedirectURIs: []string{d.appURL + "/api/"}},
		},
		AccessTokenLifetime: d.cfg.AccessTokenLifetime,
		AutoLogin:           d.cfg.AutoLogin,
	}
}

// appHandler is http://localhost:AppPort: the static site, demo.json,
// silent-refresh.html, API A, and the same-origin look-alikes.
func (d *Demo) appHandler(verifierA *verifier) http.Handler {
	mux := http.NewServeMux()
	demoJSON := d.settings.JSON()
	mux.HandleFunc("GET /demo.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(demoJSON)
	})
	mux.Handle("/silent-refresh.html", silentrefresh.Handler())
	mux.Handle(FrontchannelLogoutPath, silentrefresh.FrontchannelLogoutHandler(d.framers...))
	mux.Handle("/api/a/", cors(d.appURL, d.apis.scripted(d.apis.sampleAPI("A", verifierA))))
	mux.Handle("/apix/", cors(d.appURL, d.apis.scripted(d.apis.echo("look-alike: a sibling path of the secure route /api"))))
	mux.Handle("/echo", cors(d.appURL, d.apis.scripted(d.apis.echo("not a secure route"))))
	mux.Handle("/api/", cors(d.appURL, d.apis.scripted(d.apis.echo("under the secure route /api but not an API"))))
	for pattern, h := range d.cfg.Mount {
		mux.Handle(pattern, h)
	}
	mux.Handle("/", staticHandler(d.cfg.StaticDir, landingHandler(d.settings), &d.static))
	return mux
}

// apiHandler is http://localhost:APIPort: API B, API C (its own audience),
// and an echo on every other path (so /api/a/ there is the "same host, other
// port" look-alike).
func (d *Demo) apiHandler(verifierB, verifierC *verifier) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/b/", cors(d.appURL, d.apis.scripted(d.apis.sampleAPI("B", verifierB))))
	mux.Handle(APICPath+"/", cors(d.appURL, d.apis.scripted(d.apis.sampleAPI("C", verifierC))))
	mux.Handle("/", cors(d.appURL, d.apis.scripted(d.apis.echo("look-alike: the app's host on another port"))))
	return mux
}

func (d *Demo) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	d.servers = append(d.servers, srv)
	d.served.Add(1)
	go func() {
		defer d.served.Done()
		_ = srv.Serve(ln) // http.ErrServerClosed after Close
	}()
}

func listen(name string, p int) (net.Listener, error) {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		return nil, &PortError{Name: name, Port: p, Err: err}
	}
	return ln, nil
}

func port(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }

func randomSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// Close stops the servers and the providers at once. It is safe to call
// more than once.
func (d *Demo) Close() error {
	d.closeOnce.Do(func() {
		close(d.done)
		var errs []error
		for _, s := range d.servers {
			errs = append(errs, s.Close())
		}
		d.served.Wait()
		for _, p := range []*devop.Server{d.providerA, d.providerB} {
			if p != nil {
				errs = append(errs, p.Close())
			}
		}
		d.closeErr = errors.Join(errs...)
	})
	return d.closeErr
}

// AppURL is the app's origin, e.g. "http://localhost:8080".
func (d *Demo) AppURL() string { return d.appURL }

// APIURL is the API server's origin, e.g. "http://localhost:8081".
func (d *Demo) APIURL() string { return d.apiURL }

// ProviderA and ProviderB are the bundled providers; nil with an external one.
func (d *Demo) ProviderA() *devop.Server { return d.providerA }
func (d *Demo) ProviderB() *devop.Server { return d.providerB }

// Settings is the demo.json this demo serves.
func (d *Demo) Settings() Settings { return d.settings }

// RedirectURIs are the redirect URIs of the demo's client: the pages and
// silent-refresh.html. An external provider must accept them.
func (d *Demo) RedirectURIs() []string {
	return append(d.PostLogoutRedirectURIs(), d.appURL+"/silent-refresh.html")
}

// PostLogoutRedirectURIs are the demo's pages, where logoff comes back to.
func (d *Demo) PostLogoutRedirectURIs() []string {
	out := []string{d.appURL + "/", d.appURL + "/bridge/"}
	for _, p := range d.cfg.RedirectPaths {
		out = append(out, d.appURL+p)
	}
	return out
}

// Requests returns the requests the sample APIs and echo endpoints have
// answered since the start or the last ResetRequests, oldest first.
func (d *Demo) Requests() []Request {
	d.apis.mu.Lock()
	defer d.apis.mu.Unlock()
	return slices.Clone(d.apis.log)
}

// StaticHits is how many GETs for path the static site has answered (the
// browser's own, and a service worker's: a file answered from the
// worker's cache is not counted).
func (d *Demo) StaticHits(path string) int { return d.static.get(path) }

// ResetRequests forgets the recorded requests.
func (d *Demo) ResetRequests() {
	d.apis.mu.Lock()
	defer d.apis.mu.Unlock()
	d.apis.log = nil
}

// RejectNext makes the next n requests with a token to API "A", "B" or "C"
// fail with 401 and error="invalid_token", whatever the token: a test
// switch for oidc.fetch's renew-and-retry. n=0 turns it off.
func (d *Demo) RejectNext(api string, n int) error {
	if api != "A" && api != "B" && api != "C" {
		return fmt.Errorf("demo: RejectNext: api %q: want \"A\", \"B\" or \"C\"", api)
	}
	if n < 0 {
		return fmt.Errorf("demo: RejectNext: n %d: must not be negative", n)
	}
	d.apis.mu.Lock()
	defer d.apis.mu.Unlock()
	d.apis.rejectNext[api] = n
	return nil
}

// RequireDPoPNonce turns the DPoP nonce of API "A", "B" or "C" on or off
// (RFC 9449 §9): while on, a DPoP-bound request whose proof lacks the
// API's current nonce is answered 401 with WWW-Authenticate: DPoP
// error="use_dpop_nonce" and the nonce in DPoP-Nonce, and every answer of
// the API carries DPoP-Nonce. Bearer tokens are not affected.
func (d *Demo) RequireDPoPNonce(api string, on bool) error {
	ns, ok := d.apis.nonces[api]
	if !ok {
		return fmt.Errorf("demo: RequireDPoPNonce: api %q: want \"A\", \"B\" or \"C\"", api)
	}
	ns.Require(on)
	return nil
}

// RotateDPoPNonce gives API "A", "B" or "C" a new DPoP nonce and returns it
// ("" while the API's nonce is off).
func (d *Demo) RotateDPoPNonce(api string) (string, error) {
	ns, ok := d.apis.nonces[api]
	if !ok {
		return "", fmt.Errorf("demo: RotateDPoPNonce: api %q: want \"A\", \"B\" or \"C\"", api)
	}
	return ns.Rotate(), nil
}
