package silentrefresh_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/internal/fakeop"
	"github.com/oidcwasm/oidcwasm/silentrefresh"
	"github.com/oidcwasm/oidcwasm/spa"
)

// wallClock is the Manager's and the OP's clock in tests: the bubble's fake
// time.Now plus an offset. Moving the offset forward is a device that slept:
// the wall clock jumped while no timer fired.
type wallClock struct{ offset atomic.Int64 }

func (c *wallClock) Now() time.Time {
	return time.Now().Add(time.Duration(c.offset.Load())).Round(0)
}

// sleepDevice jumps the wall clock by d without running any timer.
func (c *wallClock) sleepDevice(d time.Duration) { c.offset.Add(int64(d)) }

// recorder keeps the Manager's events.
type recorder struct {
	clock spa.Clock
	mu    sync.Mutex
	evs   []stamped
}

type stamped struct {
	spa.Event
	At time.Time
}

func (r *recorder) add(ev spa.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, stamped{ev, r.clock.Now()})
}

// of returns the events of type typ, in order.
func (r *recorder) of(typ spa.EventType) []stamped {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []stamped
	for _, e := range r.evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// frame is a Frame that asks the fake OP and counts navigations.
type frame struct {
	op *fakeop.OP
	n  atomic.Int32
	// answer, when set, replaces the OP's answer.
	answer func(ctx context.Context, req spa.AuthRequest) (string, error)
}

func (f *frame) Navigate(ctx context.Context, req spa.AuthRequest) (string, error) {
	f.n.Add(1)
	if f.answer != nil {
		return f.answer(ctx, req)
	}
	return f.op.Authorize(req.URL)
}

// env is a Manager with one config on a fake OP, inside a synctest bubble.
type env struct {
	t      *testing.T
	clock  *wallClock
	op     *fakeop.OP
	m      *spa.Manager
	frame  *frame
	events *recorder
	start  time.Time // the wall clock when the env was made
	// callerCtx, when set, replaces the context the Manager gives the
	// Renewer (detached from its callers): a test cancels the renewal itself.
	callerCtx context.Context
}

// ctxRenewer is the env's Renewer: silentrefresh.Renewer, run with the env's
// callerCtx when one is set.
type ctxRenewer struct {
	e *env
	r *silentrefresh.Renewer
}

func (c ctxRenewer) ctx(ctx context.Context) context.Context {
	if c.e.callerCtx != nil {
		return c.e.callerCtx
	}
	return ctx
}

func (c ctxRenewer) Renew(ctx context.Context, rn *spa.Renewal) error {
	return c.r.Renew(c.ctx(ctx), rn)
}

func (c ctxRenewer) RenewAPIToken(ctx context.Context, rn *spa.Renewal) error {
	return c.r.RenewAPIToken(c.ctx(ctx), rn)
}

// setup is called inside the bubble. withFrame false gives silentrefresh.New(nil).
// Unless the config says otherwise: ConfigID "app", the OP, scope with
// offline_access and UseRefreshToken.
func setup(t *testing.T, cfg spa.Config, withFrame bool) *env {
	t.Helper()
	e := &env{t: t, clock: &wallClock{}}
	e.op = fakeop.New(t, e.clock)
	e.frame = &frame{op: e.op}
	var fr silentrefresh.Frame
	if withFrame {
		fr = e.frame
	}
	e.m = spa.NewManager(spa.Options{Fetcher: e.op.Fetcher(), Clock: e.clock, Renewer: ctxRenewer{e, silentrefresh.New(fr)}})
	if cfg.ConfigID == "" {
		cfg.ConfigID = "app"
	}
	cfg.Authority = fakeop.Issuer
	if cfg.ClientID == "" {
		cfg.ClientID = "spa-client"
	}
	if cfg.RedirectURL == "" {
		cfg.RedirectURL = "https://app.example/callback"
	}
	e.events = &recorder{clock: e.clock}
	t.Cleanup(e.m.Subscribe(e.events.add))
	if err := e.m.Configure(context.Background(), []spa.Config{cfg}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	e.start = e.clock.Now()
	return e
}

// refreshConfig is a config that renews by refresh token.
func refreshConfig() spa.Config {
	return spa.Config{Scope: "openid profile offline_access", UseRefreshToken: true}
}

// login signs in and returns the session.
func (e *env) login() *spa.Session {
	e.t.Helper()
	s, err := e.op.Login(context.Background(), e.m, "app")
	if err != nil {
		e.t.Fatalf("login: %v", err)
	}
	return s
}

func (e *env) session() *spa.Session {
	e.t.Helper()
	s, err := e.m.Session("app")
	if err != nil {
		e.t.Fatalf("Session: %v", err)
	}
	return s
}

// since returns the offsets from the env's start of the token requests of
// grant type g.
func (e *env) since(g string) []time.Duration {
	var out []time.Duration
	for _, tok := range e.op.Tokens(g) {
		out = append(out, tok.At.Sub(e.start))
	}
	return out
}

// scheduler starts a Scheduler without jitter; it stops when the test ends.
func (e *env) scheduler(o silentrefresh.SchedulerOptions) *silentrefresh.Scheduler {
	if o.Jitter == nil {
		o.Jitter = func(time.Duration) time.Duration { return 0 }
	}
	s := silentrefresh.NewScheduler(e.m, o)
	s.Start()
	e.t.Cleanup(s.Stop)
	return s
}

// sleepUntil sleeps on the bubble's clock until the env's wall clock reads
// start+d, then waits for the bubble to settle.
func (e *env) sleepUntil(d time.Duration) {
	e.t.Helper()
	if wait := e.start.Add(d).Sub(e.clock.Now()); wait > 0 {
		time.Sleep(wait)
	}
	settle()
}
