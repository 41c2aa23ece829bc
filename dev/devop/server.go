package devop

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/oidcwasm/oidcwasm/internal/dpop"
)

// Server is a running development OpenID Provider. Its methods are safe for
// concurrent use.
type Server struct {
	cfg        Config
	issuer     string
	cookieName string // session cookie, unique per port: cookies ignore ports
	store      *store
	keys       *keyRing
	provider   *op.Provider
	origins    map[string]bool // CORS allow-list, union of all clients
	faults     faults
	dpop       *dpop.Checker    // DPoP proofs (RFC 9449) at token, userinfo and PAR
	dpopNonce  dpop.NonceSource // RFC 9449 §8, off until RequireDPoPNonce(true)
	par        *pushedRequests  // RFC 9126 request_uri values

	mu        sync.Mutex
	autoLogin string

	srv       *http.Server
	ln        net.Listener
	served    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Start validates cfg, listens on cfg.Addr and serves until Close is called
// or ctx is done. A listen failure (e.g. the port is in use) is returned as
// an error wrapping the *net.OpError.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("devop: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("devop: listen on %s: %w", cfg.Addr, err)
	}
	s, err := newServer(cfg, ln)
	if err != nil {
		ln.Close()
		return nil, err
	}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Close()
		case <-s.served:
		}
	}()
	return s, nil
}

func newServer(cfg Config, ln net.Listener) (*Server, error) {
	port := ln.Addr().(*net.TCPAddr).Port
	issuer := strings.TrimSuffix(cfg.Issuer, "/")
	if issuer == "" {
		issuer = fmt.Sprintf("http://localhost:%d", port)
	}
	keys, err := newKeyRing(cfg.KeyGracePeriod, time.Now)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:        cfg,
		issuer:     issuer,
		cookieName: fmt.Sprintf("devop_session_%d", port),
		keys:       keys,
		origins:    map[string]bool{},
		autoLogin:  cfg.AutoLogin,
		ln:         ln,
		served:     make(chan struct{}),
	}
	s.faults.init()
	s.dpop = dpop.NewChecker(cfg.DPoPProofWindow, time.Now)
	s.par = newPushedRequests(cfg.PushedRequestLifetime, time.Now)
	clients := map[string]*opClient{}
	resourceScopes := map[string]bool{}
	for _, r := range cfg.Resources {
		for _, sc := range r.Scopes {
			resourceScopes[sc] = true
		}
	}
	for _, c := range cfg.Clients {
		clients[c.ID] = &opClient{Client: c, idTokenLifetime: cfg.IDTokenLifetime, loginURL: issuer + pathLogin, resourceScopes: resourceScopes}
		for _, o := range c.Origins {
			s.origins[o] = true
		}
	}
	s.store = newStore(cfg, keys, clients, time.Now)

	opCfg := &op.Config{
		CodeMethodS256:           true,
		GrantTypeRefreshToken:    true,
		DefaultLogoutRedirectURI: issuer + pathLoggedOut,
	}
	if _, err := rand.Read(opCfg.CryptoKey[:]); err != nil {
		return nil, fmt.Errorf("devop: crypto key: %w", err)
	}
	// op's own CORS handler allows every origin; ours (cors.go) replaces it.
	s.provider, err = op.NewProvider(opCfg, s.store, op.StaticIssuer(issuer),
		op.WithAllowInsecure(), op.WithCORSOptions(nil))
	if err != nil {
		return nil, fmt.Errorf("devop: issuer %q: %w", issuer, err)
	}
	s.srv = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	return s, nil
}

// Paths served next to op's endpoints.
const (
	pathLogin     = "/login"
	pathLoggedOut = "/logged-out"
	pathAdmin     = "/admin/"
)

// routes puts op's endpoints behind our middleware: CORS for the endpoints
// a SPA calls with fetch, counting and faults, and the RFC 9207 iss
// parameter on authorization responses.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	p := s.provider
	mux.Handle("/.well-known/openid-configuration", s.cors(s.meter(EndpointDiscovery, http.HandlerFunc(s.handleDiscovery))))
	mux.Handle("/keys", s.cors(s.meter(EndpointJWKS, p)))
	mux.Handle(pathToken, s.cors(s.meter(EndpointToken, s.tokenResources(p))))
	mux.Handle(pathUserinfo, s.cors(s.meter(EndpointUserinfo, http.HandlerFunc(s.handleUserinfo))))
	mux.Handle("/revoke", s.cors(s.meter(EndpointRevoke, p)))
	mux.Handle(pathPAR, s.cors(s.meter(EndpointPAR, http.HandlerFunc(s.handlePAR))))
	mux.Handle("/oauth/introspect", s.meter(EndpointIntrospect, p))
	mux.Handle("/authorize", s.meter(EndpointAuthorize, withIss(s.issuer, s.pushedAuthorize(s.authorizeResources(p)))))
	mux.Handle("/authorize/callback", withIss(s.issuer, p))
	mux.Handle(pathLogin, s.meter(EndpointLogin, withIss(s.issuer, http.HandlerFunc(s.handleLogin))))
	mux.Handle("/end_session", s.meter(EndpointEndSession, http.HandlerFunc(s.handleEndSession)))
	mux.HandleFunc(pathLoggedOut, s.handleLoggedOut)
	mux.Handle(pathSignOut, s.meter(EndpointSignOut, http.HandlerFunc(s.handleSignOut)))
	mux.Handle(pathCheckSession, s.meter(EndpointCheckSession, http.HandlerFunc(s.handleCheckSession)))
	// Browsers ask every page's origin for /favicon.ico: an empty answer
	// instead of a 404 on every sign-in.
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=86400")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.Handle("/healthz", p)
	mux.Handle("/ready", p)
	mux.Handle(pathAdmin, s.adminHandler())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(op.ContextWithIssuer(r.Context(), s.issuer)))
	})
}

// Issuer returns the issuer identifier, e.g. "http://localhost:5556".
func (s *Server) Issuer() string { return s.issuer }

// Addr returns the address the provider listens on, e.g. "127.0.0.1:5556".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the provider at once and forgets all state. It is safe to call
// more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.srv.Close()
		<-s.served
	})
	return s.closeErr
}

// RotateKey makes a new signing key current. The previous public key stays
// in the JWKS for Config.KeyGracePeriod.
func (s *Server) RotateKey() error { return s.keys.rotate() }

// EndSessions ends every browser session, as if each user had logged out:
// afterwards prompt=none answers login_required. Tokens already issued stay
// valid until they expire or are revoked.
func (s *Server) EndSessions() { s.store.endAllSessions() }

// SetAutoLogin sets the user that interactive authorization requests without
// a session sign in at once; "" turns auto-login off.
func (s *Server) SetAutoLogin(username string) error {
	if username != "" {
		if _, ok := s.store.userByName(username); !ok {
			return fmt.Errorf("devop: auto-login user %q: no such user", username)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.autoLogin = username
	return nil
}

func (s *Server) autoLoginUser() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.autoLogin
}

// Users returns the accounts that can sign in.
func (s *Server) Users() []User { return append([]User(nil), s.cfg.Users...) }
