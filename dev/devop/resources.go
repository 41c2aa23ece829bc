package devop

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/oidcwasm/oidcwasm/internal/dpop"
)

// Resource is a protected resource, e.g. an API, that the provider issues
// access tokens for by resource indicator (RFC 8707).
//
// A client names resources with the resource parameter of the authorization
// request (RFC 8707 §2.1, may repeat). Each one must be a configured
// Resource, else the request is answered with error=invalid_target at the
// redirect URI. The grant (the code, then the refresh token family rotated
// from it) remembers them.
//
// A token request of the authorization_code or refresh_token grant may name
// one of them with resource (RFC 8707 §2.2); any other value, or more than
// one, is invalid_target (HTTP 400), and a refused refresh does not use up
// the refresh token. The access token issued for a resource has aud =
// [URI] only, and its scope is the scope asked for (the grant's scope, or
// on a refresh the narrower scope parameter, RFC 6749 §6) intersected with
// Scopes when Scopes is set. The intersection is strict: openid, profile,
// email and offline_access are left out unless Scopes lists them, so such a
// token carries only what the resource accepts (userinfo then releases no
// more than sub). An empty intersection is invalid_scope. The scope of the
// token response (RFC 6749 §5.1) is the access token's scope. The ID token
// and the refresh token of the response are those of the grant, as without
// a resource (ID token aud = client ID; a refresh token when offline_access
// was granted). A token request without resource is answered as it always
// was, aud = client ID.
type Resource struct {
	// URI is the resource indicator: an absolute URI without fragment
	// (RFC 8707 §2), e.g. "http://localhost:8091/api/c". Resource
	// parameters are matched against it exactly, character for character.
	URI string `json:"uri"`
	// Scopes are the scopes access tokens for this resource may carry (RFC
	// 6749 §3.3 scope tokens). Empty: any scope the client was granted.
	// Listing a scope value here also lets clients be granted it at all:
	// the provider grants the standard OpenID Connect scopes and the scope
	// values of Config.Resources, and drops any other from a request.
	Scopes []string `json:"scopes,omitempty"`
}

// validate checks a resource registration; the caller names the resource.
func (r Resource) validate() error {
	if err := checkResourceURI(r.URI); err != nil {
		return err
	}
	for _, sc := range r.Scopes {
		if !isScopeToken(sc) {
			return fmt.Errorf("scope %q: not a scope token (RFC 6749 §3.3)", sc)
		}
	}
	return nil
}

// checkResourceURI applies RFC 8707 §2: an absolute URI (RFC 3986 §4.3)
// without a fragment component; http(s) URIs need a host.
func checkResourceURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || ((u.Scheme == "http" || u.Scheme == "https") && u.Host == "") {
		return errors.New("not an absolute URI (RFC 8707 §2)")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("must not contain a fragment (RFC 8707 §2)")
	}
	return nil
}

// isScopeToken reports whether s is a scope-token of RFC 6749 §3.3:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func isScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

type (
	resourceParamsKey struct{}
	dpopJKTKey        struct{}
)

// authorizeResources hands the resource parameters of an authorization
// request (RFC 8707 §2.1) and its dpop_jkt (RFC 9449 §10) to
// CreateAuthRequest through the context: op parses the request into an
// oidc.AuthRequest, which has no field for them.
func (s *Server) authorizeResources(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err == nil {
			ctx := r.Context()
			if r.Form.Has("resource") {
				ctx = context.WithValue(ctx, resourceParamsKey{}, r.Form["resource"])
			}
			if jkt := r.Form.Get("dpop_jkt"); jkt != "" {
				ctx = context.WithValue(ctx, dpopJKTKey{}, jkt)
			}
			r = r.WithContext(ctx)
		}
		h.ServeHTTP(w, r)
	})
}

// requestedResources returns the resource parameters authorizeResources put
// in ctx, without repeats. A malformed or unknown one is invalid_target
// (RFC 8707 §2), which op sends to the redirect URI with state.
func (s *store) requestedResources(ctx context.Context) ([]string, error) {
	raw, _ := ctx.Value(resourceParamsKey{}).([]string)
	var out []string
	for _, v := range raw {
		if err := checkResourceURI(v); err != nil {
			return nil, oidc.ErrInvalidTarget().WithDescription("resource %q: %v", v, err)
		}
		if _, ok := s.resources[v]; !ok {
			return nil, oidc.ErrInvalidTarget().WithDescription("resource %q is not a resource this provider knows", v)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// target is what an access token for a resource carries (RFC 8707 §2.2).
type target struct {
	resource string   // the aud, alone
	scopes   []string // the scope claim
}

// resourceTarget checks a token request's resource parameters against the
// resources the grant's authorization request named, and works out the
// access token's scope from the requested scopes (see Resource).
func (s *store) resourceTarget(named, params []string, requested []string) (*target, error) {
	if len(params) != 1 {
		return nil, oidc.ErrInvalidTarget().WithDescription("name one resource per token request (RFC 8707 §2.2); ask again for each other resource")
	}
	resource := params[0]
	res, ok := s.resources[resource]
	if !ok || !slices.Contains(named, resource) {
		return nil, oidc.ErrInvalidTarget().WithDescription("resource %q was not named in the authorization request of this grant (RFC 8707 §2.2)", resource)
	}
	scopes := slices.Clone(requested)
	if len(res.Scopes) > 0 {
		scopes = slices.DeleteFunc(scopes, func(sc string) bool { return !slices.Contains(res.Scopes, sc) })
		if len(scopes) == 0 {
			return nil, oidc.ErrInvalidScope().WithDescription("resource %q allows the scopes %q, none of which the request has (%q)",
				resource, strings.Join(res.Scopes, " "), strings.Join(requested, " "))
		}
	}
	return &target{resource: resource, scopes: scopes}, nil
}

// accessTokenRequest is the op.TokenRequest an access token of devop's own
// token handler is built from: op takes aud from GetAudience and our scope
// and cnf claims from GetScopes and jkt (GetPrivateClaimsFromRequest).
type accessTokenRequest struct {
	subject          string
	audience, scopes []string
	jkt              string // RFC 9449 §6.1 cnf.jkt, "" for a Bearer token
}

func (r *accessTokenRequest) GetSubject() string    { return r.subject }
func (r *accessTokenRequest) GetAudience() []string { return r.audience }
func (r *accessTokenRequest) GetScopes() []string   { return r.scopes }

// tokenResources answers authorization_code and refresh_token requests with
// a resource parameter (RFC 8707 §2.2) or a DPoP header (RFC 9449 §5)
// itself, through op's exported steps: op builds the access token and the
// ID token from one request object and so from one audience, and knows
// neither cnf nor token_type DPoP. Every other token request is op's, and
// answered as before (token_type Bearer, no cnf).
//
// When DPoP nonces are required (Server.RequireDPoPNonce, RFC 9449 §8),
// every response of the token endpoint carries DPoP-Nonce.
func (s *Server) tokenResources(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := s.dpopNonce.Current(); n != "" {
			w.Header().Set(dpop.NonceHeader, n)
		}
		if err := r.ParseForm(); err != nil {
			next.ServeHTTP(w, r)
			return
		}
		grant := oidc.GrantType(r.Form.Get("grant_type"))
		if grant != oidc.GrantTypeCode && grant != oidc.GrantTypeRefreshToken {
			next.ServeHTTP(w, r)
			return
		}
		proof, ok := s.tokenProof(w, r)
		if !ok {
			return
		}
		if proof == nil && !r.Form.Has("resource") {
			next.ServeHTTP(w, r)
			return
		}
		if grant == oidc.GrantTypeCode {
			s.exchangeCode(w, r, r.Form["resource"], proof)
		} else {
			s.refreshGrant(w, r, r.Form["resource"], proof)
		}
	})
}

// exchangeCode is op.CodeExchange with a resource and/or a DPoP proof. A
// refused resource or proof leaves the code unredeemed.
func (s *Server) exchangeCode(w http.ResponseWriter, r *http.Request, params []string, proof *dpop.Proof) {
	ctx := r.Context()
	tokenReq, err := op.ParseAccessTokenRequest(r, s.provider.Decoder())
	if err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	if tokenReq.Code == "" {
		op.RequestError(w, r, oidc.ErrInvalidRequest().WithDescription("code missing"), nil)
		return
	}
	req, client, err := op.ValidateAccessTokenRequest(ctx, tokenReq, s.provider)
	if err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	a, ok := req.(*authRequest)
	if !ok {
		op.RequestError(w, r, oidc.ErrServerError(), nil)
		return
	}
	var tgt *target
	if params != nil {
		if tgt, err = s.store.resourceTarget(a.resources, params, a.scopes); err != nil {
			op.RequestError(w, r, err, nil)
			return
		}
	}
	withRefresh := slices.Contains(a.scopes, oidc.ScopeOfflineAccess) && a.responseType == oidc.ResponseTypeCode &&
		op.ValidateGrantType(client, oidc.GrantTypeRefreshToken)
	resp, err := s.ownTokenResponse(ctx, client, a, tgt, proof, withRefresh, tokenReq.Code, "")
	if err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	httphelper.MarshalJSON(w, resp)
}

// refreshGrant is op.RefreshTokenExchange with a resource and/or a DPoP
// proof. The scope parameter may narrow the grant's scope and must not
// widen it (RFC 6749 §6, invalid_scope); a refused resource, scope or proof
// does not rotate the refresh token.
func (s *Server) refreshGrant(w http.ResponseWriter, r *http.Request, params []string, proof *dpop.Proof) {
	ctx := r.Context()
	tokenReq, err := op.ParseRefreshTokenRequest(r, s.provider.Decoder())
	if err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	req, client, err := op.ValidateRefreshTokenRequest(ctx, tokenReq, s.provider)
	if err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	rr, ok := req.(*refreshRequest)
	if !ok {
		op.RequestError(w, r, oidc.ErrServerError(), nil)
		return
	}
	var tgt *target
	if params != nil {
		if tgt, err = s.store.resourceTarget(rr.resources, params, rr.current); err != nil {
			op.RequestError(w, r, err, nil)
			return
		}
	}
	resp, err := s.ownTokenResponse(ctx, client, rr, tgt, proof, true, "", tokenReq.RefreshToken)
	if err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	httphelper.MarshalJSON(w, resp)
}

// ownTokenResponse is op.CreateTokenResponse for devop's own token handler:
// the access token is built from tgt (a resource) when set, and bound to
// the proof's key when there is a proof (cnf.jkt, token_type DPoP, RFC 9449
// §5, §6); the ID token from req as without them.
func (s *Server) ownTokenResponse(ctx context.Context, client op.Client, req op.IDTokenRequest, tgt *target,
	proof *dpop.Proof, withRefresh bool, code, currentRefreshToken string) (*oidc.AccessTokenResponse, error) {
	var jkt string
	tokenType := oidc.BearerToken
	if proof != nil {
		jkt, tokenType = proof.JKT, dpop.TokenType
	}
	t, refreshToken, err := s.store.issue(req, currentRefreshToken, withRefresh, tgt, jkt)
	if err != nil {
		return nil, err
	}
	issuer := op.IssuerFromContext(ctx)
	var accessToken string
	if client.AccessTokenType() == op.AccessTokenTypeJWT {
		atReq := &accessTokenRequest{subject: t.subject, audience: t.audience, scopes: t.scopes, jkt: t.jkt}
		accessToken, err = op.CreateJWT(ctx, issuer, atReq, t.expires, t.id, client, s.store)
	} else {
		accessToken, err = op.CreateBearerToken(t.id, t.subject, s.provider.Crypto())
	}
	if err != nil {
		return nil, err
	}
	idToken, err := op.CreateIDToken(ctx, issuer, req, client.IDTokenLifetime(), accessToken, code, s.store, client)
	if err != nil {
		return nil, err
	}
	if a, ok := req.(*authRequest); ok {
		if err := s.store.DeleteAuthRequest(ctx, a.id); err != nil {
			return nil, err
		}
	}
	validity := t.expires.Add(client.ClockSkew()).Sub(time.Now().UTC())
	return &oidc.AccessTokenResponse{
		AccessToken:  accessToken,
		IDToken:      idToken,
		RefreshToken: refreshToken,
		TokenType:    tokenType,
		ExpiresIn:    uint64(validity.Seconds()),
		Scope:        slices.Clone(t.scopes),
	}, nil
}
