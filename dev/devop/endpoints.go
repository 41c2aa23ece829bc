package devop

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// discoveryDoc is op's discovery document plus the RFC 9207 §3 metadata op
// does not know about.
type discoveryDoc struct {
	*oidc.DiscoveryConfiguration
	AuthorizationResponseIssParameterSupported bool `json:"authorization_response_iss_parameter_supported"`
}

// handleDiscovery serves OpenID Connect Discovery 1.0 §4. It starts from op's
// document and narrows it to what this provider really does: the code flow
// with PKCE S256, refresh tokens, public clients (none) and
// client_secret_basic; no device flow, no session iframe, no request objects.
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	cfg := op.CreateDiscoveryConfig(r.Context(), s.provider, s.store)
	cfg.ScopesSupported = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess}
	cfg.ClaimsSupported = []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "at_hash",
		"c_hash", "azp", "client_id", "scope", "name", "given_name", "family_name", "preferred_username",
		"email", "email_verified"}
	cfg.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	cfg.ResponseModesSupported = []string{string(oidc.ResponseModeQuery), string(oidc.ResponseModeFragment)}
	cfg.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	cfg.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
	authMethods := []oidc.AuthMethod{oidc.AuthMethodNone, oidc.AuthMethodBasic}
	cfg.TokenEndpointAuthMethodsSupported = authMethods
	cfg.RevocationEndpointAuthMethodsSupported = authMethods
	cfg.IntrospectionEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic}
	cfg.TokenEndpointAuthSigningAlgValuesSupported = nil
	cfg.RevocationEndpointAuthSigningAlgValuesSupported = nil
	cfg.IntrospectionEndpointAuthSigningAlgValuesSupported = nil
	cfg.RequestObjectSigningAlgValuesSupported = nil
	cfg.DeviceAuthorizationEndpoint = ""
	cfg.CheckSessionIframe = ""
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(discoveryDoc{cfg, true})
}

// withIss adds the RFC 9207 §2 iss parameter to every authorization response,
// success or error, that h redirects to a client's redirect URI; op does not
// send it. Redirects within the provider (to the login page) are left alone.
func withIss(issuer string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hw := &hookWriter{ResponseWriter: w}
		hw.before = func(status int) int {
			if status >= 300 && status < 400 {
				if loc, ok := addIss(w.Header().Get("Location"), issuer); ok {
					w.Header().Set("Location", loc)
					hw.discard = true // http.Redirect's HTML body shows the old URL
				}
			}
			return status
		}
		h.ServeHTTP(hw, r)
	})
}

// addIss appends iss to an authorization response URL: to the fragment when
// the response parameters are there (response_mode=fragment), else to the
// query. It leaves relative URLs and URLs on the issuer's origin alone.
func addIss(loc, issuer string) (string, bool) {
	u, err := url.Parse(loc)
	if err != nil || !u.IsAbs() || u.Scheme+"://"+u.Host == issuer {
		return loc, false
	}
	param := "iss=" + url.QueryEscape(issuer)
	if f, err := url.ParseQuery(u.Fragment); err == nil && (f.Has("code") || f.Has("error")) {
		return loc + "&" + param, true // the fragment ends the URL
	}
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += param
	return u.String(), true
}

// hookWriter lets middleware change headers and status just before op's
// handler writes them.
type hookWriter struct {
	http.ResponseWriter
	before  func(status int) int
	written bool
	discard bool // drop the body
}

func (h *hookWriter) WriteHeader(status int) {
	if !h.written {
		h.written = true
		status = h.before(status)
	}
	h.ResponseWriter.WriteHeader(status)
}

func (h *hookWriter) Write(b []byte) (int, error) {
	if !h.written {
		h.WriteHeader(http.StatusOK)
	}
	if h.discard {
		return len(b), nil
	}
	return h.ResponseWriter.Write(b)
}

func (h *hookWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// handleUserinfo serves OpenID Connect Core §5.3 through op, after checking
// the bearer token itself so a missing, invalid, expired or revoked token
// gets the RFC 6750 §3.1 answer: 401 with a Bearer challenge (op would answer
// 401 or 403 without one).
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	token, ok := bearerToken(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.issuer+`"`)
		http.Error(w, "devop: access token missing", http.StatusUnauthorized)
		return
	}
	claims, err := op.VerifyAccessToken[*oidc.AccessTokenClaims](r.Context(), token, s.provider.AccessTokenVerifier(r.Context()))
	if err == nil {
		if _, ok = s.store.activeAccessToken(claims.JWTID); !ok {
			err = errRevoked
		}
	}
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.issuer+`", error="invalid_token", error_description="access token invalid, expired or revoked"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{
			"error": "invalid_token", "error_description": "access token invalid, expired or revoked"})
		return
	}
	op.Userinfo(w, r, s.provider)
}

// bearerToken reads the RFC 6750 §2.1 Authorization header, or the §2.2 form
// parameter.
func bearerToken(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
	}
	if r.Method == http.MethodPost {
		if t := r.PostFormValue("access_token"); t != "" {
			return t, true
		}
	}
	return "", false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
