package spa

import (
	"context"
	"crypto/rand"
	"io"
	"net/url"
	"sync"
	"sync/atomic"
)

// Options are a Manager's browser capabilities. Only Fetcher is required.
type Options struct {
	// Fetcher performs HTTP (window.fetch in the browser).
	Fetcher Fetcher
	// Stores holds one Store per storage kind (StorageSession, StorageLocal,
	// StorageMemory); a missing kind gets its own in-memory store.
	Stores map[string]Store
	// TxStore keeps pending authorization requests across the redirect;
	// default Stores[StorageSession].
	TxStore Store
	// Clock tells the time; default SystemClock().
	Clock Clock
	// Renewer renews a session; default RefreshOnly.
	Renewer Renewer
	// Locker makes renewals exclusive across tabs; default an in-process lock.
	Locker Locker
	// Rand is the source of state, nonce and PKCE verifiers; default crypto/rand.
	Rand io.Reader
	// DPoP signs the proofs of the configs with DPoP on (RFC 9449):
	// NewDPoP(web.NewDPoPKeys()) in the browser; natively by default
	// NewDPoP(NewMemoryDPoPKeys()). Without it such a config is refused.
	DPoP DPoP
}

// Manager holds the configs of a single-page application and their sessions.
// It is safe for concurrent use.
type Manager struct {
	fetcher Fetcher
	stores  map[string]Store
	txStore Store
	clock   Clock
	renewer Renewer
	locker  Locker
	rand    io.Reader

	dpop prover // nil: no DPoP

	set     atomic.Pointer[configSet]
	confMu  sync.Mutex // serialises Configure
	txMu    sync.Mutex // guards transactions in txStore
	flights flights
	events
}

// configSet is one atomically replaced set of configs.
type configSet struct {
	order  []string
	byID   map[string]*provider
	routes *RouteTable
}

// provider is one config with what was learnt about its provider.
type provider struct {
	cfg     Config
	disc    *discovery
	keys    *keySet
	store   Store
	session atomic.Pointer[Session]
	mu      sync.Mutex // serialises session writes of this config
}

// NewManager returns a Manager with no configs; call Configure next.
func NewManager(o Options) *Manager {
	m := &Manager{fetcher: o.Fetcher, txStore: o.TxStore, clock: o.Clock, renewer: o.Renewer, locker: o.Locker, rand: o.Rand,
		dpop: o.DPoP.p}
	m.stores = map[string]Store{}
	for _, k := range []string{StorageSession, StorageLocal, StorageMemory} {
		if s := o.Stores[k]; s != nil {
			m.stores[k] = s
		} else {
			m.stores[k] = NewMemoryStore()
		}
	}
	if m.txStore == nil {
		m.txStore = m.stores[StorageSession]
	}
	if m.clock == nil {
		m.clock = systemClock{}
	}
	if m.renewer == nil {
		m.renewer = RefreshOnly{}
	}
	if m.locker == nil {
		m.locker = &LocalLocker{}
	}
	if m.rand == nil {
		m.rand = rand.Reader
	}
	if m.dpop == nil {
		m.dpop = defaultDPoP().p
	}
	return m
}

// Configure validates configs and loads every provider's discovery document
// (from the store when one was kept: an old one is used and fetched again in
// the background), then replaces the current set at once. On any error the
// previous set stays.
// Sessions stored for a config with the same ID, authority and client are kept.
func (m *Manager) Configure(ctx context.Context, configs []Config) error {
	if m.fetcher == nil {
		return configError("", "fetcher", "spa.Options.Fetcher is required")
	}
	cs, err := validateConfigs(configs)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.DPoP && m.dpop == nil {
			return configError(c.ConfigID, "dpop", "is on, but nothing signs DPoP proofs: give spa.Options.DPoP = spa.NewDPoP(web.NewDPoPKeys())")
		}
	}
	routes := make(map[string][]Route, len(cs))
	for _, c := range cs {
		routes[c.ConfigID] = c.SecureRoutes
	}
	table, err := NewRouteTableOf(routes)
	if err != nil {
		return err
	}
	set := &configSet{byID: make(map[string]*provider, len(cs)), routes: table}
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		p := &provider{cfg: c, store: m.stores[c.Storage]}
		set.order = append(set.order, c.ConfigID)
		set.byID[c.ConfigID] = p
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.disc, errs[i] = loadDiscovery(ctx, m.fetcher, m.discoveryStore(p), m.clock, &p.cfg)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	m.confMu.Lock()
	defer m.confMu.Unlock()
	for _, id := range set.order {
		p := set.byID[id]
		p.keys = newKeySet(m.fetcher, p.disc.JWKSURI, p.disc.IDTokenSigningAlgs)
		if s := readSession(p.store, &p.cfg); s != nil {
			p.session.Store(s)
		}
	}
	m.set.Store(set)
	for _, id := range set.order {
		m.emit(Event{Type: EventConfigLoaded, ConfigID: id, Warning: signOutWarning(set.byID[id])})
	}
	m.ApplyStoredLogouts() // what the provider ended while no tab listened
	return nil
}

// discoveryStore is where p's discovery document is kept: the config's
// storage, except for worker custody, whose storage is memory (its tokens
// live in the service worker's): a page keeps such a config's document,
// public metadata and no token, in the session store, so that a reload
// configures it without asking the provider again (in the worker every
// store is its memory anyway).
func (m *Manager) discoveryStore(p *provider) Store {
	if p.cfg.WorkerCustody() {
		if st, ok := m.stores[StorageSession]; ok {
			return st
		}
	}
	return p.store
}

// ConfigIDs lists the configured IDs in the order given to Configure.
func (m *Manager) ConfigIDs() []string {
	set := m.set.Load()
	if set == nil {
		return nil
	}
	return append([]string(nil), set.order...)
}

// Config returns a config with its defaults applied.
func (m *Manager) Config(configID string) (Config, error) {
	p, err := m.provider(configID)
	if err != nil {
		return Config{}, err
	}
	return p.cfg, nil
}

// WorkerCustody reports whether configID names a configured config with
// custody "worker" (Config.WorkerCustody), without copying its Config.
func (m *Manager) WorkerCustody(configID string) bool {
	p, err := m.provider(configID)
	return err == nil && p.cfg.WorkerCustody()
}

// provider finds a config; "" means the first one given to Configure
// (angular-auth-oidc-client's rule).
// ResolveConfigID is the config a call with configID is about: configID
// itself, or the first configured config when it is "" (every API's rule
// for a missing configId; the bridge and go-app ask here rather than keep a
// copy). It does not check that the config exists.
func (m *Manager) ResolveConfigID(configID string) string { return m.set.Load().resolve(configID) }

// resolve is ResolveConfigID on one configured set (nil: none yet).
func (s *configSet) resolve(configID string) string {
	if configID == "" && s != nil {
		return s.order[0]
	}
	return configID
}

func (m *Manager) provider(configID string) (*provider, error) {
	set := m.set.Load()
	if set == nil {
		return nil, configError(configID, "", "not configured: call configure first")
	}
	configID = set.resolve(configID)
	p, ok := set.byID[configID]
	if !ok {
		return nil, configError(configID, "configId", "is not a configured config (configured: %v)", set.order)
	}
	return p, nil
}

// Session returns the config's current session, or nil when signed out.
func (m *Manager) Session(configID string) (*Session, error) {
	p, err := m.provider(configID)
	if err != nil {
		return nil, err
	}
	return p.session.Load(), nil
}

// IsAuthenticated reports whether the config has a session whose access token
// has not expired.
func (m *Manager) IsAuthenticated(configID string) bool {
	s, err := m.Session(configID)
	return err == nil && s != nil && !s.Expired(m.clock.Now())
}

// Clock is the Manager's clock.
func (m *Manager) Clock() Clock { return m.clock }

// ReportExpired emits EventTokenExpired for the config when its session's
// access token has expired, and says whether it did: a renewal scheduler
// that gave up calls it when the token runs out.
func (m *Manager) ReportExpired(configID string) bool {
	s, err := m.Session(configID)
	if err != nil || s == nil || !s.Expired(m.clock.Now()) {
		return false
	}
	m.emit(Event{Type: EventTokenExpired, ConfigID: m.ResolveConfigID(configID)})
	return true
}

// MatchRoute returns the config whose access token a request to rawURL may
// carry; relative URLs resolve against base (the document URL).
func (m *Manager) MatchRoute(rawURL string, base *url.URL) (configID string, ok bool) {
	r, ok := m.MatchRequest(rawURL, "GET", base)
	return r.ConfigID, ok
}

// MatchRequest returns the secure-route entry a request with this method to
// rawURL matches (RouteTable.MatchRequest).
func (m *Manager) MatchRequest(rawURL, method string, base *url.URL) (RouteMatch, bool) {
	set := m.set.Load()
	if set == nil {
		return RouteMatch{}, false
	}
	return set.routes.MatchRequest(rawURL, method, base)
}
