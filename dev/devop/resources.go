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

type resourceParamsKey struct{}

// authorizeResources hands the resource parameters of an authorization
// request (RFC 8707 §2.1) to CreateAuthRequest through the context: op
// parses the request into an oidc.AuthRequest, which has no field for them.
func (s *Server) authorizeResources(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err == nil && r.Form.Has("resource") {
			r = r.WithContext(context.WithValue(r.Context(), resourceParamsKey{}, r.Form["resource"]))
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

// resourceTokenRequest is the op.TokenRequest an access token for a resource
// is built from: op takes aud from GetAudience and our scope claim from
// GetScopes (GetPrivateClaimsFromRequest).
type resourceTokenRequest struct {
	subject          string
	audience, scopes []string
}

func (r *resourceTokenRequest) GetSubject() string    { return r.subject }
func (r *resourceTokenRequest) GetAudience() []string { return r.audience }
func (r *resourceTokenRequest) GetScopes() []string   { return r.scopes }

// tokenResources answers authorization_code and refresh_token requests with
// a resource parameter (RFC 8707 §2.2) itself, through op's exported steps,
// because op builds the access token and the ID token from one request
// object and so from one audience. Every other token request is op's.
func (s *Server) tokenResources(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || !r.Form.Has("resource") {
			next.ServeHTTP(w, r)
			return
		}
		switch oidc.GrantType(r.Form.Get("grant_type")) {
		case oidc.GrantTypeCode:
			s.exchangeCodeForResource(w, r, r.Form["resource"])
		case oidc.GrantTypeRefreshToken:
			s.refreshForResource(w, r, r.Form["resource"])
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// exchangeCodeForResource is op.CodeExchange with a resource. A refused
// resource leaves the code unredeemed.
func (s *Server) exchangeCodeForResource(w http.ResponseWriter, r *http.Request, params []string) {
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
	tgt, err := s.store.resourceTarget(a.resources, params, a.scopes)
	if err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	withRefresh := slices.Contains(a.scopes, oidc.ScopeOfflineAccess) && a.responseType == oidc.ResponseTypeCode &&
		op.ValidateGrantType(client, oidc.GrantTypeRefreshToken)
	resp, err := s.resourceTokenResponse(ctx, client, a, tgt, withRefresh, tokenReq.Code, "")
	if err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	httphelper.MarshalJSON(w, resp)
}

// refreshForResource is op.RefreshTokenExchange with a resource. The scope
// parameter may narrow the grant's scope and must not widen it (RFC 6749 §6,
// invalid_scope); a refused resource or scope does not rotate the refresh
// token.
func (s *Server) refreshForResource(w http.ResponseWriter, r *http.Request, params []string) {
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
	tgt, err := s.store.resourceTarget(rr.resources, params, rr.current)
	if err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	resp, err := s.resourceTokenResponse(ctx, client, rr, tgt, true, "", tokenReq.RefreshToken)
	if err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	httphelper.MarshalJSON(w, resp)
}

// resourceTokenResponse is op.CreateTokenResponse for a resource: the access
// token is built from tgt, the ID token from req as without a resource.
func (s *Server) resourceTokenResponse(ctx context.Context, client op.Client, req op.IDTokenRequest, tgt *target,
	withRefresh bool, code, currentRefreshToken string) (*oidc.AccessTokenResponse, error) {
	t, refreshToken, err := s.store.issue(req, currentRefreshToken, withRefresh, tgt)
	if err != nil {
		return nil, err
	}
	issuer := op.IssuerFromContext(ctx)
	var accessToken string
	if client.AccessTokenType() == op.AccessTokenTypeJWT {
		atReq := &resourceTokenRequest{subject: t.subject, audience: t.audience, scopes: t.scopes}
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
		TokenType:    oidc.BearerToken,
		ExpiresIn:    uint64(validity.Seconds()),
		Scope:        slices.Clone(t.scopes),
	}, nil
}
