package spa

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TokenOptions say which access token a request needs (docs/DESIGN.md, "Route
// entries and tokens per API"): the zero value is the login's own access
// token; otherwise a token for Resource (RFC 8707 §2) with Scope (space
// separated, narrowing the granted scope, RFC 6749 §6) and TokenParams (extra
// token-request parameters, e.g. {"audience": "…"} for providers that use
// that name).
type TokenOptions struct {
	Resource    string
	Scope       string
	TokenParams map[string]string
}

// IsZero reports whether o asks for the login's own access token.
func (o TokenOptions) IsZero() bool {
	return o.Resource == "" && strings.TrimSpace(o.Scope) == "" && len(o.TokenParams) == 0
}

// Key is the cache key of the token o asks for: the resource, the scope's set
// of values and the sorted token parameters, so that two spellings of one
// request ("b a" and "a  b") share one token. "" for the login token. It is
// opaque; ParseTokenKey reads it back.
func (o TokenOptions) Key() string {
	if o.IsZero() {
		return ""
	}
	v := url.Values{}
	for k, x := range o.TokenParams {
		v.Set("p."+k, x)
	}
	if o.Resource != "" {
		v.Set("resource", o.Resource)
	}
	if s := scopeSet(o.Scope); s != "" {
		v.Set("scope", s)
	}
	return v.Encode() // sorted by key
}

// ParseTokenKey is the inverse of TokenOptions.Key.
func ParseTokenKey(key string) (TokenOptions, error) {
	var o TokenOptions
	v, err := url.ParseQuery(key)
	if err != nil {
		return o, fmt.Errorf("spa: token key does not parse: %w", err)
	}
	for k, x := range v {
		switch {
		case k == "resource":
			o.Resource = x[0]
		case k == "scope":
			o.Scope = x[0]
		case strings.HasPrefix(k, "p."):
			if o.TokenParams == nil {
				o.TokenParams = map[string]string{}
			}
			o.TokenParams[k[2:]] = x[0]
		default:
			return o, fmt.Errorf("spa: token key has an unknown part %q", k)
		}
	}
	return o, nil
}

// scopeSet returns the scope's distinct values, sorted, space separated.
func scopeSet(scope string) string {
	f := strings.Fields(scope)
	slices.Sort(f)
	return strings.Join(slices.Compact(f), " ")
}

// reservedTokenParams are set by the library on the requests a per-API token
// takes (RFC 6749 §4.1.1, §4.1.3, §6; RFC 7636; RFC 8707), space separated
// (a string, not a map: no table built at init in every wasm).
const reservedTokenParams = " grant_type refresh_token code code_verifier resource scope prompt response_type" +
	" client_id redirect_uri state nonce code_challenge code_challenge_method "

// validate checks o against the config; field prefixes the fields named
// ("secureRoutes[2]", "options").
func (o TokenOptions) validate(c *Config, field string) error {
	sub, msg := o.problem(c)
	if msg == "" {
		return nil
	}
	return &Error{Code: CodeInvalidConfig, ConfigID: c.ConfigID, Field: field + sub, Message: msg}
}

// problem is validate's check: the sub-field at fault and what is wrong, or
// "" (strings joined, not formatted: this runs in every wasm's configure).
func (o TokenOptions) problem(c *Config) (sub, msg string) {
	q := strconv.Quote
	if o.Resource != "" {
		if u, err := url.Parse(o.Resource); err != nil || !u.IsAbs() {
			return ".resource", q(o.Resource) + " is not an absolute URI (RFC 8707 §2)"
		}
		if strings.Contains(o.Resource, "#") {
			return ".resource", q(o.Resource) + " must not have a fragment (RFC 8707 §2)"
		}
	}
	if o.Scope != "" && strings.TrimSpace(o.Scope) == "" {
		return ".scope", "is blank: leave it out for the granted scope"
	}
	granted := " " + strings.Join(strings.Fields(c.Scope), " ") + " "
	for _, s := range strings.Fields(o.Scope) {
		if !strings.Contains(granted, " "+s+" ") {
			return ".scope", q(s) + " is not in the config's scope " + q(c.Scope) +
				": the grant must cover it, since a refresh may narrow the scope but never widen it (RFC 6749 §6)"
		}
	}
	for k := range o.TokenParams {
		if k == "" || strings.TrimSpace(k) != k || strings.Contains(reservedTokenParams, " "+k+" ") {
			return ".tokenParams", q(k) + " cannot be a token parameter: it is empty, padded, or set by the library (resource and scope have fields of their own)"
		}
	}
	return "", ""
}

// APIToken is a per-API access token of a session (never shown: the go-app
// state and events carry its lifetime only).
type APIToken struct {
	Resource    string            `json:"resource,omitempty"`
	Scope       string            `json:"scope,omitempty"` // as granted, when the provider said
	TokenParams map[string]string `json:"token_params,omitempty"`
	AccessToken string            `json:"access_token"`
	IssuedAt    time.Time         `json:"issued_at"`
	ExpiresAt   time.Time         `json:"expires_at,omitzero"`
}

// Expired reports whether the token has expired at now.
func (t *APIToken) Expired(now time.Time) bool {
	return t == nil || expired(t.AccessToken, t.ExpiresAt, now)
}

// RenewAt is when the token should be renewed (factor of its lifetime); zero
// when the lifetime is unknown.
func (t *APIToken) RenewAt(factor float64) time.Time { return renewAt(t.IssuedAt, t.ExpiresAt, factor) }

func (t *APIToken) stale(now time.Time, factor float64) bool {
	return t == nil || needsRenewal(t.AccessToken, t.IssuedAt, t.ExpiresAt, now, factor)
}

// token is t's access token, "" for none.
func (t *APIToken) token() string {
	if t == nil {
		return ""
	}
	return t.AccessToken
}

// withAPIToken returns a copy of s holding t under key.
func (s *Session) withAPIToken(key string, t *APIToken) *Session {
	next := *s
	next.APITokens = maps.Clone(s.APITokens)
	if next.APITokens == nil {
		next.APITokens = map[string]*APIToken{}
	}
	next.APITokens[key] = t
	return &next
}

// ErrNoWayToRenew, wrapped by a login_required *Error, says that nothing
// here can obtain the token (no refresh token, and no iframe or other
// means): the provider said nothing, so a per-API token's failure leaves the
// session as it is. An APITokenRenewer without the means to renew returns
// it too.
var ErrNoWayToRenew = errors.New("no way to renew here")

// APITokenRenewer is a Renewer that can also obtain a per-API token
// (r.Token()) for a session without a refresh token (silentrefresh.Renewer
// does, with the hidden iframe: r.SilentRequest carries prompt=none with the
// options, and r.Complete exchanges the code with resource and stores the
// token). The Manager calls it under the config's renewal lock.
type APITokenRenewer interface {
	RenewAPIToken(ctx context.Context, r *Renewal) error
}

// AccessTokenFor returns a valid access token for o (AccessToken when o is
// zero). A per-API token is cached in the session per config and o.Key,
// renewed on demand when past TimeoutFactor of its lifetime, and obtained
// with the refresh token when the session has one (grant_type=refresh_token
// with resource and scope, RFC 8707 §2.2; a rotated refresh token replaces
// the session's at once), else through the Renewer when it is an
// APITokenRenewer. Concurrent callers, in this tab and across tabs, share one
// request; it runs under the config's renewal lock, so no refresh token is
// ever sent twice. A failure leaves the login token alone; only a code that
// means the grant is gone (EndsSession) ends the session.
func (m *Manager) AccessTokenFor(ctx context.Context, configID string, o TokenOptions) (string, error) {
	return m.tokenFor(ctx, configID, o, false)
}

// RenewTokenFor obtains a new token for o now, as forceRefreshSession does
// for the login token (Renew when o is zero), and returns it.
func (m *Manager) RenewTokenFor(ctx context.Context, configID string, o TokenOptions) (string, error) {
	return m.tokenFor(ctx, configID, o, true)
}

// RouteToken returns the token a request that matched r must carry: the
// entry's per-API token, or the login token. ok is false, with a nil error,
// when the request must go out without a token: the entry is Anonymous and
// the config has no session. force renews first (a 401 retry).
func (m *Manager) RouteToken(ctx context.Context, r RouteMatch, force bool) (token string, ok bool, err error) {
	token, err = m.tokenFor(ctx, r.ConfigID, r.Route.TokenOptions(), force)
	if err != nil && r.Route.Anonymous && ErrorCode(err) == CodeLoginRequired {
		if s, _ := m.Session(r.ConfigID); s == nil {
			return "", false, nil
		}
	}
	return token, err == nil, err
}

func (m *Manager) tokenFor(ctx context.Context, configID string, o TokenOptions, force bool) (string, error) {
	if o.IsZero() {
		if force {
			s, err := m.Renew(ctx, configID)
			if err != nil {
				return "", err
			}
			return s.AccessToken, nil
		}
		return m.AccessToken(ctx, configID)
	}
	p, err := m.provider(configID)
	if err != nil {
		return "", err
	}
	if err := o.validate(&p.cfg, "options"); err != nil {
		return "", err
	}
	key := o.Key()
	s := p.session.Load()
	if s == nil {
		return "", newError(CodeLoginRequired, p.cfg.ConfigID, "not signed in")
	}
	if tok, fresh := s.freshToken(o, m.clock.Now(), p.cfg.TimeoutFactor); fresh && !force {
		return tok, nil
	}
	t, err := m.renewAPI(ctx, p, o, key, s.APITokens[key], force)
	if err != nil {
		if cur := p.session.Load(); cur != nil && !cur.APITokens[key].Expired(m.clock.Now()) && !force {
			return cur.APITokens[key].AccessToken, nil // still valid: the failure can wait
		}
		return "", err
	}
	return t.AccessToken, nil
}

// renewAPI is renew for one per-API token: one flight per config and key in
// the tab (share), the config's renewal lock across tabs (the refresh token
// is shared with the login token's renewal), and a re-read of the store
// first. The flight is bounded by SilentRenewTimeout.
func (m *Manager) renewAPI(ctx context.Context, p *provider, o TokenOptions, key string, seen *APIToken, force bool) (*APIToken, error) {
	f := m.share(ctx, p.cfg.ConfigID+"\x00"+key, func(ctx context.Context, f *flight) {
		ctx, cancel := context.WithTimeout(ctx, p.cfg.SilentRenewTimeout)
		defer cancel()
		f.api, f.err = m.lockAndRenewAPI(ctx, p, o, key, seen, force)
	})
	if f == nil {
		return nil, wrapError(CodeTimeout, p.cfg.ConfigID, ctx.Err(), "gave up waiting for the token of resource %q", o.Resource)
	}
	return f.api, f.err
}

// lockAndRenewAPI is lockAndRenew for the per-API token o (under key): with
// the renewal lock held and the store re-read, the refresh grant when the
// session has a refresh token, else the Renewer when it is an APITokenRenewer.
func (m *Manager) lockAndRenewAPI(ctx context.Context, p *provider, o TokenOptions, key string, seen *APIToken, force bool) (*APIToken, error) {
	id := p.cfg.ConfigID
	var out *APIToken
	err := m.withRenewLock(ctx, p, func(ctx context.Context) error {
		cur := readSession(p.store, &p.cfg)
		p.session.Store(cur)
		if cur == nil {
			return newError(CodeLoginRequired, id, "signed out while waiting for the token of resource %q", o.Resource)
		}
		if t := cur.APITokens[key]; t != nil && !t.stale(m.clock.Now(), p.cfg.TimeoutFactor) &&
			(!force || seen == nil || t.AccessToken != seen.AccessToken) {
			out = t // another tab, or an earlier flight, got it meanwhile
			return nil
		}
		if cur.RefreshToken != "" {
			t, err := m.refreshAPIToken(ctx, p, cur, o, key)
			out = t
			return err
		}
		r, ok := m.renewer.(APITokenRenewer)
		if !ok {
			return &Error{Code: CodeLoginRequired, ConfigID: id, Err: ErrNoWayToRenew,
				Message: fmt.Sprintf("the session has no refresh token and no iframe is available for the token of resource %q", o.Resource)}
		}
		rn := &Renewal{m: m, p: p, s: cur, o: o}
		err := r.RenewAPIToken(ctx, rn)
		rn.finish()
		if err != nil {
			return err
		}
		if s := p.session.Load(); s != nil {
			out = s.APITokens[key]
		}
		if out == nil {
			return newError(CodeLoginRequired, id, "the renewal left no token for resource %q", o.Resource)
		}
		return nil
	})
	if err == nil {
		return out, nil
	}
	err = withConfig(err, id)
	code := ErrorCode(err)
	m.emit(Event{Type: EventSilentRenewFailed, ConfigID: id, Code: code, Message: err.Error(), Resource: o.Resource})
	if endsSessionErr(err) && !errors.Is(err, ErrNoWayToRenew) {
		m.endSession(p, code) // the grant is gone: the login token is dead too
	}
	return nil, err
}

// renewLockName is the cross-tab lock of a config's renewals: the login
// token's and every per-API token's, since they share the refresh token.
func renewLockName(p *provider) string {
	return "oidcwasm.renew." + p.cfg.ClientID + "." + p.cfg.ConfigID
}

// refreshAPIToken asks for o's token with the refresh token (RFC 6749 §6,
// RFC 8707 §2.2) and stores it with the rotated refresh token, if any. An ID
// token in the answer is verified as any refreshed one (verifyRefreshed: a
// failure ends the session, nothing of the answer is kept), but not used: the
// login's identity does not change with an API's token.
func (m *Manager) refreshAPIToken(ctx context.Context, p *provider, cur *Session, o TokenOptions, key string) (*APIToken, error) {
	tr, err := m.refreshGrant(ctx, p, cur.RefreshToken, o)
	if err != nil {
		return nil, err
	}
	if _, err := m.verifyRefreshed(ctx, p, cur, tr); err != nil {
		return nil, err
	}
	t := newAPIToken(o, tr)
	// The provider has rotated the refresh token (or kept it): store the new
	// one with the token at once, whatever a concurrent writer did meanwhile
	// (we hold the renewal lock, so no renewal did).
	next := cur.withAPIToken(key, t)
	if tr.RefreshToken != "" {
		next.RefreshToken = tr.RefreshToken
	}
	if err := m.commit(p, next); err != nil {
		return nil, err
	}
	m.emit(Event{Type: EventTokenRefreshed, ConfigID: p.cfg.ConfigID, ExpiresAt: t.ExpiresAt, Resource: o.Resource})
	return t, nil
}

func newAPIToken(o TokenOptions, tr *tokenResponse) *APIToken {
	t := &APIToken{Resource: o.Resource, Scope: tr.Scope, TokenParams: o.TokenParams, AccessToken: tr.AccessToken, IssuedAt: tr.SentAt}
	if tr.Scope == "" {
		t.Scope = scopeSet(o.Scope)
	}
	if tr.ExpiresIn > 0 {
		t.ExpiresAt = t.IssuedAt.Add(tr.ExpiresIn)
	}
	return t
}

// TokenOptions are the options of the token the entry's requests carry.
func (r Route) TokenOptions() TokenOptions {
	return TokenOptions{Resource: r.Resource, Scope: r.Scope, TokenParams: r.TokenParams}
}

// configResources are the distinct resources of c's route entries, in order:
// the authorization request names them all (RFC 8707 §2.1), so the grant
// covers every per-API token the config will ask for.
func configResources(c *Config) []string {
	var out []string
	for _, r := range c.SecureRoutes {
		if r.Resource != "" && !slices.Contains(out, r.Resource) {
			out = append(out, r.Resource)
		}
	}
	return out
}
