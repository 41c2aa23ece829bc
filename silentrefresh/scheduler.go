package silentrefresh

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
)

// Defaults of SchedulerOptions.
const (
	// DefaultMaxStep is the longest the Scheduler sleeps before it looks at the
	// wall clock again. Timers count monotonic time, which may stand still
	// while a device sleeps (and hidden tabs have their timers throttled), so
	// one long timer can fire hours late. 5 s bounds the lateness after a wake
	// far below the renewal margin (with the default timeoutFactor 0.75 a
	// 5-minute token leaves 75 s), while a wake-up costs a few map lookups: 12
	// a minute is nothing next to a page's own work. oidc-client-ts polls the
	// wall clock every 5 s for the same reason.
	DefaultMaxStep = 5 * time.Second
	// DefaultRetryMin is the first backoff delay after a transient failure:
	// long enough that a flapping network is not hammered, short enough that
	// one lost request costs about a second.
	DefaultRetryMin = 1 * time.Second
	// DefaultRetryMax caps the doubling backoff (1, 2, 4, 8, 16, 30, 30 … s),
	// so a provider that comes back is noticed within half a minute, and a
	// default-sized renewal window (a quarter of the token's lifetime) still
	// holds several attempts.
	DefaultRetryMax = 30 * time.Second
)

// SchedulerOptions tune a Scheduler; the zero value means the defaults.
type SchedulerOptions struct {
	// MaxStep is the longest sleep between two looks at the wall clock
	// (default DefaultMaxStep).
	MaxStep time.Duration
	// RetryMin and RetryMax bound the exponential backoff after a transient
	// failure (defaults DefaultRetryMin, DefaultRetryMax).
	RetryMin, RetryMax time.Duration
	// Jitter returns a random duration in [0, limit); each backoff delay d
	// becomes d + Jitter(d/2), so that the tabs and clients of a provider that
	// failed do not all come back in the same second. Default: uniform, from
	// math/rand/v2. Tests pass a fixed function.
	Jitter func(limit time.Duration) time.Duration
}

func (o SchedulerOptions) withDefaults() SchedulerOptions {
	if o.MaxStep <= 0 {
		o.MaxStep = DefaultMaxStep
	}
	if o.RetryMin <= 0 {
		o.RetryMin = DefaultRetryMin
	}
	if o.RetryMax <= 0 {
		o.RetryMax = DefaultRetryMax
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = o.RetryMin
	}
	if o.Jitter == nil {
		o.Jitter = func(limit time.Duration) time.Duration {
			if limit <= 0 {
				return 0
			}
			return rand.N(limit)
		}
	}
	return o
}

// Scheduler renews sessions automatically (silentRenew): for every config
// without DisableSilentRenew that has a session whose access token has an
// expiry, it calls spa.Manager.Renew at Session.RenewAt(TimeoutFactor).
//
//   - It never trusts one long timer: it sleeps at most MaxStep and compares
//     against the Manager's clock (the wall clock), so a device that slept
//     renews within MaxStep of waking, even when the token expired meanwhile.
//   - It plans again on every event of the Manager (authenticated,
//     tokenRefreshed with a new expiry, loggedOut, configLoaded) and at every
//     step, so sessions changed by another tab or by a revocation are noticed.
//   - A failure that ends the session (spa.EndsSession: login_required,
//     consent_required, interaction_required, invalid_grant) stops it for that
//     config; the Manager has ended the session. Any other failure keeps the
//     session and is retried with exponential backoff while the access token
//     is valid; when it expires first, tokenExpired is emitted once (unless the
//     Manager already did) and that session is not retried any more. A new
//     session starts over.
//   - Tokens without an expiry (no expires_in) are not scheduled.
//
// Start, Stop and Recheck may be called from any goroutine, event
// subscribers included; none blocks on a renewal, so all are safe in a JS
// callback.
type Scheduler struct {
	m    *spa.Manager
	o    SchedulerOptions
	poke chan struct{} // capacity 1: "look again"

	mu      sync.Mutex
	cancel  context.CancelFunc // nil: stopped
	done    chan struct{}      // closed when the loop has returned
	unsub   func()
	expired map[string]bool // configs for which a tokenExpired event arrived, not yet seen by the loop
}

// NewScheduler returns a stopped Scheduler for m.
func NewScheduler(m *spa.Manager, o SchedulerOptions) *Scheduler {
	return &Scheduler{m: m, o: o.withDefaults(), poke: make(chan struct{}, 1)}
}

// Start starts automatic renewal; it does nothing when already started.
func (s *Scheduler) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done, s.expired = cancel, make(chan struct{}), map[string]bool{}
	s.unsub = s.m.Subscribe(s.onEvent)
	l := &loop{s: s, ctx: ctx, tracks: map[string]*track{}, running: map[string]bool{}, results: make(chan result)}
	go l.run(s.done)
}

// Stop ends automatic renewal and returns when its goroutine has ended; it
// does nothing when not started. A renewal already in flight belongs to the
// Manager's single flight (other callers may share it), so it is not cut
// short: it finishes within the config's SilentRenewTimeout, and its
// goroutine then ends without touching the Scheduler. After Stop returns the
// Scheduler starts no renewal and emits no event. Start may be called again.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	if s.cancel == nil {
		s.mu.Unlock()
		return
	}
	s.cancel()
	s.unsub()
	done := s.done
	s.cancel, s.unsub, s.done = nil, nil, nil
	s.mu.Unlock()
	<-done
}

// Recheck makes the Scheduler look at the clock and the sessions now rather
// than at its next step. The browser side calls it when the page becomes
// visible or the device comes back online (visibilitychange, pageshow,
// online), so a woken device renews at once rather than within MaxStep.
func (s *Scheduler) Recheck() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// onEvent is the Manager subscription. It runs on the goroutine that emitted
// the event and must not block: it notes what the loop needs and pokes it.
func (s *Scheduler) onEvent(ev spa.Event) {
	if ev.Type == spa.EventTokenExpired {
		s.mu.Lock()
		if s.expired != nil {
			s.expired[ev.ConfigID] = true
		}
		s.mu.Unlock()
	}
	s.Recheck()
}

// takeExpired returns and clears the configs that saw tokenExpired.
func (s *Scheduler) takeExpired() map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.expired) == 0 {
		return nil
	}
	e := s.expired
	s.expired = map[string]bool{}
	return e
}

// sessionKey tells sessions apart. Times are compared as Unix nanoseconds: a
// session read back from the store has the same instants in another location.
type sessionKey struct {
	accessToken       string
	issued, expiresAt int64
}

func keyOf(s *spa.Session) sessionKey {
	return sessionKey{s.AccessToken, s.IssuedAt.UnixNano(), s.ExpiresAt.UnixNano()}
}

// track is the plan for one config's current session.
type track struct {
	_         [0]func() // incomparable: no equality function in the wasm
	key       sessionKey
	renewAt   time.Time // RenewAt(TimeoutFactor)
	expiresAt time.Time
	attempts  int       // failed renewals of this session
	retryAt   time.Time // next attempt, when attempts > 0
	stopped   bool      // ended or expired (tokenExpired was emitted): wait for a new session
}

// result is the outcome of one renewal started by the loop.
type result struct {
	_        [0]func() // incomparable: no equality function in the wasm
	configID string
	key      sessionKey // the session it started from
	err      error
}

// loop is the Scheduler's goroutine and the state only it touches.
type loop struct {
	s       *Scheduler
	ctx     context.Context
	tracks  map[string]*track
	running map[string]bool // renewals started and not yet reported
	results chan result
}

func (l *loop) run(done chan struct{}) {
	defer close(done)
	clock := l.s.m.Clock()
	timer := time.NewTimer(l.s.o.MaxStep)
	defer timer.Stop()
	for {
		for id := range l.s.takeExpired() {
			if t := l.tracks[id]; t != nil {
				t.stopped = true // the Manager told; do not tell again
			}
		}
		l.plan()
		now := clock.Now()
		timer.Reset(max(l.step(now).Sub(now), 0))
		select {
		case <-l.ctx.Done():
			return
		case <-l.s.poke:
		case <-timer.C:
		case r := <-l.results:
			l.finish(r, clock.Now())
		}
	}
}

// plan brings the tracks in line with the Manager's configs and sessions: a
// new session gets a fresh track, a config that is gone, disabled or signed
// out loses its track.
func (l *loop) plan() {
	m := l.s.m
	live := map[string]bool{}
	for _, id := range m.ConfigIDs() {
		cfg, err := m.Config(id)
		if err != nil || cfg.DisableSilentRenew {
			continue
		}
		sess, err := m.Session(id)
		if err != nil || sess == nil || sess.ExpiresAt.IsZero() {
			continue
		}
		live[id] = true
		k := keyOf(sess)
		t := l.tracks[id]
		if t == nil || t.key != k {
			t = &track{key: k, expiresAt: sess.ExpiresAt}
			l.tracks[id] = t
		}
		t.renewAt = sess.RenewAt(cfg.TimeoutFactor) // the factor may change with configure
	}
	for id := range l.tracks {
		if !live[id] {
			delete(l.tracks, id)
		}
	}
}

// step starts the renewals that are due at now, emits tokenExpired for
// sessions that expired while backing off, and returns when to look next.
func (l *loop) step(now time.Time) time.Time {
	next := now.Add(l.s.o.MaxStep)
	for id, t := range l.tracks {
		if t.stopped || l.running[id] {
			continue
		}
		if t.attempts > 0 && !now.Before(t.expiresAt) {
			t.stopped = true
			l.reportExpired(id)
			continue
		}
		due := t.renewAt
		if t.attempts > 0 {
			due = t.retryAt
			next = earlier(next, t.expiresAt)
		}
		if !now.Before(due) {
			l.start(id, t.key)
			continue
		}
		next = earlier(next, due)
	}
	return next
}

// start renews one config in its own goroutine, so that a slow iframe does not
// hold up the others. The goroutine ends when the renewal does; after Stop it
// drops its result.
func (l *loop) start(id string, k sessionKey) {
	l.running[id] = true
	go func() {
		_, err := l.s.m.Renew(l.ctx, id)
		select {
		case l.results <- result{configID: id, key: k, err: err}:
		case <-l.ctx.Done():
		}
	}()
}

// reportExpired has the Manager emit tokenExpired for id, from its own
// goroutine: subscribers run on the emitting goroutine, and one that calls
// Stop must not wait for the loop it runs on.
func (l *loop) reportExpired(id string) {
	go func() {
		if l.ctx.Err() == nil {
			l.s.m.ReportExpired(id)
		}
	}()
}

// finish takes a renewal's outcome. A new session is planned afresh; when the
// session is still the one the renewal started from, a session-ending code
// stops its track and anything else backs off (a success that stored nothing
// new too, so a Renewer that does nothing cannot make the loop spin).
func (l *loop) finish(r result, now time.Time) {
	delete(l.running, r.configID)
	l.plan()
	t := l.tracks[r.configID]
	if t == nil || t.key != r.key || t.stopped {
		return
	}
	if r.err != nil && spa.EndsSession(spa.ErrorCode(r.err)) {
		t.stopped = true
		return
	}
	t.attempts++
	t.retryAt = now.Add(l.backoff(t.attempts))
}

// backoff is the delay before retry n (1-based): RetryMin doubled n-1 times,
// at most RetryMax, plus jitter of up to half of it.
func (l *loop) backoff(n int) time.Duration {
	o := &l.s.o
	d := o.RetryMin
	for i := 1; i < n && d < o.RetryMax; i++ {
		d *= 2
	}
	d = min(d, o.RetryMax)
	if j := o.Jitter(d / 2); j > 0 {
		d += min(j, d/2)
	}
	return d
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
