package devop

import (
	"fmt"
	"maps"
	"net/http"
	"sync"
	"time"
)

// Endpoint names a provider endpoint in Counts and Delay.
type Endpoint string

// The endpoints. Token requests are also counted per grant type under
// "token:" + grant_type, e.g. "token:refresh_token".
const (
	EndpointDiscovery  Endpoint = "discovery"   // /.well-known/openid-configuration
	EndpointJWKS       Endpoint = "jwks"        // /keys
	EndpointAuthorize  Endpoint = "authorize"   // /authorize
	EndpointLogin      Endpoint = "login"       // /login
	EndpointToken      Endpoint = "token"       // /oauth/token
	EndpointUserinfo   Endpoint = "userinfo"    // /userinfo
	EndpointRevoke     Endpoint = "revoke"      // /revoke
	EndpointIntrospect Endpoint = "introspect"  // /oauth/introspect
	EndpointEndSession Endpoint = "end_session" // /end_session
	EndpointPAR        Endpoint = "par"         // /par (RFC 9126)
	// The provider's own sign-out page and its check_session_iframe.
	EndpointSignOut      Endpoint = "signout"       // /signout
	EndpointCheckSession Endpoint = "check_session" // /check_session
)

var endpoints = []Endpoint{EndpointDiscovery, EndpointJWKS, EndpointAuthorize, EndpointLogin,
	EndpointToken, EndpointUserinfo, EndpointRevoke, EndpointIntrospect, EndpointEndSession, EndpointPAR,
	EndpointSignOut, EndpointCheckSession}

// FailMode is how FailNextToken fails a token request.
type FailMode string

const (
	// FailStatus500 answers 500 with error=server_error (RFC 6749 §5.2 JSON).
	FailStatus500 FailMode = "500"
	// FailClose closes the connection without writing a byte. Browsers may
	// retry such a request once on a reused keep-alive connection, so ask for
	// two failures when the client runs in a browser.
	FailClose FailMode = "close"
)

// faults holds the test switches and the request counts.
type faults struct {
	mu       sync.Mutex
	counts   map[string]int
	delays   map[Endpoint]time.Duration
	failLeft int
	failMode FailMode
	tampered []string // Fingerprints of the tokens of tampered answers
}

func (f *faults) init() {
	f.counts = map[string]int{}
	f.delays = map[Endpoint]time.Duration{}
}

// FailNextToken makes the next n token requests fail in the given mode (a
// tamper mode answers them with an ID token that fails a check); n=0 turns
// failures off. The failed requests are still counted.
func (s *Server) FailNextToken(n int, mode FailMode) error {
	if mode != FailStatus500 && mode != FailClose && !isTamper(mode) {
		return fmt.Errorf("devop: fail mode %q: want %q, %q or one of %q", mode, FailStatus500, FailClose, tamperModes)
	}
	if n < 0 {
		return fmt.Errorf("devop: fail count %d: must not be negative", n)
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.failLeft, s.faults.failMode = n, mode
	return nil
}

// Delay holds every later request to endpoint for d before it is handled
// (CORS preflights excepted); d=0 removes the delay. A request whose client
// gives up meanwhile is dropped.
func (s *Server) Delay(e Endpoint, d time.Duration) error {
	if !validEndpoint(e) {
		return fmt.Errorf("devop: delay endpoint %q: unknown; want one of %v", e, endpoints)
	}
	if d < 0 {
		return fmt.Errorf("devop: delay %v: must not be negative", d)
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if d == 0 {
		delete(s.faults.delays, e)
	} else {
		s.faults.delays[e] = d
	}
	return nil
}

func validEndpoint(e Endpoint) bool {
	for _, x := range endpoints {
		if x == e {
			return true
		}
	}
	return false
}

// Counts returns how many requests each endpoint received since the start or
// the last ResetCounts, CORS preflights not included. Keys are Endpoint
// values and "token:" + grant_type; endpoints never called are absent.
func (s *Server) Counts() map[string]int {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return maps.Clone(s.faults.counts)
}

// ResetCounts sets all counts to zero.
func (s *Server) ResetCounts() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	clear(s.faults.counts)
}

// admit counts a request and returns its delay and, for token requests, the
// failure to inject.
func (f *faults) admit(e Endpoint, grantType string) (time.Duration, FailMode) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts[string(e)]++
	if e != EndpointToken {
		return f.delays[e], ""
	}
	if grantType != "" {
		f.counts[string(e)+":"+grantType]++
	}
	var fail FailMode
	if f.failLeft > 0 {
		f.failLeft--
		fail = f.failMode
	}
	return f.delays[e], fail
}

// meter counts, delays and, for the token endpoint, fails requests as the
// switches say before next handles them.
func (s *Server) meter(e Endpoint, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		var grantType string
		if e == EndpointToken {
			_ = r.ParseForm() // op parses again; the result is kept on r
			grantType = r.Form.Get("grant_type")
		}
		delay, fail := s.faults.admit(e, grantType)
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		switch fail {
		case FailStatus500:
			writeJSON(w, http.StatusInternalServerError, map[string]string{
				"error": "server_error", "error_description": "devop: injected failure"})
			return
		case FailClose:
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
				return
			}
			http.Error(w, "devop: injected failure", http.StatusInternalServerError)
			return
		}
		if isTamper(fail) {
			s.tamper(w, r, next, fail)
			return
		}
		next.ServeHTTP(w, r)
	})
}
