package devop

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// accessToken is the server-side record of a JWT access token, keyed by its
// jti. A JWT whose record is gone (revoked or expired) is refused by userinfo
// and introspection even though its signature is still valid.
type accessToken struct {
	id, clientID, subject string
	scopes, audience      []string
	issued, expires       time.Time
	family                string // refresh token family it came from, if any
	jkt                   string // RFC 9449 §6.1: the DPoP key it is bound to, if any
}

// refreshToken is an opaque refresh token (RFC 6749 §1.5). Each use rotates
// it: the token is marked used and a new one of the same family is issued
// (RFC 9700 §4.14.2). Presenting a used token again is taken as theft and
// revokes the whole family.
type refreshToken struct {
	token, family, clientID, subject string
	scopes, audience, amr            []string // scopes of the original grant
	resources                        []string // RFC 8707 §2.1: the resources the grant covers
	authTime, expires                time.Time
	sid                              string // the browser session of the grant: refreshed ID tokens carry it
	used                             bool
	// jkt binds the family to a DPoP key (RFC 9449 §5): set for public
	// clients whose code exchange carried a proof; every refresh must then
	// come with a proof of that key.
	jkt string
}

// refreshRequest implements op.RefreshTokenRequest over a copy of a
// refreshToken. current holds the scopes of this request (RFC 6749 §6 allows
// narrowing them); the grant's scopes stay with the token family.
type refreshRequest struct {
	refreshToken
	current []string
}

func (r *refreshRequest) GetAMR() []string            { return r.amr }
func (r *refreshRequest) GetAudience() []string       { return r.audience }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.authTime }
func (r *refreshRequest) GetClientID() string         { return r.clientID }
func (r *refreshRequest) GetScopes() []string         { return r.current }
func (r *refreshRequest) GetSubject() string          { return r.subject }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.current = s }

// CreateAccessToken records an access token for a code exchange without
// offline_access. It also redeems the code, so a code is exchanged once.
func (s *store) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	if _, ok := req.(*authRequest); !ok {
		return "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	t, _, err := s.issue(req, "", false, nil, "")
	if err != nil {
		return "", time.Time{}, err
	}
	return t.id, t.expires, nil
}

// CreateAccessAndRefreshTokens issues an access token and a refresh token,
// either for a code exchange with offline_access (a new family) or for a
// refresh, which rotates currentRefreshToken.
func (s *store) CreateAccessAndRefreshTokens(_ context.Context, req op.TokenRequest, currentRefreshToken string) (string, string, time.Time, error) {
	t, refreshToken, err := s.issue(req, currentRefreshToken, true, nil, "")
	if err != nil {
		return "", "", time.Time{}, err
	}
	return t.id, refreshToken, t.expires, nil
}

// issue records the tokens of a code exchange (req an *authRequest, whose
// code it redeems) or a refresh (req a *refreshRequest). withRefresh issues
// a refresh token too: a new family for a code exchange, the rotation of
// currentRefreshToken for a refresh (always). The access token has the
// request's scopes and the grant's audience, or, when tgt is set, the
// resource alone as audience and tgt's scopes (RFC 8707 §2.2). The family
// remembers the resources of the authorization request.
//
// jkt is the thumbprint of the DPoP proof's key (RFC 9449), "" without a
// proof: the access token is bound to it (§6), and so is a new refresh
// token family of a public client (§5). A code bound at /authorize with
// dpop_jkt (§10) needs a proof of that key (invalid_dpop_proof); a bound
// refresh token needs a proof of its key (invalid_grant). Either refusal
// leaves the code or the refresh token unused.
func (s *store) issue(req op.TokenRequest, currentRefreshToken string, withRefresh bool, tgt *target, jkt string) (*accessToken, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var next *refreshToken
	var clientID, subject string
	var audience []string
	switch r := req.(type) {
	case *authRequest:
		if r.dpopJKT != "" && r.dpopJKT != jkt {
			return nil, "", errDPoPProof("the authorization request bound the code to another DPoP key (dpop_jkt, RFC 9449 §10), or the token request has no DPoP proof")
		}
		if err := s.redeemLocked(r.id); err != nil {
			return nil, "", err
		}
		clientID, subject, audience = r.clientID, r.subject, r.GetAudience()
		if withRefresh {
			next = &refreshToken{family: randomID(12), clientID: r.clientID, subject: r.subject,
				scopes: slices.Clone(r.scopes), audience: r.GetAudience(), amr: r.GetAMR(), authTime: r.authTime,
				resources: slices.Clone(r.resources), sid: r.sessionID}
			if cl := s.clients[r.clientID]; cl != nil && cl.public() {
				next.jkt = jkt
			}
		}
	case *refreshRequest:
		cur, ok := s.refreshTokens[currentRefreshToken]
		if !ok || cur.used {
			// Another request rotated it first, or it was revoked meanwhile.
			return nil, "", oidc.ErrInvalidGrant().WithDescription("refresh token already used or revoked")
		}
		if cur.jkt != "" && cur.jkt != jkt {
			return nil, "", oidc.ErrInvalidGrant().WithDescription("the refresh token is bound to a DPoP key (RFC 9449 §5): send a DPoP proof of that key")
		}
		cur.used = true
		n := *cur
		n.used = false
		next = &n
		clientID, subject, audience = cur.clientID, cur.subject, cur.audience
	default:
		return nil, "", oidc.ErrUnsupportedGrantType()
	}
	var token, family string
	if next != nil {
		next.token = randomID(32)
		next.expires = s.now().Add(s.refreshTokenLifetime)
		s.refreshTokens[next.token] = next
		token, family = next.token, next.family
	}
	scopes := req.GetScopes()
	if tgt != nil {
		audience, scopes = []string{tgt.resource}, tgt.scopes
	}
	return s.newAccessTokenLocked(clientID, subject, scopes, audience, family, jkt), token, nil
}

func (s *store) newAccessTokenLocked(clientID, subject string, scopes, audience []string, family, jkt string) *accessToken {
	now := s.now()
	t := &accessToken{id: randomID(16), clientID: clientID, subject: subject,
		scopes: slices.Clone(scopes), audience: slices.Clone(audience),
		issued: now, expires: now.Add(s.accessTokenLifetime), family: family, jkt: jkt}
	s.accessTokens[t.id] = t
	return t
}

// TokenRequestByRefreshToken accepts an unused, unexpired refresh token. A
// used one means it leaked or the client replayed it: the family is revoked
// (RFC 9700 §4.14.2) and op answers invalid_grant (RFC 6749 §5.2).
func (s *store) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refreshTokens[token]
	switch {
	case !ok || s.now().After(t.expires):
		return nil, errors.New("devop: refresh token unknown, revoked or expired")
	case t.used:
		s.revokeFamilyLocked(t.family)
		return nil, errors.New("devop: refresh token reused after rotation; its family is revoked")
	}
	c := *t
	c.scopes = slices.Clone(t.scopes)
	c.resources = slices.Clone(t.resources)
	return &refreshRequest{refreshToken: c, current: slices.Clone(t.scopes)}, nil
}

// revokeFamilyLocked drops every refresh and access token of a family
// (RFC 7009 §2.1: revoking a refresh token also invalidates the access
// tokens of the same grant). Callers hold mu.
func (s *store) revokeFamilyLocked(family string) {
	for v, t := range s.refreshTokens {
		if t.family == family {
			delete(s.refreshTokens, v)
		}
	}
	for id, t := range s.accessTokens {
		if t.family == family {
			delete(s.accessTokens, id)
		}
	}
}

// GetRefreshTokenInfo tells op's revocation endpoint whether a value is one of
// our refresh tokens; op then passes the value itself to RevokeToken.
func (s *store) GetRefreshTokenInfo(_ context.Context, _ string, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refreshTokens[token]
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return t.subject, token, nil
}

// RevokeToken implements RFC 7009 §2.1. tokenOrID is an access token's jti
// or a refresh token's value. Unknown tokens are not an error (§2.2), but a
// token issued to another client is refused.
func (s *store) RevokeToken(_ context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.accessTokens[tokenOrID]; ok {
		if t.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(s.accessTokens, tokenOrID)
		return nil
	}
	if t, ok := s.refreshTokens[tokenOrID]; ok {
		if t.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		s.revokeFamilyLocked(t.family)
	}
	return nil
}

// TerminateSession is unused: TerminateSessionFromRequest takes its place.
func (s *store) TerminateSession(context.Context, string, string) error { return nil }

// activeAccessToken returns the record of a live access token.
func (s *store) activeAccessToken(id string) (accessToken, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.accessTokens[id]
	if !ok || !s.now().Before(t.expires) {
		return accessToken{}, false
	}
	return *t, true
}

// SetUserinfoFromToken serves the userinfo endpoint (OpenID Connect Core
// §5.3) for a live access token.
func (s *store) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	t, ok := s.activeAccessToken(tokenID)
	if !ok || t.subject != subject {
		return errors.New("devop: access token revoked or expired")
	}
	return s.setUserinfo(info, t.subject, t.scopes)
}

// SetIntrospectionFromToken answers RFC 7662 §2.2 for a live access token;
// an error makes op answer {"active": false}.
func (s *store) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, _ string) error {
	t, ok := s.activeAccessToken(tokenID)
	if !ok || t.subject != subject {
		return errors.New("devop: access token revoked or expired")
	}
	info := new(oidc.UserInfo)
	if err := s.setUserinfo(info, t.subject, t.scopes); err != nil {
		return err
	}
	resp.SetUserInfo(info)
	resp.Scope = t.scopes
	resp.ClientID = t.clientID
	resp.TokenType = oidc.BearerToken
	resp.Audience = t.audience
	resp.IssuedAt = oidc.FromTime(t.issued)
	resp.Expiration = oidc.FromTime(t.expires)
	resp.JWTID = t.id
	return nil
}

// SetUserinfoFromScopes is deprecated in op; SetUserinfoFromRequest is used.
func (s *store) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's user claims.
func (s *store) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.setUserinfo(info, req.GetSubject(), scopes); err != nil {
		return err
	}
	addSessionID(info, req)
	return nil
}

// setUserinfo releases claims by scope (OpenID Connect Core §5.4).
func (s *store) setUserinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	u, ok := s.userBySubject(subject)
	if !ok {
		return errors.New("devop: unknown subject")
	}
	info.Subject = u.Subject
	for _, sc := range scopes {
		switch sc {
		case oidc.ScopeProfile:
			info.Name, info.GivenName, info.FamilyName = u.Name, u.GivenName, u.FamilyName
			info.PreferredUsername = u.Username
		case oidc.ScopeEmail:
			info.Email, info.EmailVerified = u.Email, oidc.Bool(u.EmailVerified)
		}
	}
	return nil
}

// GetPrivateClaimsFromScopes is replaced by GetPrivateClaimsFromRequest.
func (s *store) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetPrivateClaimsFromRequest adds the scope claim to JWT access tokens
// (RFC 9068 §2.2.3), which op does not set itself. For a resource it is
// the access token's scopes (accessTokenRequest), not the grant's. A token
// bound to a DPoP key gets cnf.jkt (RFC 9449 §6.1).
func (s *store) GetPrivateClaimsFromRequest(_ context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
	claims := map[string]any{"scope": strings.Join(req.GetScopes(), " ")}
	if r, ok := req.(*accessTokenRequest); ok && r.jkt != "" {
		claims["cnf"] = map[string]string{"jkt": r.jkt}
	}
	return claims, nil
}
