package devop

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/oidcwasm/oidcwasm/internal/dpop"
)

// discoveryDoc is op's discovery document plus the metadata op does not
// know about: RFC 9207 §3, RFC 9126 §5 (PAR), RFC 9449 §5.1 (DPoP) and
// OpenID Connect Front-Channel Logout 1.0 §3.
type discoveryDoc struct {
	*oidc.DiscoveryConfiguration
	AuthorizationResponseIssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
	PushedAuthorizationRequestEndpoint         string   `json:"pushed_authorization_request_endpoint"`
	RequirePushedAuthorizationRequests         bool     `json:"require_pushed_authorization_requests"`
	DPoPSigningAlgValuesSupported              []string `json:"dpop_signing_alg_values_supported"`
	FrontchannelLogoutSupported                bool     `json:"frontchannel_logout_supported"`
	FrontchannelLogoutSessionSupported         bool     `json:"frontchannel_logout_session_supported"`
}

// handleDiscovery serves OpenID Connect Discovery 1.0 §4. It starts from op's
// document and narrows it to what this provider really does: the code flow
// with PKCE S256, refresh tokens, public clients (none) and
// client_secret_basic; no device flow, no request objects. The
// check_session_iframe is devop's own (checksession.go).
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
	cfg.CheckSessionIframe = s.issuer + pathCheckSession
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(discoveryDoc{
		DiscoveryConfiguration:                     cfg,
		AuthorizationResponseIssParameterSupported: true,
		PushedAuthorizationRequestEndpoint:         s.issuer + pathPAR,
		RequirePushedAuthorizationRequests:         s.cfg.RequirePushedAuthorizationRequests,
		DPoPSigningAlgValuesSupported:              dpop.AlgNames(),
		FrontchannelLogoutSupported:                true,
		FrontchannelLogoutSessionSupported:         true,
	})
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

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
