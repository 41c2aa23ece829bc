package goapp

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
)

// fakeWorker stands in for web.CustodyWorker (the service worker's side is
// tested end to end, dev/e2e): it records what the Auth asked and answers
// as a worker that keeps config b's session would.
type fakeWorker struct {
	mu         sync.Mutex
	controlled bool
	configured []spa.Config
	checked    []string
	results    []spa.AuthResult
	sessions   map[string]*spa.SessionInfo
	calls      []string
	sub        func(spa.Event, *spa.SessionInfo)
}

func (f *fakeWorker) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeWorker) Controlled() bool { return f.controlled }

func (f *fakeWorker) Configure(ctx context.Context, configs []spa.Config) error {
	f.configured = configs
	return nil
}

func (f *fakeWorker) CheckAuth(ctx context.Context, url string) ([]spa.AuthResult, string, error) {
	f.checked = append(f.checked, url)
	return f.results, "", nil
}

func (f *fakeWorker) Session(ctx context.Context, id string) (*spa.SessionInfo, error) {
	return f.sessions[id], nil
}

func (f *fakeWorker) Subscribe(fn func(spa.Event, *spa.SessionInfo)) func() {
	f.sub = fn
	return func() {}
}

// Authorize fails as web.CustodyWorker does on a page it does not control.
func (f *fakeWorker) Authorize(ctx context.Context, id string, o spa.AuthorizeOptions) (string, error) {
	if !f.controlled {
		return "", spa.WorkerUnavailable(id)
	}
	f.record("authorize " + id + " " + o.ReturnURL)
	return "https://op.example/authorize?from=worker", nil
}

func (f *fakeWorker) Logoff(ctx context.Context, id string, o spa.EndSessionOptions, revoke bool) (string, error) {
	f.record("logoff " + id)
	return "https://op.example/logout?from=worker", nil
}

func (f *fakeWorker) LogoffLocal(ctx context.Context, id string) error {
	f.record("logoffLocal " + id)
	return nil
}

func (f *fakeWorker) Revoke(ctx context.Context, id, hint string) error {
	f.record("revoke " + id + " " + hint)
	return nil
}

func (f *fakeWorker) Renew(ctx context.Context, id string) error {
	f.record("renew " + id)
	return nil
}

func (f *fakeWorker) AuthorizePopup(ctx context.Context, id string, o spa.AuthorizeOptions) (spa.AuthRequest, error) {
	f.record("authorizePopup " + id)
	return spa.AuthRequest{}, nil
}

func (f *fakeWorker) Complete(ctx context.Context, req spa.AuthRequest, answer string) (*spa.Session, error) {
	return nil, nil
}

func (f *fakeWorker) Discard(req spa.AuthRequest) {}

// workerConfigs is configs() with b in worker custody.
func workerConfigs() []spa.Config {
	cs := configs()
	cs[1].Custody = spa.CustodyWorker
	return cs
}

func TestWorkerCustodyNeedsAWorker(t *testing.T) {
	w := newWorld(t)
	_, p, _ := start(t, w, Options{Configs: workerConfigs()})
	if p.status.ErrorCode != spa.CodeInvalidConfig || !strings.Contains(p.status.Error, `config "b": custody: `) {
		t.Errorf("status %+v; want invalid_config naming b's custody", p.status)
	}
	if p.b.ErrorCode != spa.CodeInvalidConfig || p.b.SignedIn {
		t.Errorf("b = %+v; want the failure, signed out", p.b)
	}
}

func TestWorkerCustodyActsThroughTheWorker(t *testing.T) {
	w := newWorld(t)
	exp := w.clock.Now().Add(5 * time.Minute)
	fw := &fakeWorker{controlled: true, results: []spa.AuthResult{{ConfigID: "b", IsAuthenticated: true, ReturnURL: "/orders"}},
		sessions: map[string]*spa.SessionInfo{"b": {ConfigID: "b", Subject: "alice", UserData: map[string]any{"name": "Alice Liddell"},
			AccessToken: true, IssuedAt: w.clock.Now(), ExpiresAt: exp}}}
	a, p, eng := start(t, w, Options{Configs: workerConfigs(), Worker: &custodyWorker{fw}})
	ctx := context.Background()

	// The worker gets the whole set (its route table is the page's) and
	// the page's URL, and the Auth shows its session; the page's Manager
	// holds none.
	if len(fw.configured) != 2 || fw.configured[1].Custody != spa.CustodyWorker || len(fw.checked) != 1 || fw.checked[0] != w.nav.location {
		t.Fatalf("the worker was configured with %d configs and checked %q; want the set, and the page's URL", len(fw.configured), fw.checked)
	}
	if !p.b.SignedIn || p.b.Subject != "alice" || claim(p.b, "name") != "Alice Liddell" || !p.b.ExpiresAt.Equal(exp) || p.b.RefreshToken || p.b.RenewAt.IsZero() {
		t.Errorf("b = %+v; want the worker's session: alice, expiring at %v, no refresh token", p.b, exp)
	}
	if s, _ := w.m.Session("b"); s != nil {
		t.Error("the page's Manager holds a session of b")
	}
	if p.a.SignedIn || p.a.ErrorCode != "" {
		t.Errorf("a = %+v; want page custody untouched, signed out", p.a)
	}
	// The worker's result is b's: CompleteLogin goes to its return URL.
	a.reroute = func() {}
	a.CompleteLogin(p.ctx, "/", nil)
	eng.ConsumeAll()
	if len(w.nav.replaced) != 1 || w.nav.replaced[0] != "/orders" {
		t.Errorf("CompleteLogin replaced the address with %q; want the worker's return URL /orders", w.nav.replaced)
	}

	// A request to b's route goes out as it is: the worker adds the token.
	resp, err := a.Fetch(ctx, &spa.Request{URL: "https://api-b.example/v1/orders"})
	if err != nil || resp.ConfigID != "b" || strings.Join(w.api.seen, ",") != "https://api-b.example/v1/orders " {
		t.Errorf("Fetch to b's route: %v, %+v, the API saw %q; want it sent without a page token, for b", err, resp, w.api.seen)
	}

	// The helpers ask the worker, and go where it says.
	a.Login(p.ctx, "b", spa.AuthorizeOptions{})
	eng.ConsumeAll()
	a.Revoke(p.ctx, "b", spa.HintAccessToken)
	eng.ConsumeAll()
	a.Logout(p.ctx, "b", spa.EndSessionOptions{})
	eng.ConsumeAll()
	if got := strings.Join(fw.calls, ", "); got != "authorize b "+w.nav.location+", revoke b "+spa.HintAccessToken+", logoff b" {
		t.Errorf("the worker was asked: %s", got)
	}
	if strings.Join(w.nav.assigned, " ") != "https://op.example/authorize?from=worker https://op.example/logout?from=worker" {
		t.Errorf("the page went to %q; want the worker's authorization and end-session URLs", w.nav.assigned)
	}

	// The worker's events move the state.
	fw.sub(spa.Event{Type: spa.EventLoggedOut, ConfigID: "b"}, nil)
	eng.ConsumeAll()
	if p.b.SignedIn || p.b.Event != spa.EventLoggedOut {
		t.Errorf("after the worker's loggedOut b = %+v", p.b)
	}
}

func TestWorkerCustodyUncontrolledSendsNothing(t *testing.T) {
	w := newWorld(t)
	fw := &fakeWorker{}
	a, p, eng := start(t, w, Options{Configs: workerConfigs(), Worker: &custodyWorker{fw}})
	if p.b.ErrorCode != spa.CodeWorkerUnavailable || p.b.SignedIn || fw.configured != nil || fw.checked != nil {
		t.Errorf("b = %+v, the worker configured %v and checked %q; want worker_unavailable and nothing asked", p.b, fw.configured, fw.checked)
	}
	if _, err := a.Fetch(context.Background(), &spa.Request{URL: "https://api-b.example/v1/orders"}); spa.ErrorCode(err) != spa.CodeWorkerUnavailable || len(w.api.seen) != 0 {
		t.Errorf("Fetch to b's route: %v, the API saw %q; want worker_unavailable and nothing sent", err, w.api.seen)
	}
	a.Login(p.ctx, "b", spa.AuthorizeOptions{})
	eng.ConsumeAll()
	if len(w.nav.assigned) != 0 || p.b.ErrorCode != spa.CodeWorkerUnavailable {
		t.Errorf("Login went to %q, b = %+v; want nowhere, and worker_unavailable", w.nav.assigned, p.b)
	}
}
