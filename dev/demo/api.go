package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// APIResponse is the JSON body of the sample APIs and of the echo
// endpoints. It never contains a token: Fingerprint is the first 12 hex
// digits of the token's SHA-256, enough to tell tokens apart on screen.
type APIResponse struct {
	// API names the endpoint: "A", "B", "C" or "echo".
	API string `json:"api"`
	// Authorization is what arrived: "none" (no Authorization header),
	// "valid" or "invalid" (sample APIs), or "present" (echo endpoints,
	// which check nothing).
	Authorization string   `json:"authorization"`
	Subject       string   `json:"sub,omitempty"`
	Audience      []string `json:"aud,omitempty"`
	Scope         string   `json:"scope,omitempty"`
	Issuer        string   `json:"iss,omitempty"`
	Expiry        int64    `json:"exp,omitempty"`
	Fingerprint   string   `json:"fingerprint,omitempty"`
	// Reason says why a token is invalid, or what the endpoint is.
	Reason string `json:"reason,omitempty"`
	Method string `json:"method"`
	// URL is the request as the server saw it: host, path and query.
	URL string `json:"url"`
}

// Authorization values of APIResponse.
const (
	AuthNone    = "none"
	AuthValid   = "valid"
	AuthInvalid = "invalid"
	AuthPresent = "present"
)

// Request is one request a sample API or echo endpoint answered, as
// Requests reports it (CORS preflights are not recorded).
type Request struct {
	APIResponse
	Status int
}

// Fingerprint is how the APIs name a token without showing it: the first
// 12 hex digits of its SHA-256.
func Fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:6])
}

// apis holds the sample APIs' shared state: the request log and the
// RejectNext switches.
type apis struct {
	mu         sync.Mutex
	log        []Request
	rejectNext map[string]int
}

func (a *apis) record(r Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.log) >= 1000 {
		a.log = a.log[1:]
	}
	a.log = append(a.log, r)
}

// takeReject reports whether the next request to api must be refused.
func (a *apis) takeReject(api string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rejectNext[api] > 0 {
		a.rejectNext[api]--
		return true
	}
	return false
}

// bearer splits an Authorization header: ok is false when there is none.
func bearer(r *http.Request) (token string, isBearer, ok bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false, false
	}
	scheme, rest, _ := strings.Cut(h, " ")
	return strings.TrimSpace(rest), strings.EqualFold(scheme, "Bearer"), true
}

// sampleAPI answers with what it thinks of the request's bearer token:
// 200 for a valid one; 401 with a Bearer challenge (RFC 6750 §3) without
// an error code when there is none, and with error="invalid_token" when
// it is bad, expired or revoked.
func (a *apis) sampleAPI(name string, v *verifier) http.Handler {
	realm := `Bearer realm="api-` + strings.ToLower(name) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp := APIResponse{API: name, Method: r.Method, URL: r.Host + r.URL.RequestURI()}
		token, isBearer, ok := bearer(r)
		status := http.StatusOK
		switch {
		case v == nil:
			resp.Authorization, resp.Reason = AuthInvalid, "API "+name+" is not available with an external provider"
			status = http.StatusNotFound
		case !ok:
			resp.Authorization, resp.Reason = AuthNone, "no Authorization header"
			w.Header().Set("WWW-Authenticate", realm)
			status = http.StatusUnauthorized
		default:
			resp.Fingerprint = Fingerprint(token)
			var c *claims
			var err error
			switch {
			case !isBearer:
				err = reject("not a Bearer token")
			case a.takeReject(name):
				err = reject("refused on purpose (Demo.RejectNext)")
			default:
				c, err = v.verify(r.Context(), token)
			}
			var rej *errRejected
			switch {
			case err == nil:
				resp.Authorization = AuthValid
				resp.Subject, resp.Audience, resp.Issuer, resp.Expiry, resp.Scope = c.Subject, c.Audience, c.Issuer, c.Expiry, c.Scope
			case errors.As(err, &rej):
				resp.Authorization, resp.Reason = AuthInvalid, rej.reason
				w.Header().Set("WWW-Authenticate", realm+`, error="invalid_token", error_description="`+
					strings.ReplaceAll(rej.reason, `"`, `'`)+`"`)
				status = http.StatusUnauthorized
			default:
				// The provider could not be asked: not the client's fault.
				resp.Authorization, resp.Reason = AuthInvalid, "cannot check the token: "+err.Error()
				status = http.StatusServiceUnavailable
			}
		}
		a.record(Request{APIResponse: resp, Status: status})
		writeJSON(w, status, resp)
	})
}

// echo reports whether an Authorization header arrived, and checks
// nothing: the look-alikes and the unlisted URL, where no token may go.
func (a *apis) echo(what string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp := APIResponse{API: "echo", Authorization: AuthNone, Method: r.Method, URL: r.Host + r.URL.RequestURI(),
			Reason: what}
		if token, _, ok := bearer(r); ok {
			resp.Authorization, resp.Fingerprint = AuthPresent, Fingerprint(token)
		}
		a.record(Request{APIResponse: resp, Status: http.StatusOK})
		writeJSON(w, http.StatusOK, resp)
	})
}

// Query parameters that make any sample API or echo endpoint answer with a
// redirect or a challenge instead, so tests can see where a token goes next:
// ?e2e_redirect=302&e2e_to=/apix/y answers 302 to /apix/y (any 3xx status);
// ?e2e_challenge=1 answers 401 with a Bearer invalid_token challenge. Either
// is recorded (API "redirect" or "challenge") with the Authorization that
// arrived, like any other request.
const (
	QueryRedirect  = "e2e_redirect"
	QueryTo        = "e2e_to"
	QueryChallenge = "e2e_challenge"
)

// scripted answers the QueryRedirect and QueryChallenge requests, and passes
// every other request to next.
func (a *apis) scripted(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		status, _ := strconv.Atoi(q.Get(QueryRedirect))
		challenge := q.Get(QueryChallenge) != ""
		if (status < 300 || status > 399) && !challenge {
			next.ServeHTTP(w, r)
			return
		}
		resp := APIResponse{API: "redirect", Authorization: AuthNone, Method: r.Method, URL: r.Host + r.URL.RequestURI()}
		if token, _, ok := bearer(r); ok {
			resp.Authorization, resp.Fingerprint = AuthPresent, Fingerprint(token)
		}
		if challenge {
			resp.API, status = "challenge", http.StatusUnauthorized
			w.Header().Set("WWW-Authenticate", `Bearer realm="scripted", error="invalid_token"`)
		} else {
			w.Header().Set("Location", q.Get(QueryTo))
		}
		a.record(Request{APIResponse: resp, Status: status})
		writeJSON(w, status, resp)
	})
}

// cors answers the CORS protocol for the app's origin only, allowing the
// request headers it asks for (Authorization among them) so cross-origin
// calls can carry a token, and exposing WWW-Authenticate so oidc.fetch can
// read the Bearer challenge.
func cors(appOrigin string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		allowed := r.Header.Get("Origin") == appOrigin
		if allowed {
			h.Set("Access-Control-Allow-Origin", appOrigin)
			h.Set("Access-Control-Expose-Headers", "WWW-Authenticate")
		}
		if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
			next.ServeHTTP(w, r)
			return
		}
		if !allowed {
			http.Error(w, "demo: CORS preflight refused for this origin", http.StatusForbidden)
			return
		}
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
		// Any header the page asks for: these are development APIs, and
		// the origin check above is what keeps other sites out.
		h.Add("Vary", "Access-Control-Request-Headers")
		h.Set("Access-Control-Allow-Headers", r.Header.Get("Access-Control-Request-Headers"))
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
