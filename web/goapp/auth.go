package goapp

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/spa"
)

// Navigator moves the page and reads its address; web.Navigator is the
// browser's. Login and Logout go through Assign (location.assign), never
// through app.Context.Navigate, which opens another origin in a new tab.
type Navigator interface {
	Assign(url string)
	ReplaceURL(url string)
	Location() string
}

// Options configure New. In the browser every field may be left zero except
// one of Configs and LoadConfigs (or a Manager configured beforehand).
type Options struct {
	// Configs are given to Manager.Configure at start-up.
	Configs []spa.Config
	// LoadConfigs, when set, is called at start-up instead of using Configs,
	// for configs read at run time (a JSON file next to the app, say). It runs
	// on its own goroutine and may block.
	LoadConfigs func(ctx context.Context) ([]spa.Config, error)
	// Manager is the core; default: web.NewClient(Options.DPoP)'s, wired to window.fetch,
	// Web Storage, Web Locks, iframe renewal and the renewal scheduler. When
	// neither Configs nor LoadConfigs is set it must be configured already.
	// Outside the browser (go-app's prerendering) the default is none: the
	// Auth then publishes nothing and never becomes ready.
	Manager *spa.Manager
	// Navigator defaults to web.Navigator{} in the browser; it is required
	// with a Manager outside the browser.
	Navigator Navigator
	// Fetcher sends the requests of Auth.Fetch; default web.Fetcher{}
	// (window.fetch: the wasm never links net/http's client).
	Fetcher spa.Fetcher
	// DPoP signs the DPoP proofs of configs with DPoP on (RFC 9449), for
	// the default Manager: spa.NewDPoP(web.NewDPoPKeys()), non-extractable
	// WebCrypto keys in IndexedDB. Without it such a config is refused (an
	// invalid_config naming the field dpop), and the app carries no DPoP code.
	DPoP spa.DPoP
	// EventLogSize is how many events EventsStateKey keeps; default
	// DefaultEventLogSize.
	EventLogSize int
	// Worker reaches the service worker that keeps the tokens of configs
	// with custody "worker": web.NewCustodyWorker(), with the app's service
	// worker running ours (ServiceWorkerTemplate). Without it such a config
	// is refused (an invalid_config naming the field custody), and the app
	// carries no worker-custody code, as with DPoP. On a page the worker
	// does not control (its first load, a forced reload) the config's
	// state says worker_unavailable and nothing is sent with its token.
	Worker Worker
}

// Auth publishes the sessions of a spa.Manager as go-app states and gives
// components login, logout, callback and API helpers. Create one with New
// before app.RunWhenOnBrowser and hand it to the components that need it. It
// is safe for concurrent use.
type Auth struct {
	m       *spa.Manager
	worker  Worker
	nav     Navigator
	fetcher spa.Fetcher
	logSize int
	closeFn func()
	unsub   func()
	// unsubWorker ends the Worker's subscription (nil without one).
	unsubWorker func()
	// reroute makes go-app load the page of the address bar's URL without a
	// new history entry (see replace).
	reroute func()

	ready       chan struct{}
	configErr   error    // start-up could not configure: nothing works
	intended    []string // the config IDs start-up was asked to configure
	callbackErr error    // the page's authorization response was rejected
	results     []spa.AuthResult

	pub sync.Mutex // orders publications
	mu  sync.Mutex // guards what follows
	ctx *app.Context
	st  Status
	per map[string]AuthState
	log []LoggedEvent
	// remote are the sessions of the worker-custody configs, as the worker
	// last told (spa.SessionInfo.View: no token); nil without a Worker.
	remote map[string]*spa.Session
}

// errNoBrowser is the start-up error of an Auth without a Manager (prerendering).
var errNoBrowser = errors.New("oidcwasm/goapp: no browser: the Auth of a prerendered page has no sessions")

// New starts an Auth: on its own goroutine it configures the Manager (with
// Configs or LoadConfigs), then calls CheckAuth with the page's URL, which
// completes an authorization response when the page is the callback and
// otherwise restores stored sessions, and removes code and state from the
// address bar. Components observe the result through go-app states (see
// StateKey, Observe) as soon as one of them has bound the Auth.
func New(o Options) *Auth {
	closeFn := defaults(&o)
	a := &Auth{m: o.Manager, worker: o.Worker, nav: o.Navigator, fetcher: o.Fetcher, logSize: o.EventLogSize, closeFn: closeFn,
		reroute: popState, ready: make(chan struct{}), per: map[string]AuthState{}}
	if a.logSize <= 0 {
		a.logSize = DefaultEventLogSize
	}
	if a.m == nil {
		a.configErr = errNoBrowser
		close(a.ready)
		return a
	}
	if a.nav == nil {
		panic("oidcwasm/goapp: Options.Navigator is required outside the browser")
	}
	a.unsub = a.m.Subscribe(a.onEvent)
	if a.worker != nil {
		a.unsubWorker = a.worker.attach(a)
	}
	go a.start(o)
	return a
}

// Manager is the Auth's spa.Manager, for anything the helpers do not cover
// (AccessToken, UserInfo, ...); nil in a prerendered page. Its blocking
// methods belong inside ctx.Async, never in an event handler.
func (a *Auth) Manager() *spa.Manager { return a.m }

// Close stops the renewal scheduler and the event subscription.
func (a *Auth) Close() {
	if a.unsub != nil {
		a.unsub()
	}
	if a.unsubWorker != nil {
		a.unsubWorker()
	}
	if a.closeFn != nil {
		a.closeFn()
	}
}

func (a *Auth) start(o Options) {
	defer close(a.ready)
	ctx := context.Background()
	configs := o.Configs
	if o.LoadConfigs != nil {
		var err error
		if configs, err = o.LoadConfigs(ctx); err != nil {
			a.finish(nil, err, nil)
			return
		}
	}
	if configs != nil {
		for _, c := range configs {
			id := c.ConfigID
			if id == "" {
				id = spa.DefaultConfigID
			}
			a.intended = append(a.intended, id)
		}
		if err := a.m.Configure(ctx, configs); err != nil {
			a.finish(nil, err, nil)
			return
		}
	}
	if a.worker != nil {
		a.worker.start(ctx, a, configs)
		return
	}
	for _, id := range a.m.ConfigIDs() {
		if a.inWorker(id) {
			// No Options.Worker: nothing acts for the config (the Manager
			// holds the set, and no session: CheckAuth never ran).
			a.finish(nil, needsWorker(id), nil)
			return
		}
	}
	here := a.nav.Location()
	res, err := a.m.CheckAuth(ctx, here)
	// Whatever the outcome, code and state (also the state a logoff brought
	// back) leave the address bar and history.
	if clean, ok := a.m.CleanAddress(here); ok {
		a.nav.ReplaceURL(clean)
	}
	a.finish(res, nil, err)
}

// finish records the outcome of start-up and publishes every state.
func (a *Auth) finish(res []spa.AuthResult, configErr, callbackErr error) {
	a.results, a.configErr, a.callbackErr = res, configErr, callbackErr
	failed := configErr
	if failed == nil {
		failed = callbackErr
	}
	a.mu.Lock()
	a.st = Status{Ready: true, ConfigIDs: a.m.ConfigIDs()}
	if failed != nil {
		ev := failure(configIDOf(failed), failed)
		a.st.ErrorCode, a.st.Error = ev.Code, ev.Message
		a.appendLocked(ev)
	}
	for _, id := range a.st.ConfigIDs {
		s := a.nextLocked(id, nil)
		s.Ready = true
		a.per[id] = s
	}
	if configErr != nil {
		// Nothing was configured: each config the app asked for still gets a
		// ready state that says why, so a page observing it shows the failure
		// instead of waiting forever.
		for _, id := range a.intended {
			s := a.nextLocked(id, nil)
			s.Ready = true
			s.ErrorCode, s.Error = a.st.ErrorCode, a.st.Error
			a.per[id] = s
		}
	}
	a.mu.Unlock()
	a.publishAll()
}

func configIDOf(err error) string {
	var e *spa.Error
	if errors.As(err, &e) {
		return e.ConfigID
	}
	return ""
}

// onEvent is the Manager's subscriber: it runs on the goroutine that caused
// the event and must not block; SetState only queues work for the UI goroutine.
func (a *Auth) onEvent(ev spa.Event) {
	a.record(ev)
}

// record applies an event to its config's state, logs it and publishes both.
func (a *Auth) record(ev spa.Event) {
	a.mu.Lock()
	if ev.ConfigID != "" {
		a.per[ev.ConfigID] = a.nextLocked(ev.ConfigID, &ev)
	}
	a.appendLocked(ev)
	a.mu.Unlock()
	if ev.ConfigID != "" {
		a.publish(StateKey(ev.ConfigID), EventsStateKey)
	} else {
		a.publish(EventsStateKey)
	}
}

// refresh re-reads a config's session (after a change that has no event,
// such as a revoked access token) and publishes its state. It asks the
// worker for a worker-custody config's, so it blocks.
func (a *Auth) refresh(ctx context.Context, configID string) {
	if a.inWorker(configID) {
		if s, err := a.worker.session(ctx, configID); err == nil {
			a.mu.Lock()
			a.remote[configID] = s
			a.mu.Unlock()
		}
	}
	a.mu.Lock()
	a.per[configID] = a.nextLocked(configID, nil)
	a.mu.Unlock()
	a.publish(StateKey(configID))
}

func (a *Auth) nextLocked(id string, ev *spa.Event) AuthState {
	prev, ok := a.per[id]
	if !ok {
		prev = AuthState{ConfigID: id, Ready: a.st.Ready}
	}
	cfg, _ := a.m.Config(id)
	return nextState(prev, a.sessionLocked(id), cfg.TimeoutFactor, a.m.Clock().Now(), ev)
}

func (a *Auth) appendLocked(ev spa.Event) {
	le := LoggedEvent{Event: ev, At: a.m.Clock().Now()}
	if s := a.sessionLocked(ev.ConfigID); ev.ConfigID != "" && s != nil && s.AccessToken != "" {
		cfg, _ := a.m.Config(ev.ConfigID)
		le.IssuedAt, le.RenewAt, le.ExpiresAt = s.IssuedAt, s.RenewAt(cfg.TimeoutFactor), s.ExpiresAt
	}
	if len(a.log) >= a.logSize {
		a.log = slices.Delete(a.log, 0, len(a.log)-a.logSize+1)
	}
	a.log = append(a.log, le)
}

// Bind attaches the Auth to the go-app engine of ctx, then publishes every
// state. Any component's context will do, and later calls do nothing: the
// Observe helpers, Login, Logout and the Callback component bind for you.
// Components that only call ctx.ObserveState need one Bind, in the OnMount of
// the app's first component.
func (a *Auth) Bind(ctx app.Context) {
	a.mu.Lock()
	first := a.ctx == nil
	if first {
		a.ctx = &ctx
	}
	a.mu.Unlock()
	if first {
		a.publishAll()
	}
}

func (a *Auth) publishAll() {
	a.mu.Lock()
	keys := []string{StatusStateKey, EventsStateKey}
	for id := range a.per {
		keys = append(keys, StateKey(id))
	}
	a.mu.Unlock()
	a.publish(keys...)
}

// publish sets the current value of each key. Values are read at the time of
// publication, so a late publication never overwrites a newer value.
//
// go-app's state manager takes its own lock and hands observers their new
// value on the UI goroutine (Context.Dispatch), so SetState may be called from
// the goroutine that caused an event. The context is only the way to the
// engine's state manager: its component need not be mounted any more.
func (a *Auth) publish(keys ...string) {
	a.pub.Lock()
	defer a.pub.Unlock()
	a.mu.Lock()
	if a.ctx == nil {
		a.mu.Unlock()
		return
	}
	ctx := *a.ctx
	vals := make([]any, len(keys))
	for i, k := range keys {
		vals[i] = a.valueLocked(k)
	}
	a.mu.Unlock()
	for i, k := range keys {
		ctx.SetState(k, vals[i])
	}
}

func (a *Auth) valueLocked(key string) any {
	switch key {
	case StatusStateKey:
		st := a.st
		st.ConfigIDs = slices.Clone(st.ConfigIDs)
		return st
	case EventsStateKey:
		return slices.Clone(a.log)
	}
	return a.per[key[len(stateKeyPrefix):]]
}

// State is a config's current AuthState, for code that does not observe it.
func (a *Auth) State(configID string) AuthState {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.per[configID]; ok {
		return s
	}
	return AuthState{ConfigID: configID}
}

// Status is the current start-up Status.
func (a *Auth) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.valueLocked(StatusStateKey).(Status)
}

// Events are the logged events, oldest first.
func (a *Auth) Events() []LoggedEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.log)
}

// Observe binds the Auth (see Bind) and observes the config's AuthState into
// recv, which is set at once; chain OnChange or While as with
// ctx.ObserveState.
func (a *Auth) Observe(ctx app.Context, configID string, recv *AuthState) app.Observer {
	a.Bind(ctx)
	return ctx.ObserveState(StateKey(configID), recv)
}

// ObserveStatus binds the Auth and observes the start-up Status into recv.
func (a *Auth) ObserveStatus(ctx app.Context, recv *Status) app.Observer {
	a.Bind(ctx)
	return ctx.ObserveState(StatusStateKey, recv)
}

// ObserveEvents binds the Auth and observes the event log into recv.
func (a *Auth) ObserveEvents(ctx app.Context, recv *[]LoggedEvent) app.Observer {
	a.Bind(ctx)
	return ctx.ObserveState(EventsStateKey, recv)
}

// Ready returns a channel closed when start-up has finished.
func (a *Auth) Ready() <-chan struct{} { return a.ready }

// wait waits for start-up; it fails when start-up could not configure the
// Manager, or when ctx ends first.
func (a *Auth) wait(ctx context.Context) error {
	select {
	case <-a.ready:
		return a.configErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// resolve names the config that "" stands for: the first one.
func (a *Auth) resolve(configID string) string { return a.m.ResolveConfigID(configID) }

// fail records a helper's failure in the config's state and the event log.
func (a *Auth) fail(configID string, err error) {
	a.record(failure(configID, err))
}
