package devop

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// session is a browser session at the provider, created at login and found
// again through the session cookie. It lives until end_session, EndSessions
// or the provider stops.
type session struct {
	id, subject string
	authTime    time.Time
	// browserState is the OP browser state of OpenID Connect Session
	// Management 1.0 §3: a random value in a cookie that script of the
	// check_session_iframe reads; new with each session.
	browserState string
	// clients are the clients that got a code in this session, in order:
	// the ones whose front-channel logout URIs its end renders.
	clients []string
}

var errRevoked = errors.New("devop: token revoked or expired")

func (s *store) newSession(subject string) session {
	ss := &session{id: randomID(24), subject: subject, authTime: s.now(), browserState: randomID(16)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[ss.id] = ss
	return *ss
}

func (s *store) session(id string) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[id]
	if !ok {
		return session{}, false
	}
	c := *ss
	c.clients = slices.Clone(ss.clients)
	return c, true
}

func (s *store) endSession(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, id)
}

func (s *store) endAllSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessions)
}

// sessionFromRequest returns the live session named by the request's cookie.
func (s *Server) sessionFromRequest(r *http.Request) (session, bool) {
	c, err := r.Cookie(s.cookieName)
	if err != nil {
		return session{}, false
	}
	return s.store.session(c.Value)
}

// setSessionCookie names the session in an HttpOnly cookie. SameSite=Lax
// still sends it in the hidden iframe of a silent renewal as long as SPA and
// provider are same-site (e.g. both on localhost, any port).
func (s *Server) setSessionCookie(w http.ResponseWriter, ss session) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName, Value: ss.id, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
	s.setBrowserState(w, ss.browserState)
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
	s.setBrowserState(w, "")
}

type sessionIDKey struct{}

// handleEndSession serves OpenID Connect RP-Initiated Logout 1.0 §2 through
// op: post_logout_redirect_uri must be registered for the client named by
// id_token_hint or client_id, state is passed back, and the browser session
// of the cookie ends.
func (s *Server) handleEndSession(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, oidc.ErrInvalidRequest().WithDescription("cannot parse form"))
		return
	}
	// §3: without id_token_hint or client_id the OP cannot check the URI.
	if r.Form.Get("post_logout_redirect_uri") != "" && r.Form.Get("id_token_hint") == "" && r.Form.Get("client_id") == "" {
		writeJSON(w, http.StatusBadRequest, oidc.ErrInvalidRequest().WithDescription(
			"post_logout_redirect_uri needs id_token_hint or client_id to identify the client"))
		return
	}
	ctx := r.Context()
	if c, err := r.Cookie(s.cookieName); err == nil {
		ctx = context.WithValue(ctx, sessionIDKey{}, c.Value)
	}
	// The session as it was: its end renders its clients' front-channel
	// logout iframes (frontchannel.go) before op's redirect goes on.
	ss, live := s.sessionFromRequest(r)
	var next string
	hw := &hookWriter{ResponseWriter: w}
	hw.before = func(status int) int {
		if status != http.StatusFound {
			return status
		}
		s.clearSessionCookie(w)
		if !live || len(s.logoutFrames(ss)) == 0 {
			return status
		}
		next = w.Header().Get("Location")
		w.Header().Del("Location")
		signedOutHeaders(w.Header())
		hw.discard = true // http.Redirect's body
		return http.StatusOK
	}
	op.EndSession(hw, r.WithContext(ctx), s.provider)
	if next != "" {
		s.writeSignedOut(w, ss, true, next)
	}
}

// TerminateSessionFromRequest ends the browser session whose ID
// handleEndSession put in ctx, and returns where op should redirect.
func (s *store) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	if id, ok := ctx.Value(sessionIDKey{}).(string); ok {
		s.endSession(id)
	}
	return req.RedirectURI, nil
}

func (s *Server) handleLoggedOut(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(`<!doctype html><title>Signed out</title><p>You are signed out of the development OpenID Provider.</p>`))
}
