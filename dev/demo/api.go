package demo

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/oidcwasm/oidcwasm/dev/devop"
	"github.com/oidcwasm/oidcwasm/internal/dpop"
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
	// Scheme is the Authorization scheme that arrived: "Bearer", "DPoP"
	// (RFC 9449 §7.1) or another; "" without an Authorization header.
	Scheme string `json:"scheme,omitempty"`
	// DPoP tells whether a DPoP header came with the request; DPoPJKT (the
	// first 12 characters of its key's RFC 7638 thumbprint) and DPoPJTI
	// name the proof once a sample API accepted it: "which proof went with
	// a request".
	DPoP    bool   `json:"dpop,omitempty"`
	DPoPJKT string `json:"dpopJkt,omitempty"`
	DPoPJTI string `json:"dpopJti,omitempty"`
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
// 12 hex digits of its SHA-256, as the development provider names them.
func Fingerprint(token string) string { return devop.Fingerprint(token) }

// apis holds the sample APIs' shared state: the request log, the
// RejectNext switches, the DPoP proof checker (one replay cache for all
// APIs) and each API's DPoP nonce (RequireDPoPNonce).
type apis struct {
	mu         sync.Mutex
	log        []Request
	rejectNext map[string]int
	dpop       *dpop.Checker
	nonces     map[string]*dpop.NonceSource // by API name
}

func newAPIs() *apis {
	return &apis{rejectNext: map[string]int{}, dpop: dpop.NewChecker(dpop.DefaultWindow, nil),
		nonces: map[string]*dpop.NonceSource{"A": {}, "B": {}, "C": {}}}
}

// apiScheme is the scheme of the sample APIs' URLs: the servers are plain
// HTTP on loopback.
const apiScheme = "http"

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
	scheme, token, ok := authorization(r)
	return token, scheme == "Bearer", ok
}

// authorization splits an Authorization header into its scheme ("Bearer"
// and "DPoP" in canonical case, RFC 9110 §11.1: schemes are
// case-insensitive) and credentials; ok is false when there is none.
func authorization(r *http.Request) (scheme, token string, ok bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", "", false
	}
	scheme, rest, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		scheme = "Bearer"
	case strings.EqualFold(scheme, dpop.Scheme):
		scheme = dpop.Scheme
	}
	return scheme, strings.TrimSpace(rest), true
}

// dpopRefusal is a request a sample API refuses under RFC 9449 §7: code is
// invalid_token, invalid_dpop_proof or use_dpop_nonce.
type dpopRefusal struct{ code, reason string }

func (e *dpopRefusal) Error() string { return e.reason }

// checkDPoP applies RFC 9449 §7 to a request whose token verified: a token
// with cnf.jkt must come with the DPoP scheme and a proof of that key for
// this request (htm, htu = the API URL as the browser addressed it, ath,
// and the API's nonce when RequireDPoPNonce is on); a token without cnf
// must not come with the DPoP scheme.
func (a *apis) checkDPoP(name string, r *http.Request, scheme, token string, c *claims) (*dpop.Proof, error) {
	jkt := c.boundJKT()
	switch {
	case jkt == "" && scheme == dpop.Scheme:
		return nil, &dpopRefusal{"invalid_token", "the token is not DPoP-bound (no cnf.jkt): send it with the Bearer scheme"}
	case jkt == "":
		return nil, nil
	case scheme != dpop.Scheme:
		return nil, &dpopRefusal{"invalid_token", "the token is DPoP-bound: send it with the DPoP scheme and a DPoP proof (RFC 9449 §7.1)"}
	}
	u := apiScheme + "://" + r.Host + r.URL.EscapedPath()
	p, err := a.dpop.Check(r.Header, dpop.Expect{Method: r.Method, URL: u, AccessToken: token, JKT: jkt,
		Nonce: a.nonces[name].Current()})
	if err != nil {
		var e *dpop.Error
		if errors.As(err, &e) {
			return nil, &dpopRefusal{e.Code, "DPoP proof refused: " + e.Description}
		}
		return nil, &dpopRefusal{dpop.ErrInvalidProof, "DPoP proof refused: " + err.Error()}
	}
	return p, nil
}

// dpopChallenge is a WWW-Authenticate challenge of the DPoP scheme (RFC
// 9449 §7.1).
func dpopChallenge(code, reason string) string {
	return dpop.Scheme + ` algs="` + strings.Join(dpop.AlgNames(), " ") + `", error="` + code +
		`", error_description="` + strings.ReplaceAll(reason, `"`, `'`) + `"`
}

// shortJKT is how the log shows a key: the first 12 characters of its
// thumbprint.
func shortJKT(jkt string) string {
	if len(jkt) > 12 {
		return jkt[:12]
	}
	return jkt
}

// sampleAPI answers with what it thinks of the request's access token:
// 200 for a valid one; 401 with a Bearer challenge (RFC 6750 §3) without
// an error code when there is none, and with error="invalid_token" when
// it is bad, expired or revoked.
//
// A token bound to a DPoP key (cnf.jkt, RFC 9449 §6.1) must come as
// "Authorization: DPoP <token>" with a DPoP proof of that key for this
// request (§7: htm, htu = the API URL without query, ath, a fresh iat and
// an unused jti); a token without cnf must come as Bearer. Otherwise the
// answer is 401 with a DPoP challenge (§7.1): error="invalid_token",
// "invalid_dpop_proof", or, when RequireDPoPNonce is on for the API and
// the proof lacks its nonce, "use_dpop_nonce" with the nonce in DPoP-Nonce
// (§9). While the API's nonce is on, every answer carries DPoP-Nonce.
func (a *apis) sampleAPI(name string, v *verifier) http.Handler {
	realm := `Bearer realm="api-` + strings.ToLower(name) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp := APIResponse{API: name, Method: r.Method, URL: r.Host + r.URL.RequestURI(),
			DPoP: len(r.Header.Values(dpop.Header)) > 0}
		if ns := a.nonces[name]; ns != nil {
			if n := ns.Current(); n != "" {
				w.Header().Set(dpop.NonceHeader, n)
			}
		}
		scheme, token, ok := authorization(r)
		resp.Scheme = scheme
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
			case scheme != "Bearer" && scheme != dpop.Scheme:
				err = reject("not a Bearer or DPoP token")
			case a.takeReject(name):
				err = reject("refused on purpose (Demo.RejectNext)")
			default:
				c, err = v.verify(r.Context(), token)
			}
			if err == nil {
				var p *dpop.Proof
				if p, err = a.checkDPoP(name, r, scheme, token, c); p != nil {
					resp.DPoPJKT, resp.DPoPJTI = shortJKT(p.JKT), p.JTI
				}
			}
			var rej *errRejected
			var dr *dpopRefusal
			switch {
			case err == nil:
				resp.Authorization = AuthValid
				resp.Subject, resp.Audience, resp.Issuer, resp.Expiry, resp.Scope = c.Subject, c.Audience, c.Issuer, c.Expiry.Unix(), c.Scope
			case errors.As(err, &dr):
				resp.Authorization, resp.Reason = AuthInvalid, dr.reason
				// A use_dpop_nonce answer's DPoP-Nonce was set above.
				w.Header().Set("WWW-Authenticate", dpopChallenge(dr.code, dr.reason))
				status = http.StatusUnauthorized
			case errors.As(err, &rej):
				resp.Authorization, resp.Reason = AuthInvalid, rej.reason
				challenge := realm
				if scheme == dpop.Scheme {
					challenge = dpop.Scheme + ` algs="` + strings.Join(dpop.AlgNames(), " ") + `"`
				}
				w.Header().Set("WWW-Authenticate", challenge+`, error="invalid_token", error_description="`+
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
			Reason: what, DPoP: len(r.Header.Values(dpop.Header)) > 0}
		if scheme, token, ok := authorization(r); ok {
			resp.Authorization, resp.Fingerprint, resp.Scheme = AuthPresent, Fingerprint(token), scheme
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
		resp := APIResponse{API: "redirect", Authorization: AuthNone, Method: r.Method, URL: r.Host + r.URL.RequestURI(),
			DPoP: len(r.Header.Values(dpop.Header)) > 0}
		if scheme, token, ok := authorization(r); ok {
			resp.Authorization, resp.Fingerprint, resp.Scheme = AuthPresent, Fingerprint(token), scheme
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
// request headers it asks for (Authorization and DPoP among them) so
// cross-origin calls can carry a token and its proof, and exposing
// WWW-Authenticate and DPoP-Nonce so oidc.fetch can read the challenge and
// the API's nonce (RFC 9449 §9).
func cors(appOrigin string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		allowed := r.Header.Get("Origin") == appOrigin
		if allowed {
			h.Set("Access-Control-Allow-Origin", appOrigin)
			h.Set("Access-Control-Expose-Headers", "WWW-Authenticate, "+dpop.NonceHeader)
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
