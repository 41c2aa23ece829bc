package devop

import (
	"net/http"
	"strings"
)

// corsAllowedHeaders are the request headers a SPA sends to the CORS
// endpoints: Authorization for userinfo, Content-Type for form posts, DPoP
// for proofs (RFC 9449 §4.1) at the token, userinfo, revocation and PAR
// endpoints.
var corsAllowedHeaders = []string{"Authorization", "Content-Type", "DPoP"}

// corsExposedHeaders are the response headers a SPA must be able to read:
// the challenge of a 401 (RFC 6750 §3, RFC 9449 §7.1) and the DPoP nonce
// (RFC 9449 §8).
const corsExposedHeaders = "WWW-Authenticate, DPoP-Nonce"

// cors answers the Fetch standard's CORS protocol (https://fetch.spec.whatwg.org/#http-cors-protocol)
// for the configured SPA origins only: the exact origin is echoed, never "*".
// A request from any other origin gets no Access-Control-Allow-Origin, so
// the browser keeps the response from the page; a preflight from it is
// refused with 403.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		allowed := origin != "" && s.origins[origin]
		h := w.Header()
		h.Add("Vary", "Origin")
		if allowed {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", corsExposedHeaders)
		}
		if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
			next.ServeHTTP(w, r)
			return
		}
		// Preflight.
		if !allowed || !preflightHeadersAllowed(r.Header.Get("Access-Control-Request-Headers")) {
			h.Del("Access-Control-Allow-Origin")
			h.Del("Access-Control-Expose-Headers")
			http.Error(w, "devop: CORS preflight refused for this origin or these headers", http.StatusForbidden)
			return
		}
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		h.Set("Access-Control-Allow-Headers", strings.Join(corsAllowedHeaders, ", "))
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
	})
}

// preflightHeadersAllowed checks Access-Control-Request-Headers, a
// comma-separated list of lower-case header names.
func preflightHeadersAllowed(list string) bool {
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		ok := false
		for _, a := range corsAllowedHeaders {
			ok = ok || strings.EqualFold(name, a)
		}
		if !ok {
			return false
		}
	}
	return true
}
