package devop

import (
	"errors"
	"net/http"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/oidcwasm/oidcwasm/internal/dpop"
)

// Paths of the endpoints that check DPoP proofs; a proof's htu is the
// issuer plus one of them (RFC 9449 §4.3 check 9).
const (
	pathToken    = "/oauth/token"
	pathUserinfo = "/userinfo"
	pathPAR      = "/par"
)

// errDPoPProof is the token endpoint's error for a refused proof (RFC 9449
// §5): 400 with error=invalid_dpop_proof.
func errDPoPProof(desc string) *oidc.Error {
	return &oidc.Error{ErrorType: dpop.ErrInvalidProof, Description: desc}
}

// RequireDPoPNonce turns the authorization server's DPoP nonce (RFC 9449
// §8) on or off. While it is on, a token or PAR request whose proof lacks
// the current nonce, or carries an old one, is answered 400
// error=use_dpop_nonce with the nonce in the DPoP-Nonce header, and every
// token response carries DPoP-Nonce.
func (s *Server) RequireDPoPNonce(on bool) { s.dpopNonce.Require(on) }

// RotateDPoPNonce makes a new DPoP nonce current and returns it ("" while
// nonces are off). Proofs with the old nonce get use_dpop_nonce.
func (s *Server) RotateDPoPNonce() string { return s.dpopNonce.Rotate() }

// DPoPNonce returns the current DPoP nonce, "" while nonces are off.
func (s *Server) DPoPNonce() string { return s.dpopNonce.Current() }

// checkProof checks the DPoP header of a request to the provider's path
// (RFC 9449 §4.3), with the server nonce when one is required. It returns
// nil without a DPoP header. A refused proof is answered here, per RFC 6749
// §5.2 as §5 and §8 of RFC 9449 say: 400 invalid_dpop_proof, or
// use_dpop_nonce with DPoP-Nonce; ok is then false.
func (s *Server) checkProof(w http.ResponseWriter, r *http.Request, path string) (proof *dpop.Proof, ok bool) {
	if len(r.Header.Values(dpop.Header)) == 0 {
		return nil, true
	}
	nonce := s.dpopNonce.Current()
	proof, err := s.dpop.Check(r.Header, dpop.Expect{Method: r.Method, URL: s.issuer + path, Nonce: nonce})
	if err != nil {
		var e *dpop.Error
		if !errors.As(err, &e) {
			e = &dpop.Error{Code: dpop.ErrInvalidProof, Description: err.Error()}
		}
		if e.Code == dpop.ErrUseNonce {
			w.Header().Set(dpop.NonceHeader, nonce)
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": e.Code, "error_description": e.Description})
		return nil, false
	}
	return proof, true
}

// tokenProof is checkProof at the token endpoint.
func (s *Server) tokenProof(w http.ResponseWriter, r *http.Request) (*dpop.Proof, bool) {
	return s.checkProof(w, r, pathToken)
}

// handleUserinfo serves OpenID Connect Core §5.3 through op, after checking
// the access token itself so a missing, invalid, expired or revoked token
// gets the RFC 6750 §3.1 answer: 401 with a challenge (op would answer 401
// or 403 without one).
//
// A token bound to a DPoP key (RFC 9449 §7) must come as "Authorization:
// DPoP <token>" with a proof of that key for this request (htm, htu = the
// userinfo URL, ath = the token's hash); as Bearer it is refused (§7.2),
// and so is an unbound token sent with the DPoP scheme. Those answers are
// 401 with a DPoP challenge (§7.1): error="invalid_token" for the token,
// error="invalid_dpop_proof" for the proof.
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	scheme, token, ok := accessTokenOf(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.issuer+`"`)
		w.Header().Add("WWW-Authenticate", dpopChallenge("", ""))
		http.Error(w, "devop: access token missing", http.StatusUnauthorized)
		return
	}
	claims, err := op.VerifyAccessToken[*oidc.AccessTokenClaims](r.Context(), token, s.provider.AccessTokenVerifier(r.Context()))
	var rec accessToken
	if err == nil {
		if rec, ok = s.store.activeAccessToken(claims.JWTID); !ok {
			err = errRevoked
		}
	}
	if err != nil {
		const desc = "access token invalid, expired or revoked"
		if scheme == dpop.Scheme {
			w.Header().Set("WWW-Authenticate", dpopChallenge("invalid_token", desc))
		} else {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.issuer+`", error="invalid_token", error_description="`+desc+`"`)
		}
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": desc})
		return
	}
	refuse := func(code, desc string) {
		w.Header().Set("WWW-Authenticate", dpopChallenge(code, desc))
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": code, "error_description": desc})
	}
	switch {
	case rec.jkt != "" && scheme != dpop.Scheme:
		refuse("invalid_token", "the access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof (RFC 9449 §7.1)")
		return
	case rec.jkt == "" && scheme == dpop.Scheme:
		refuse("invalid_token", "the access token is not DPoP-bound: send it with the Bearer scheme")
		return
	case rec.jkt != "":
		_, err := s.dpop.Check(r.Header, dpop.Expect{Method: r.Method, URL: s.issuer + pathUserinfo, AccessToken: token, JKT: rec.jkt})
		if err != nil {
			var e *dpop.Error
			if !errors.As(err, &e) {
				e = &dpop.Error{Code: dpop.ErrInvalidProof, Description: err.Error()}
			}
			refuse(e.Code, e.Description)
			return
		}
		// op reads the Bearer scheme only.
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", oidc.PrefixBearer+token)
	}
	op.Userinfo(w, r, s.provider)
}

// dpopChallenge is a WWW-Authenticate challenge of the DPoP scheme (RFC
// 9449 §7.1), with the accepted algs.
func dpopChallenge(code, desc string) string {
	c := dpop.Scheme + ` algs="` + strings.Join(dpop.AlgNames(), " ") + `"`
	if code != "" {
		c += `, error="` + code + `"`
	}
	if desc != "" {
		c += `, error_description="` + strings.ReplaceAll(desc, `"`, `'`) + `"`
	}
	return c
}

// accessTokenOf reads the access token of a request: the Authorization
// header with the Bearer (RFC 6750 §2.1) or DPoP (RFC 9449 §7.1) scheme,
// or the RFC 6750 §2.2 form parameter (Bearer). scheme is "Bearer" or
// "DPoP".
func accessTokenOf(r *http.Request) (scheme, token string, ok bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		sch, tok, found := strings.Cut(h, " ")
		tok = strings.TrimSpace(tok)
		switch {
		case !found || tok == "":
			return "", "", false
		case strings.EqualFold(sch, "Bearer"):
			return "Bearer", tok, true
		case strings.EqualFold(sch, dpop.Scheme):
			return dpop.Scheme, tok, true
		}
		return "", "", false
	}
	if r.Method == http.MethodPost {
		if t := r.PostFormValue("access_token"); t != "" {
			return "Bearer", t, true
		}
	}
	return "", "", false
}
