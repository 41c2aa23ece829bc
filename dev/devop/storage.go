package devop

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

const (
	// authRequestLifetime bounds the time between the authorization request
	// and the code exchange.
	authRequestLifetime = 10 * time.Minute
	// codeLifetime bounds the time between issuing a code and redeeming it
	// (RFC 6749 §4.1.2 recommends at most 10 minutes).
	codeLifetime = time.Minute
)

// errNotFound is returned for unknown or expired IDs; op turns it into the
// OAuth error the endpoint needs (invalid_grant at the token endpoint).
var errNotFound = errors.New("devop: not found or expired")

// store is the in-memory op.Storage. One mutex guards all of it; this is a
// development provider, not a fast one. Methods hand copies to op, never
// pointers into the maps.
type store struct {
	now                  func() time.Time
	accessTokenLifetime  time.Duration
	refreshTokenLifetime time.Duration
	keys                 *keyRing
	clients              map[string]*opClient
	users                []User
	resources            map[string]Resource // Config.Resources by URI

	mu            sync.Mutex
	authRequests  map[string]*authRequest
	codes         map[string]string // code -> auth request ID
	sessions      map[string]*session
	accessTokens  map[string]*accessToken  // by jti
	refreshTokens map[string]*refreshToken // by token value
}

var (
	_ op.Storage                        = (*store)(nil)
	_ op.CanSetUserinfoFromRequest      = (*store)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*store)(nil)
	_ op.CanTerminateSessionFromRequest = (*store)(nil)
)

func newStore(cfg Config, keys *keyRing, clients map[string]*opClient, now func() time.Time) *store {
	resources := map[string]Resource{}
	for _, r := range cfg.Resources {
		r.Scopes = slices.Clone(r.Scopes)
		resources[r.URI] = r
	}
	return &store{
		resources:            resources,
		now:                  now,
		accessTokenLifetime:  cfg.AccessTokenLifetime,
		refreshTokenLifetime: cfg.RefreshTokenLifetime,
		keys:                 keys,
		clients:              clients,
		users:                cfg.Users,
		authRequests:         map[string]*authRequest{},
		codes:                map[string]string{},
		sessions:             map[string]*session{},
		accessTokens:         map[string]*accessToken{},
		refreshTokens:        map[string]*refreshToken{},
	}
}

// randomID returns n random bytes, base64url-encoded.
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// authRequest is a stored authorization request (RFC 6749 §4.1.1, OpenID
// Connect Core §3.1.2.1). It implements op.AuthRequest.
type authRequest struct {
	id, clientID, redirectURI, state, nonce string
	scopes                                  []string
	responseType                            oidc.ResponseType
	responseMode                            oidc.ResponseMode
	prompt                                  []string
	maxAge                                  *uint
	challenge                               *oidc.CodeChallenge
	hintSubject                             string   // sub of a valid id_token_hint
	resources                               []string // RFC 8707 §2.1: the resources the grant covers
	dpopJKT                                 string   // RFC 9449 §10: the DPoP key the code is bound to
	created                                 time.Time

	subject    string // set on login
	sessionID  string // the browser session it was answered in: the ID token's sid
	authTime   time.Time
	done       bool
	codeIssued time.Time
	redeemed   bool // the code was exchanged; a second exchange fails
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

func (a *authRequest) clone() *authRequest {
	c := *a
	c.scopes = slices.Clone(a.scopes)
	c.resources = slices.Clone(a.resources)
	return &c
}

// promptIncludes reports whether the prompt parameter (OpenID Connect Core
// §3.1.2.1) contains p.
func (a *authRequest) promptIncludes(p string) bool { return slices.Contains(a.prompt, p) }

// CreateAuthRequest stores a validated authorization request. op has already
// matched client_id, redirect_uri, scope and response_type; this adds the
// rules op leaves to storage: PKCE with S256 for public clients (RFC 7636
// §4.3, RFC 9700 §2.1.1), no plain method at all, and the query or fragment
// response modes only; and that each resource parameter (RFC 8707 §2.1) is a
// configured Resource, else invalid_target, which op redirects to the client.
func (s *store) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, hintSubject string) (op.AuthRequest, error) {
	resources, err := s.checkAuthRequest(ctx, req)
	if err != nil {
		return nil, err
	}
	jkt, _ := ctx.Value(dpopJKTKey{}).(string)
	a := &authRequest{
		dpopJKT:      jkt,
		id:           randomID(16),
		clientID:     req.ClientID,
		redirectURI:  req.RedirectURI,
		state:        req.State,
		nonce:        req.Nonce,
		scopes:       slices.Clone(req.Scopes),
		responseType: req.ResponseType,
		responseMode: req.ResponseMode,
		prompt:       slices.Clone(req.Prompt),
		maxAge:       req.MaxAge,
		hintSubject:  hintSubject,
		resources:    resources,
		created:      s.now(),
	}
	if req.CodeChallenge != "" {
		a.challenge = &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked()
	s.authRequests[a.id] = a
	return a.clone(), nil
}

// checkAuthRequest applies the rules op leaves to storage (see
// CreateAuthRequest) to an authorization request op has validated, and
// returns its resources. The PAR endpoint applies them too (RFC 9126 §2.1).
func (s *store) checkAuthRequest(ctx context.Context, req *oidc.AuthRequest) ([]string, error) {
	cl := s.clients[req.ClientID]
	switch {
	case req.CodeChallenge == "" && cl != nil && cl.public():
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE is required for public clients: send code_challenge with code_challenge_method=S256 (RFC 7636)")
	case req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	switch req.ResponseMode {
	case "", oidc.ResponseModeQuery, oidc.ResponseModeFragment:
	default:
		return nil, oidc.ErrInvalidRequest().WithDescription("response_mode %q is not supported", req.ResponseMode)
	}
	return s.requestedResources(ctx)
}

// pruneLocked forgets expired requests, codes and tokens. Callers hold mu.
func (s *store) pruneLocked() {
	now := s.now()
	for id, a := range s.authRequests {
		if now.Sub(a.created) > authRequestLifetime {
			delete(s.authRequests, id)
		}
	}
	for code, id := range s.codes {
		if _, ok := s.authRequests[id]; !ok {
			delete(s.codes, code)
		}
	}
	for id, t := range s.accessTokens {
		if now.After(t.expires) {
			delete(s.accessTokens, id)
		}
	}
	for v, t := range s.refreshTokens {
		if now.After(t.expires) {
			delete(s.refreshTokens, v)
		}
	}
}

// authRequestLocked returns the live request with the given ID. Callers hold mu.
func (s *store) authRequestLocked(id string) (*authRequest, error) {
	a, ok := s.authRequests[id]
	if !ok || s.now().Sub(a.created) > authRequestLifetime {
		return nil, errNotFound
	}
	return a, nil
}

func (s *store) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.authRequestLocked(id)
	if err != nil {
		return nil, err
	}
	return a.clone(), nil
}

// AuthRequestByCode finds the request of an unexpired, unredeemed code.
func (s *store) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.codes[code]
	if !ok {
		return nil, errNotFound
	}
	a, err := s.authRequestLocked(id)
	if err != nil || a.redeemed || s.now().Sub(a.codeIssued) > codeLifetime {
		return nil, errNotFound
	}
	return a.clone(), nil
}

func (s *store) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.authRequestLocked(id)
	if err != nil {
		return err
	}
	a.codeIssued = s.now()
	s.codes[code] = id
	return nil
}

func (s *store) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.authRequests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// completeLogin marks an authorization request as authenticated in the
// browser session ss, which remembers the client (front-channel logout).
func (s *store) completeLogin(id string, ss session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.authRequestLocked(id)
	if err != nil {
		return err
	}
	a.subject, a.authTime, a.sessionID, a.done = ss.subject, ss.authTime, ss.id, true
	if live := s.sessions[ss.id]; live != nil && !slices.Contains(live.clients, a.clientID) {
		live.clients = append(live.clients, a.clientID)
	}
	return nil
}

// redeemLocked marks the code of an authorization request as used, so a
// code yields tokens once (RFC 6749 §4.1.2). Callers hold mu.
func (s *store) redeemLocked(id string) error {
	a, ok := s.authRequests[id]
	if !ok || a.redeemed {
		return oidc.ErrInvalidGrant().WithDescription("code already used or expired")
	}
	a.redeemed = true
	return nil
}

// userByName returns the user with the given username.
func (s *store) userByName(name string) (User, bool) {
	for _, u := range s.users {
		if u.Username == name {
			return u, true
		}
	}
	return User{}, false
}

// userBySubject returns the user with the given sub.
func (s *store) userBySubject(sub string) (User, bool) {
	for _, u := range s.users {
		if u.Subject == sub {
			return u, true
		}
	}
	return User{}, false
}

// checkPassword returns the user when username and password match.
func (s *store) checkPassword(name, password string) (User, bool) {
	u, ok := s.userByName(name)
	if !ok || subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) != 1 {
		return User{}, false
	}
	return u, true
}

func (s *store) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	cl, ok := s.clients[id]
	if !ok {
		return nil, fmt.Errorf("devop: client %q: %w", id, errNotFound)
	}
	return cl, nil
}

// AuthorizeClientIDSecret checks a confidential client's secret (RFC 6749 §2.3.1).
func (s *store) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	cl, ok := s.clients[id]
	if !ok || cl.public() || subtle.ConstantTimeCompare([]byte(cl.Secret), []byte(secret)) != 1 {
		return errors.New("devop: invalid client credentials")
	}
	return nil
}

func (s *store) SigningKey(context.Context) (op.SigningKey, error) { return s.keys.current(), nil }
func (s *store) KeySet(context.Context) ([]op.Key, error)          { return s.keys.published(), nil }
func (s *store) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// GetKeyByIDAndClientID would serve JWT client authentication, which no
// client here uses.
func (s *store) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("devop: private_key_jwt is not supported")
}

func (s *store) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("devop: JWT profile grants are not supported")
}

func (s *store) Health(context.Context) error { return nil }
