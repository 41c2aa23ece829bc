package devop

import (
	"html/template"
	"net/http"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// handleLogin is the login UI op redirects to with ?authRequestID=. It
// decides how the authorization request is answered (OpenID Connect Core
// §3.1.2.3, §3.1.2.6):
//
//   - a live session that satisfies prompt, max_age and id_token_hint:
//     the code is issued at once;
//   - prompt=none otherwise: error=login_required goes back to the client;
//   - auto-login set: that user is signed in at once;
//   - otherwise the username/password form; POST checks it.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	id := r.FormValue("authRequestID")
	req, err := s.store.AuthRequestByID(r.Context(), id)
	if err != nil {
		http.Error(w, "devop: unknown or expired authorization request; start the login again from the application", http.StatusBadRequest)
		return
	}
	a := req.(*authRequest)
	if a.done {
		http.Error(w, "devop: this authorization request was already answered", http.StatusBadRequest)
		return
	}
	if r.Method == http.MethodPost {
		u, ok := s.store.checkPassword(r.PostFormValue("username"), r.PostFormValue("password"))
		if !ok {
			s.renderLogin(w, a, r.PostFormValue("username"), "Wrong username or password.", http.StatusUnauthorized)
			return
		}
		s.signIn(w, r, a, u.Subject)
		return
	}
	if ss, ok := s.sessionFromRequest(r); ok && s.sessionSatisfies(a, ss) {
		s.complete(w, r, a, ss)
		return
	}
	if a.promptIncludes(oidc.PromptNone) {
		s.authError(w, r, a, oidc.ErrLoginRequired().WithDescription("no session at the provider, or it does not satisfy the request"))
		return
	}
	if name := s.autoLoginUser(); name != "" {
		if u, ok := s.store.userByName(name); ok {
			s.signIn(w, r, a, u.Subject)
			return
		}
	}
	s.renderLogin(w, a, "", "", http.StatusOK)
}

// sessionSatisfies applies prompt=login, max_age and id_token_hint (OpenID
// Connect Core §3.1.2.1) to an existing session.
func (s *Server) sessionSatisfies(a *authRequest, ss session) bool {
	if a.promptIncludes(oidc.PromptLogin) {
		return false
	}
	if a.maxAge != nil && s.store.now().Sub(ss.authTime) > time.Duration(*a.maxAge)*time.Second {
		return false
	}
	return a.hintSubject == "" || a.hintSubject == ss.subject
}

// signIn starts a new browser session for subject and answers the request.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, a *authRequest, subject string) {
	ss := s.store.newSession(subject)
	s.setSessionCookie(w, ss)
	s.complete(w, r, a, ss)
}

// complete marks the request authenticated and lets op redirect to the
// client with the code (withIss adds iss).
func (s *Server) complete(w http.ResponseWriter, r *http.Request, a *authRequest, ss session) {
	if err := s.store.completeLogin(a.id, ss); err != nil {
		s.authError(w, r, a, oidc.ErrServerError().WithDescription("authorization request expired"))
		return
	}
	done, err := s.store.AuthRequestByID(r.Context(), a.id)
	if err != nil {
		s.authError(w, r, a, oidc.ErrServerError().WithDescription("authorization request expired"))
		return
	}
	op.AuthResponse(done, s.provider, s.withSessionState(w, a, ss), r)
}

// authError redirects an error response to the client (RFC 6749 §4.1.2.1)
// and forgets the request.
func (s *Server) authError(w http.ResponseWriter, r *http.Request, a *authRequest, err error) {
	_ = s.store.DeleteAuthRequest(r.Context(), a.id)
	op.AuthRequestError(w, r, a, err, s.provider)
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Sign in — devop</title>
<style>body{font:16px system-ui,sans-serif;max-width:22rem;margin:4rem auto;padding:0 1rem}
label,input,button{display:block;width:100%;box-sizing:border-box;margin:.3rem 0}input,button{padding:.5rem}
.error{color:#b00020}.hint{color:#555;font-size:.9rem}</style></head>
<body><h1>Sign in</h1>
<p class="hint">Development OpenID Provider {{.Issuer}}, for client <b>{{.ClientID}}</b>.</p>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="authRequestID" value="{{.ID}}">
<label for="username">Username</label>
<input id="username" name="username" value="{{.Username}}" autocomplete="username" autofocus required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<p class="hint">Demo users:{{range .Users}} {{.Username}}/{{.Password}}{{end}}</p>
</body></html>`))

func (s *Server) renderLogin(w http.ResponseWriter, a *authRequest, username, msg string, status int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = loginPage.Execute(w, map[string]any{
		"Issuer": s.issuer, "ClientID": a.clientID, "ID": a.id,
		"Username": username, "Error": msg, "Users": s.cfg.Users,
	})
}
