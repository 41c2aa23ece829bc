package e2etest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/devop"
)

// ProviderClientID is the public client a Provider registers for the app.
const ProviderClientID = "e2e-spa"

// NoAnswerPagePath is a page on the app origin that loads like
// silent-refresh.html but never posts the authorization response to its
// parent: as silentRenewUrl it makes an iframe renewal time out. Register it
// with ProviderOptions.RedirectPaths.
const NoAnswerPagePath = TestPagePath + "silent-noanswer.html"

// ProviderOptions configure a Provider.
type ProviderOptions struct {
	// AccessTokenLifetime of the provider's access tokens; default 5s, so
	// that renewals happen within a test.
	AccessTokenLifetime time.Duration
	// CrossSite addresses the provider as http://127.0.0.1:PORT, another
	// site than the app on localhost: its SameSite=Lax session cookie then
	// stays out of the app's iframes, as a third-party cookie would.
	// Default: http://localhost:PORT, same-site with the app.
	CrossSite bool
	// RedirectPaths are paths on the app origin registered as redirect URIs
	// besides the test page and /silent-refresh.html (e.g. NoAnswerPagePath).
	RedirectPaths []string
	// Resources are the protected resources (RFC 8707) the provider issues
	// tokens for (devop.Config.Resources); default none.
	Resources []devop.Resource
	// WithoutDiscovery names members the proxy removes from the discovery
	// document (e.g. "end_session_endpoint"), as a provider without that
	// feature advertises it.
	WithoutDiscovery []string
	// OpenerPolicy, when set, is the Cross-Origin-Opener-Policy of every
	// answer (e.g. "same-origin", as some providers send on their login
	// pages): a sign-in popup that shows such a page loses its opener.
	OpenerPolicy string
	// FrontchannelLogout registers FrontchannelLogoutPagePath on the app
	// origin as the client's frontchannel_logout_uri, with iss and sid
	// (frontchannel_logout_session_required) unless
	// FrontchannelWithoutSession: the provider's sign-out page (/signout)
	// and end_session then render it.
	FrontchannelLogout, FrontchannelWithoutSession bool
}

// Provider is a development OpenID Provider started by one test
// (Env.StartProvider): its own issuer, token lifetime, sessions, switches
// and Counts, so tests that read them may run in parallel with others. Its
// one client, ProviderClientID, is registered for the test page and the
// app's /silent-refresh.html, with the auto-login of the Env.
//
// The browser reaches it through a proxy at Issuer that records what every
// request got back (Log): devop counts requests, the log adds their
// outcomes, such as an invalid_grant or a login_required.
type Provider struct {
	*devop.Server

	env        *Env
	cookieName string // devop's session cookie: devop_session_<its own port>

	without []string // discovery members the proxy removes
	coop    string   // Cross-Origin-Opener-Policy of every answer

	mu  sync.Mutex
	log []Exchange
}

// Exchange is one request to a Provider and its answer, as the proxy saw
// them. CORS preflights are left out, as in devop's Counts.
type Exchange struct {
	At   time.Time // when the request arrived
	Path string    // e.g. "/authorize", "/oauth/token"
	// GrantType is the grant_type of a token request.
	GrantType string
	// Prompt is the prompt parameter of an authorization request.
	Prompt string
	// Params are the query parameter names of an authorization request
	// (/authorize), sorted: what the browser's navigation carried; for a
	// pushed authorization request (/par, RFC 9126 §2.1), the names of
	// its form parameters. Prompt is then the pushed prompt.
	Params []string
	// Tokens are the fingerprints (devop.Fingerprint) of the tokens the
	// request carried: its Authorization header's, and a form's token or
	// refresh_token (revocation, the refresh grant).
	Tokens []string
	// SessionCookie tells whether the request carried the provider's
	// session cookie.
	SessionCookie bool
	// Status is the HTTP status; 0 when the provider closed the connection
	// without answering (devop.FailClose).
	Status int
	// Error is the OAuth error code of the answer: the error member of a
	// token error response (RFC 6749 §5.2), or the error parameter of a
	// redirect that is an authorization response (§4.1.2.1, OpenID Connect
	// Core §3.1.2.6).
	Error string
	// Code tells whether the answer is a redirect with an authorization
	// response carrying a code (§4.1.2).
	Code bool
}

// StartProvider starts a Provider for the test, stopped when it ends.
func (e *Env) StartProvider(t testing.TB, o ProviderOptions) *Provider {
	t.Helper()
	if o.AccessTokenLifetime == 0 {
		o.AccessTokenLifetime = 5 * time.Second
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("e2etest: provider proxy: %v", err)
	}
	host := "localhost"
	if o.CrossSite {
		host = "127.0.0.1"
	}
	issuer := fmt.Sprintf("http://%s:%d", host, ln.Addr().(*net.TCPAddr).Port)
	redirects := []string{e.TestPageURL(), e.AppURL() + "/silent-refresh.html"}
	for _, p := range o.RedirectPaths {
		redirects = append(redirects, e.AppURL()+p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	client := devop.Client{
		ID:                     ProviderClientID,
		RedirectURIs:           redirects,
		PostLogoutRedirectURIs: []string{e.TestPageURL()},
		Origins:                []string{e.AppURL()},
	}
	if o.FrontchannelLogout {
		client.FrontchannelLogoutURI = e.AppURL() + FrontchannelLogoutPagePath
		client.FrontchannelLogoutSessionRequired = !o.FrontchannelWithoutSession
	}
	srv, err := devop.Start(ctx, devop.Config{
		Issuer:              issuer,
		Clients:             []devop.Client{client},
		AccessTokenLifetime: o.AccessTokenLifetime,
		AutoLogin:           e.autoLogin,
		Resources:           o.Resources,
	})
	if err != nil {
		cancel()
		ln.Close()
		t.Fatalf("e2etest: provider: %v", err)
	}
	_, backendPort, _ := net.SplitHostPort(srv.Addr())
	p := &Provider{Server: srv, env: e, cookieName: "devop_session_" + backendPort, without: o.WithoutDiscovery, coop: o.OpenerPolicy}
	hs := &http.Server{Handler: p.proxy(&url.URL{Scheme: "http", Host: srv.Addr()}),
		ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() {
		_ = hs.Close()
		cancel()
		_ = srv.Close()
	})
	return p
}

// Config is a bridge config for this provider with the test page as
// redirect and post-logout redirect URI and scope "openid profile email",
// overridden and extended by fields (for example useRefreshToken, storage,
// silentRenewUrl); a nil field value removes the field.
func (p *Provider) Config(configID string, fields map[string]any) map[string]any {
	c := map[string]any{
		"configId":              configID,
		"authority":             p.Issuer(),
		"clientId":              ProviderClientID,
		"redirectUrl":           p.env.TestPageURL(),
		"postLogoutRedirectUri": p.env.TestPageURL(),
		"scope":                 "openid profile email",
	}
	maps.Copy(c, fields)
	maps.DeleteFunc(c, func(_ string, v any) bool { return v == nil })
	return c
}

// Log returns the requests the provider answered so far, oldest first.
func (p *Provider) Log() []Exchange {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.log)
}

// exchangeKey carries a request's *Exchange from the proxy's handler to its
// ModifyResponse and ErrorHandler.
type exchangeKey struct{}

// proxy forwards everything to the provider at backend and logs each
// answer. A connection the provider closes is closed to the browser too, so
// devop.FailClose looks the same through the proxy.
func (p *Provider) proxy(backend *url.URL) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(backend)
			r.Out.Host = r.In.Host
		},
		ModifyResponse: func(resp *http.Response) error {
			if p.coop != "" {
				resp.Header.Set("Cross-Origin-Opener-Policy", p.coop)
			}
			if resp.Request.URL.Path == "/.well-known/openid-configuration" && len(p.without) > 0 && resp.StatusCode == http.StatusOK {
				if err := p.trimDiscovery(resp); err != nil {
					return err
				}
			}
			x, ok := resp.Request.Context().Value(exchangeKey{}).(*Exchange)
			if !ok {
				return nil
			}
			x.Status = resp.StatusCode
			if loc, err := resp.Location(); err == nil {
				// The authorization response, wherever devop sends it from
				// (/authorize, /login, /authorize/callback).
				if q := loc.Query(); q.Has("state") && (q.Has("code") || q.Has("error")) {
					x.Error, x.Code = q.Get("error"), q.Has("code")
				}
			}
			if resp.StatusCode >= 400 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					return err
				}
				var body struct {
					Error string `json:"error"`
				}
				_ = json.Unmarshal(b, &body)
				x.Error = body.Error
				resp.Body = io.NopCloser(bytes.NewReader(b))
			}
			p.record(*x)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if x, ok := r.Context().Value(exchangeKey{}).(*Exchange); ok && r.Context().Err() == nil {
				p.record(*x) // Status 0
			}
			if conn, _, herr := http.NewResponseController(w).Hijack(); herr == nil {
				conn.Close()
				return
			}
			w.WriteHeader(http.StatusBadGateway)
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			rp.ServeHTTP(w, r)
			return
		}
		x := &Exchange{At: time.Now(), Path: r.URL.Path, Prompt: r.URL.Query().Get("prompt")}
		if r.URL.Path == "/authorize" {
			x.Params = slices.Sorted(maps.Keys(r.URL.Query()))
		}
		if _, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && tok != "" {
			x.Tokens = append(x.Tokens, devop.Fingerprint(tok))
		}
		if c, err := r.Cookie(p.cookieName); err == nil && c.Value != "" {
			x.SessionCookie = true
		}
		if (r.URL.Path == "/oauth/token" || r.URL.Path == "/par" || r.URL.Path == "/revoke") && r.Body != nil {
			b, err := io.ReadAll(r.Body)
			r.Body.Close()
			if err != nil {
				http.Error(w, "e2etest: proxy: reading the request body", http.StatusBadRequest)
				return
			}
			if form, err := url.ParseQuery(string(b)); err == nil {
				x.GrantType = form.Get("grant_type")
				for _, k := range []string{"token", "refresh_token"} {
					if v := form.Get(k); v != "" {
						x.Tokens = append(x.Tokens, devop.Fingerprint(v))
					}
				}
				if r.URL.Path == "/par" {
					x.Params, x.Prompt = slices.Sorted(maps.Keys(form)), form.Get("prompt")
				}
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x)))
	})
}

// trimDiscovery removes the members of p.without from a discovery answer.
func (p *Provider) trimDiscovery(resp *http.Response) error {
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	for _, k := range p.without {
		delete(doc, k)
	}
	if b, err = json.Marshal(doc); err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
	resp.Header.Del("Content-Encoding")
	return nil
}

func (p *Provider) record(x Exchange) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = append(p.log, x)
}

// SignInWith signs in to configID of the given configs from the test page
// (configured with them, on the test page), like SignIn does for the Env's
// configs: authorize, the provider (its auto-login, or the login form filled
// with user and password), back to the test page, configure with configs
// and checkAuth.
func (tb *Tab) SignInWith(configID, user, password string, configs ...map[string]any) (callback string, results map[string]LoginResponse) {
	tb.T.Helper()
	var authority, redirect string
	all := make([]any, len(configs))
	for i, c := range configs {
		all[i] = c
		if c["configId"] == configID {
			authority, _ = c["authority"].(string)
			redirect, _ = c["redirectUrl"].(string)
		}
	}
	if authority == "" || redirect == "" {
		tb.T.Fatalf("SignInWith: no config %q with authority and redirectUrl", configID)
	}
	tb.Navigate(`oidc.authorize(` + MustJSON(configID) + `)`)
	loginPage := strings.TrimSuffix(authority, "/") + "/login"
	isCallback := func(u *url.URL) bool {
		return strings.HasPrefix(u.String(), redirect) && u.Query().Has("state")
	}
	landed := tb.WaitURL("the login page or the callback", func(u *url.URL) bool {
		return strings.HasPrefix(u.String(), loginPage) || isCallback(u)
	})
	if strings.HasPrefix(landed, loginPage) {
		tb.FillLogin(user, password)
		landed = tb.WaitURL("the callback", isCallback)
	}
	tb.WaitReady()
	tb.Configure(all...)
	return landed, tb.CheckAuth()
}
