package devop

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// requestURIPrefix is the URN prefix of RFC 9126 §2.2.
const requestURIPrefix = "urn:ietf:params:oauth:request_uri:"

// usedRequestMemory is how long a used or expired request_uri is
// remembered after it expired, so a second use can be answered at the
// client's redirect URI rather than with an error page.
const usedRequestMemory = 10 * time.Minute

// pushedRequest is the authorization request behind one request_uri.
type pushedRequest struct {
	clientID string
	params   url.Values // every authorization parameter, client_id included
	expires  time.Time
	used     bool
}

// errRequest is what op needs to send an error to the pushed redirect URI.
func (p *pushedRequest) errRequest() *oidc.AuthRequest {
	return &oidc.AuthRequest{RedirectURI: p.params.Get("redirect_uri"), State: p.params.Get("state"),
		ResponseType: oidc.ResponseType(p.params.Get("response_type")), ResponseMode: oidc.ResponseMode(p.params.Get("response_mode"))}
}

// pushedRequests holds request_uri values (RFC 9126 §2.2). Safe for
// concurrent use.
type pushedRequests struct {
	lifetime time.Duration
	now      func() time.Time

	mu sync.Mutex
	m  map[string]*pushedRequest
}

func newPushedRequests(lifetime time.Duration, now func() time.Time) *pushedRequests {
	return &pushedRequests{lifetime: lifetime, now: now, m: map[string]*pushedRequest{}}
}

// push stores params and returns their request_uri and expires_in.
func (p *pushedRequests) push(clientID string, params url.Values) (string, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for uri, r := range p.m {
		if now.After(r.expires.Add(usedRequestMemory)) {
			delete(p.m, uri)
		}
	}
	// §7.3 (request URI guessing): 256 bits of randomness.
	uri := requestURIPrefix + randomID(32)
	p.m[uri] = &pushedRequest{clientID: clientID, params: params, expires: now.Add(p.lifetime)}
	return uri, int(math.Ceil(p.lifetime.Seconds()))
}

// take uses up a request_uri of clientID. found is false for a value it
// never issued to that client; usable is false for one already used or
// expired (§4: one-time use).
func (p *pushedRequests) take(uri, clientID string) (r *pushedRequest, found, usable bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.m[uri]
	if !ok || r.clientID != clientID {
		return nil, false, false
	}
	if r.used || p.now().After(r.expires) {
		return r, true, false
	}
	r.used = true
	return r, true, true
}

// handlePAR is the pushed authorization request endpoint of RFC 9126 §2.
// The client POSTs the authorization request's parameters as a form (§2.1),
// authenticated as at the token endpoint: client_id for public clients,
// client_secret_basic for confidential ones. The request is validated as
// /authorize would (client, exact redirect_uri, response_type, scope,
// prompt, id_token_hint, PKCE S256 for public clients, response_mode,
// resource); a request_uri parameter is refused (§2.1). A DPoP header binds
// the code to the proof's key as dpop_jkt does (RFC 9449 §10.1).
//
// Success is 201 {"request_uri": "urn:ietf:params:oauth:request_uri:…",
// "expires_in": N} (§2.2); errors are RFC 6749 §5.2 JSON (§2.3): 400, 401
// for invalid_client, 405 for another method.
func (s *Server) handlePAR(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, oidc.ErrInvalidRequest().WithDescription("use POST (RFC 9126 §2.1)"))
		return
	}
	if err := r.ParseForm(); err != nil {
		op.RequestError(w, r, oidc.ErrInvalidRequest().WithDescription("cannot parse the form body"), nil)
		return
	}
	params := url.Values{}
	for k, v := range r.PostForm {
		params[k] = append([]string(nil), v...)
	}
	ctx := r.Context()
	client, err := s.parClient(ctx, r, params)
	if err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	params.Set("client_id", client.ID)
	if params.Has("request_uri") {
		op.RequestError(w, r, oidc.ErrInvalidRequest().WithDescription("request_uri must not be pushed (RFC 9126 §2.1)"), nil)
		return
	}
	proof, ok := s.checkProof(w, r, pathPAR)
	if !ok {
		return
	}
	if proof != nil {
		if jkt := params.Get("dpop_jkt"); jkt != "" && jkt != proof.JKT {
			op.RequestError(w, r, errDPoPProof("dpop_jkt is not the thumbprint of the DPoP proof's key (RFC 9449 §10.1)"), nil)
			return
		}
		params.Set("dpop_jkt", proof.JKT)
	}
	authReq := new(oidc.AuthRequest)
	if err := s.provider.Decoder().Decode(authReq, params); err != nil {
		op.RequestError(w, r, oidc.ErrInvalidRequest().WithDescription("cannot parse the authorization request"), nil)
		return
	}
	if authReq.RequestParam != "" {
		op.RequestError(w, r, oidc.ErrRequestNotSupported(), nil)
		return
	}
	if authReq.RedirectURI == "" {
		op.RequestError(w, r, oidc.ErrInvalidRequest().WithDescription("redirect_uri missing"), nil)
		return
	}
	if _, err := op.ValidateAuthRequestClient(ctx, authReq, client, s.provider.IDTokenHintVerifier(ctx)); err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	if params.Has("resource") {
		ctx = context.WithValue(ctx, resourceParamsKey{}, params["resource"])
	}
	if _, err := s.store.checkAuthRequest(ctx, authReq); err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	uri, expiresIn := s.par.push(client.ID, params)
	writeJSON(w, http.StatusCreated, map[string]any{"request_uri": uri, "expires_in": expiresIn})
}

// parClient authenticates the client of a pushed request as the token
// endpoint would (RFC 9126 §2.1, RFC 6749 §2.3): invalid_client otherwise.
func (s *Server) parClient(ctx context.Context, r *http.Request, params url.Values) (*opClient, error) {
	id := params.Get("client_id")
	basicID, secret, basic := r.BasicAuth()
	if basic {
		if bid, err := url.QueryUnescape(basicID); err == nil {
			basicID = bid
		}
		if sec, err := url.QueryUnescape(secret); err == nil {
			secret = sec
		}
		if id != "" && id != basicID {
			return nil, oidc.ErrInvalidRequest().WithDescription("client_id differs from the client of the Authorization header")
		}
		id = basicID
	}
	if id == "" {
		return nil, oidc.ErrInvalidClient().WithDescription("client_id missing")
	}
	cl, ok := s.store.clients[id]
	if !ok {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	if !cl.public() || basic {
		if !basic || s.store.AuthorizeClientIDSecret(ctx, id, secret) != nil {
			return nil, oidc.ErrInvalidClient().WithDescription("client authentication failed (client_secret_basic)")
		}
	}
	return cl, nil
}

// pushedAuthorize puts a pushed request back in front of op's /authorize
// (RFC 9126 §4): with request_uri and the client_id it was pushed by, the
// query becomes the pushed parameters, and every other parameter of the
// request is ignored. The request_uri is then used up. A used or expired
// one is error=invalid_request_uri (RFC 9101 §7) at the pushed redirect URI;
// one never issued to that client, an error page (the redirect URI cannot
// be trusted, RFC 6749 §4.1.2.1).
//
// With Config.RequirePushedAuthorizationRequests a request without
// request_uri is refused (RFC 9126 §5): invalid_request at its redirect URI
// when the client and redirect URI are registered, else an error page.
func (s *Server) pushedAuthorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			next.ServeHTTP(w, r)
			return
		}
		uri := r.Form.Get("request_uri")
		if uri == "" {
			if s.cfg.RequirePushedAuthorizationRequests {
				s.refuseUnpushed(w, r)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		clientID := r.Form.Get("client_id")
		if clientID == "" {
			http.Error(w, "devop: invalid_request: client_id is required with request_uri (RFC 9126 §4)", http.StatusBadRequest)
			return
		}
		pr, found, usable := s.par.take(uri, clientID)
		if !found {
			http.Error(w, "devop: invalid_request_uri: this provider did not issue that request_uri to that client", http.StatusBadRequest)
			return
		}
		if !usable {
			op.AuthRequestError(w, r, pr.errRequest(), &oidc.Error{ErrorType: "invalid_request_uri",
				Description: "request_uri already used or expired (RFC 9126 §4): push the request again"}, s.provider)
			return
		}
		r.URL.RawQuery = pr.params.Encode()
		r.Form, r.PostForm = nil, url.Values{} // op parses the pushed parameters only
		next.ServeHTTP(w, r)
	})
}

// refuseUnpushed answers an authorization request that was not pushed
// while PAR is required.
func (s *Server) refuseUnpushed(w http.ResponseWriter, r *http.Request) {
	const desc = "this provider requires pushed authorization requests (RFC 9126 §5): POST the request to /par, then send client_id and request_uri"
	authReq := new(oidc.AuthRequest)
	if err := s.provider.Decoder().Decode(authReq, r.Form); err == nil {
		if cl, ok := s.store.clients[authReq.ClientID]; ok && op.ValidateAuthReqRedirectURI(cl, authReq.RedirectURI, authReq.ResponseType) == nil {
			op.AuthRequestError(w, r, authReq, oidc.ErrInvalidRequest().WithDescription(desc), s.provider)
			return
		}
	}
	http.Error(w, "devop: invalid_request: "+desc, http.StatusBadRequest)
}
