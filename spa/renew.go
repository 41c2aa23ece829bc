package spa

import (
	"context"
	"sync"
)

// Renewer obtains new tokens for a config's session, by refresh token or by
// silent authorization (package silentrefresh). The Manager calls it with the
// config's renewal lock held, after re-reading the store; it renews through r
// alone (Refresh, or SilentRequest and Complete) and returns nil, or an error
// whose Code says why it could not.
type Renewer interface {
	Renew(ctx context.Context, r *Renewal) error
}

// Renewal is one renewal in progress, handed to a Renewer under the config's
// renewal lock: what it renews (the session, the config, the token) and the
// steps only a renewal may take: announce itself, spend the refresh token,
// make a silent authorization request and complete its answer. Nothing else
// can make one, so no caller of the Manager can emit renewal events, redeem a
// refresh token or exchange a silent answer outside the lock; once Renew has
// returned, its Renewal refuses to act, and the authorization requests it made
// that no answer completed are dropped.
type Renewal struct {
	_    noCompare // no == (and no equality function in the wasm)
	m    *Manager
	p    *provider
	s    *Session
	o    TokenOptions  // zero: the login's token
	reqs []AuthRequest // made by SilentRequest
	over bool          // Renew returned: the lock is no longer held
}

// Session is the session being renewed, as re-read from the store.
func (r *Renewal) Session() *Session { return r.s }

// Config is the config of the session (with defaults applied).
func (r *Renewal) Config() Config { return r.p.cfg }

// Token is the per-API token being renewed (APITokenRenewer), or zero for the
// login's token.
func (r *Renewal) Token() TokenOptions { return r.o }

// Started emits EventSilentRenewStarted with the renewal's method
// (MethodRefreshToken or MethodIframe).
func (r *Renewal) Started(method string) {
	if !r.over {
		r.m.emit(Event{Type: EventSilentRenewStarted, ConfigID: r.p.cfg.ConfigID, Method: method})
	}
}

// Refresh renews the login's session with its refresh token (RFC 6749 §6),
// storing the new session; see Manager.refresh. A per-API token's refresh
// grant is the Manager's own (it needs no Renewer), so Refresh refuses one.
func (r *Renewal) Refresh(ctx context.Context) error {
	if err := r.usable("Refresh"); err != nil {
		return err
	}
	if !r.o.IsZero() {
		return newError(CodeInvalidConfig, r.p.cfg.ConfigID, "Renewal.Refresh renews the login's token; the Manager refreshes the token of resource %q itself", r.o.Resource)
	}
	_, err := r.m.refresh(ctx, r.p)
	return err
}

// SilentRequest makes the prompt=none authorization request of what r renews
// (OpenID Connect Core §3.1.2.1), for a hidden iframe to load; with pushed
// authorization requests its URL has no state, which the AuthRequest carries.
func (r *Renewal) SilentRequest(ctx context.Context) (AuthRequest, error) {
	if err := r.usable("SilentRequest"); err != nil {
		return AuthRequest{}, err
	}
	req, err := r.m.silentRequest(ctx, r.p, r.o)
	if err == nil {
		r.reqs = append(r.reqs, req)
	}
	return req, err
}

// Complete validates and exchanges answer, the URL the iframe handed back for
// req (Manager.Complete: it must carry req's state), and stores what it
// brought: the renewed session, or the per-API token.
func (r *Renewal) Complete(ctx context.Context, req AuthRequest, answer string) error {
	if err := r.usable("Complete"); err != nil {
		return err
	}
	_, err := r.m.Complete(ctx, req, answer)
	return err
}

func (r *Renewal) usable(step string) error {
	if r.over {
		return newError(CodeInvalidConfig, r.p.cfg.ConfigID, "Renewal.%s called after Renew returned: the renewal lock is no longer held", step)
	}
	return nil
}

// finish ends r when its Renewer returned: it refuses to act from now on, and
// drops the transactions of the requests no answer completed.
func (r *Renewal) finish() {
	r.over = true
	for _, req := range r.reqs {
		r.m.Discard(req)
	}
}

// RefreshOnly renews with the session's refresh token and fails with
// login_required when there is none. It is the default Renewer.
type RefreshOnly struct{}

// Renew implements Renewer.
func (RefreshOnly) Renew(ctx context.Context, r *Renewal) error {
	if r.s.RefreshToken == "" {
		return newError(CodeLoginRequired, r.s.ConfigID, "the session has no refresh token and no other renewal is available")
	}
	r.Started(MethodRefreshToken)
	return r.Refresh(ctx)
}

// Locker runs fn while holding a lock shared by every tab of the origin (Web
// Locks in the browser), so only one tab renews a config at a time.
type Locker interface {
	WithLock(ctx context.Context, name string, fn func(ctx context.Context) error) error
}

type sharedStoreKey struct{}

// WithSharedStore marks ctx as that of a lock guarding a session in a store
// every tab of the origin shares (storage "local"); the Manager asks for its
// renewal lock so.
func WithSharedStore(ctx context.Context) context.Context {
	return context.WithValue(ctx, sharedStoreKey{}, true)
}

// GuardsSharedStore reports whether the lock a Locker is asked for with ctx
// guards a session that other tabs write too (WithSharedStore): the Locker
// must then let each holder see what the previous holder stored (web.WebLocks
// fences localStorage). A session in sessionStorage or memory is one tab's,
// so its lock needs no fence.
func GuardsSharedStore(ctx context.Context) bool {
	v, _ := ctx.Value(sharedStoreKey{}).(bool)
	return v
}

// withRenewLock runs fn holding p's renewal lock: one renewal (login or
// per-API token, which share the refresh token) of the config at a time,
// across tabs.
func (m *Manager) withRenewLock(ctx context.Context, p *provider, fn func(ctx context.Context) error) error {
	if p.cfg.Storage == StorageLocal {
		ctx = WithSharedStore(ctx)
	}
	return m.locker.WithLock(ctx, renewLockName(p), fn)
}

// LocalLocker is a Locker for one process (one page); the zero value is
// ready. It is the Manager's default and the fallback of web.WebLocks where
// the browser has no Web Locks.
type LocalLocker struct {
	mu    sync.Mutex
	locks map[string]chan struct{}
}

// WithLock implements Locker.
func (l *LocalLocker) WithLock(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = make(map[string]chan struct{})
	}
	ch, ok := l.locks[name]
	if !ok {
		ch = make(chan struct{}, 1)
		l.locks[name] = ch
	}
	l.mu.Unlock()
	select {
	case ch <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-ch }()
	return fn(ctx)
}

// flights makes concurrent renewals of one config share one attempt.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

type flight struct {
	_    noCompare // no == (and no equality function in the wasm)
	done chan struct{}
	sess *Session
	api  *APIToken // a per-API token's flight (renewAPI)
	err  error
}

// AccessToken returns a valid access token for the config, renewing first when
// it is expired or past TimeoutFactor of its lifetime; concurrent callers share
// one renewal. Without a session it fails with login_required.
func (m *Manager) AccessToken(ctx context.Context, configID string) (string, error) {
	p, err := m.provider(configID)
	if err != nil {
		return "", err
	}
	s := p.session.Load()
	if s == nil {
		return "", newError(CodeLoginRequired, p.cfg.ConfigID, "not signed in")
	}
	if !s.stale(m.clock.Now(), p.cfg.TimeoutFactor) {
		return s.AccessToken, nil
	}
	s, err = m.renew(ctx, p, s, false)
	if err != nil {
		if cur := p.session.Load(); cur != nil && !cur.Expired(m.clock.Now()) {
			// Renewal failed for a passing reason but the token is still valid.
			return cur.AccessToken, nil
		}
		return "", err
	}
	return s.AccessToken, nil
}

// Renew renews the config's session now (forceRefreshSession) and returns the
// new session. On failure it emits EventSilentRenewFailed, and when the code
// means the provider's session is gone (EndsSession) the local session ends.
func (m *Manager) Renew(ctx context.Context, configID string) (*Session, error) {
	p, err := m.provider(configID)
	if err != nil {
		return nil, err
	}
	s := p.session.Load()
	if s == nil {
		return nil, newError(CodeLoginRequired, p.cfg.ConfigID, "not signed in")
	}
	return m.renew(ctx, p, s, true)
}

// renew runs one renewal per config at a time: callers in this tab share a
// flight, and the flight takes the cross-tab lock, then re-reads the store so a
// tab that waited uses what another tab just got.
func (m *Manager) renew(ctx context.Context, p *provider, seen *Session, force bool) (*Session, error) {
	// The flight's own bound is the renewer's (e.g. silentRenewTimeoutInSeconds).
	f := m.share(ctx, p.cfg.ConfigID, func(ctx context.Context, f *flight) {
		f.sess, f.err = m.lockAndRenew(ctx, p, seen, force)
	})
	if f == nil {
		return nil, wrapError(CodeTimeout, p.cfg.ConfigID, ctx.Err(), "gave up waiting for the renewal")
	}
	return f.sess, f.err
}

// share runs run once for concurrent callers with the same key and returns
// its flight, or nil when ctx ends first. The run must not die with the first
// caller's context (its rotated refresh token would be lost), so it gets ctx
// without its cancellation; each caller, the first one too, waits only as
// long as its own ctx allows (x/oauth2's ReuseTokenSource shape).
func (m *Manager) share(ctx context.Context, key string, run func(ctx context.Context, f *flight)) *flight {
	m.flights.mu.Lock()
	if m.flights.m == nil {
		m.flights.m = make(map[string]*flight)
	}
	f, ok := m.flights.m[key]
	if !ok {
		f = &flight{done: make(chan struct{})}
		m.flights.m[key] = f
		go func() {
			run(context.WithoutCancel(ctx), f)
			m.flights.mu.Lock()
			delete(m.flights.m, key)
			m.flights.mu.Unlock()
			close(f.done)
		}()
	}
	m.flights.mu.Unlock()
	select {
	case <-f.done:
		return f
	case <-ctx.Done():
		return nil
	}
}

// lockAndRenew takes the config's renewal lock (withRenewLock), re-reads the
// session from the store, and renews it through the Renewer unless another tab
// renewed it meanwhile (or it needs no renewal and force is not set). A
// failure emits EventSilentRenewFailed and ends the session when its code says
// the grant is gone (endsSessionErr).
func (m *Manager) lockAndRenew(ctx context.Context, p *provider, seen *Session, force bool) (*Session, error) {
	id := p.cfg.ConfigID
	var out *Session
	err := m.withRenewLock(ctx, p, func(ctx context.Context) error {
		cur := readSession(p.store, &p.cfg) // the store is the truth across tabs
		p.session.Store(cur)
		if cur == nil {
			return newError(CodeLoginRequired, id, "signed out while waiting to renew")
		}
		if cur.AccessToken != seen.AccessToken && !cur.stale(m.clock.Now(), p.cfg.TimeoutFactor) {
			out = cur // another tab renewed while we waited
			return nil
		}
		if !force && !cur.stale(m.clock.Now(), p.cfg.TimeoutFactor) {
			out = cur
			return nil
		}
		r := &Renewal{m: m, p: p, s: cur}
		err := m.renewer.Renew(ctx, r)
		r.finish()
		if err != nil {
			return err
		}
		out = p.session.Load()
		if out == nil {
			return newError(CodeLoginRequired, id, "the renewal left no session")
		}
		return nil
	})
	if err == nil {
		return out, nil
	}
	err = withConfig(err, id)
	code := ErrorCode(err)
	m.emit(Event{Type: EventSilentRenewFailed, ConfigID: id, Code: code, Message: err.Error()})
	if endsSessionErr(err) {
		m.endSession(p, code)
	} else if cur := p.session.Load(); cur != nil && cur.Expired(m.clock.Now()) {
		m.emit(Event{Type: EventTokenExpired, ConfigID: id})
	}
	return nil, err
}
