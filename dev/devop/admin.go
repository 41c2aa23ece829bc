package devop

import (
	"net"
	"net/http"
	"strconv"
	"time"
)

// adminHandler serves the test switches under /admin/. Each is the HTTP face
// of a Server method:
//
//	GET  /admin/counts                              Counts, as a JSON object
//	POST /admin/counts/reset                        ResetCounts
//	POST /admin/fail-token?n=2&mode=500|close|id_token_signature|id_token_at_hash|id_token_nonce|id_token_iss|id_token_aud
//	                                                FailNextToken
//	POST /admin/delay?endpoint=token&duration=2s    Delay (duration=0 removes it)
//	POST /admin/rotate-key                          RotateKey
//	POST /admin/end-sessions                        EndSessions
//	POST /admin/auto-login?user=alice               SetAutoLogin (user= turns it off)
//	POST /admin/dpop-nonce?on=1|0                   RequireDPoPNonce
//	POST /admin/dpop-nonce/rotate                   RotateDPoPNonce
//
// Successful POSTs answer 204. Requests from a non-loopback address, and
// requests a browser sends cross-origin (with an Origin header), get 403.
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/counts", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Counts())
	})
	mux.HandleFunc("POST /admin/counts/reset", func(w http.ResponseWriter, _ *http.Request) {
		s.ResetCounts()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /admin/fail-token", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.FormValue("n"))
		if err != nil {
			http.Error(w, "devop: n: want an integer", http.StatusBadRequest)
			return
		}
		answer(w, s.FailNextToken(n, FailMode(r.FormValue("mode"))))
	})
	mux.HandleFunc("POST /admin/delay", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.FormValue("duration"))
		if err != nil {
			http.Error(w, "devop: duration: want a Go duration such as 2s", http.StatusBadRequest)
			return
		}
		answer(w, s.Delay(Endpoint(r.FormValue("endpoint")), d))
	})
	mux.HandleFunc("POST /admin/rotate-key", func(w http.ResponseWriter, _ *http.Request) {
		answer(w, s.RotateKey())
	})
	mux.HandleFunc("POST /admin/end-sessions", func(w http.ResponseWriter, _ *http.Request) {
		s.EndSessions()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /admin/auto-login", func(w http.ResponseWriter, r *http.Request) {
		answer(w, s.SetAutoLogin(r.FormValue("user")))
	})
	mux.HandleFunc("POST /admin/dpop-nonce", func(w http.ResponseWriter, r *http.Request) {
		on, err := strconv.ParseBool(r.FormValue("on"))
		if err != nil {
			http.Error(w, "devop: on: want 1 or 0", http.StatusBadRequest)
			return
		}
		s.RequireDPoPNonce(on)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /admin/dpop-nonce/rotate", func(w http.ResponseWriter, _ *http.Request) {
		s.RotateDPoPNonce()
		w.WriteHeader(http.StatusNoContent)
	})
	return loopbackOnly(mux)
}

func answer(w http.ResponseWriter, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// loopbackOnly refuses requests whose peer is not a loopback address, and
// requests carrying an Origin header: a web page the developer visits could
// otherwise flip the switches with a cross-origin POST.
func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLoopback(r.RemoteAddr) {
			http.Error(w, "devop: admin endpoints answer loopback clients only", http.StatusForbidden)
			return
		}
		if r.Header.Get("Origin") != "" {
			http.Error(w, "devop: admin endpoints refuse browser cross-origin requests", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isLoopback reports whether a RemoteAddr (host:port) is a loopback address.
func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
