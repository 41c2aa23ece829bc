package goapp

import (
	"context"
	"syscall/js"

	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web"
)

// NewWorker is the Worker of the browser, for Options.Worker: the service
// worker that controls the page (go-app's own, with ours imported by
// ServiceWorkerTemplate), reached by web.CustodyWorker. The page's module
// never holds a worker-custody config's tokens: the worker signs in,
// renews, revokes and adds the token to the page's requests to the
// config's secure routes, and the Auth shows the sessions from the
// worker's answers and events (spa.SessionInfo, no token).
func NewWorker() Worker { return &custodyWorker{web.NewCustodyWorker()} }

// workerClient is what custodyWorker asks of web.CustodyWorker.
type workerClient interface {
	custodian
	web.PopupSignIner
	Controlled() bool
	Configure(ctx context.Context, configs []spa.Config) error
	CheckAuth(ctx context.Context, url string) ([]spa.AuthResult, string, error)
	Session(ctx context.Context, configID string) (*spa.SessionInfo, error)
	Subscribe(fn func(spa.Event, *spa.SessionInfo)) func()
}

type custodyWorker struct{ workerClient }

func (w *custodyWorker) attach(a *Auth) func() {
	return w.Subscribe(func(ev spa.Event, sess *spa.SessionInfo) {
		a.mu.Lock()
		ours := a.remote != nil && a.inWorker(ev.ConfigID)
		if ours {
			a.remote[ev.ConfigID] = sess.View()
		}
		a.mu.Unlock()
		if !ours {
			return // before start-up has asked the worker, which it does anyway
		}
		a.record(ev)
	})
}

// start hands the worker the whole set (its route table is the page's),
// and lets it check the page's URL first: an authorization response of a
// worker-custody config has its transaction in the worker alone. The page's
// Manager then checks what is left (the clean URL when the worker took the
// response), and each worker-custody config's result is the worker's. On
// a page the worker does not control, those configs are reported with
// worker_unavailable, and nothing is asked of a worker.
func (w *custodyWorker) start(ctx context.Context, a *Auth, configs []spa.Config) {
	var ids []string
	if configs == nil {
		for _, id := range a.m.ConfigIDs() {
			c, _ := a.m.Config(id)
			configs = append(configs, c)
		}
	}
	a.mu.Lock()
	a.remote = map[string]*spa.Session{}
	a.mu.Unlock()
	for _, id := range a.m.ConfigIDs() {
		if a.inWorker(id) {
			ids = append(ids, id)
		}
	}
	here := a.nav.Location()
	var fromWorker []spa.AuthResult
	var werr error
	controlled := ids != nil && w.Controlled()
	if controlled {
		if err := w.Configure(ctx, configs); err != nil {
			a.finish(nil, err, nil)
			return
		}
		var clean string
		fromWorker, clean, werr = w.CheckAuth(ctx, here)
		if clean != "" {
			a.nav.ReplaceURL(clean) // whatever the outcome, code and state leave the address bar
			here = clean
		}
		for _, id := range ids {
			if s, err := w.session(ctx, id); err == nil {
				a.mu.Lock()
				a.remote[id] = s
				a.mu.Unlock()
			}
		}
	}
	res, err := a.m.CheckAuth(ctx, here)
	if clean, ok := a.m.CleanAddress(here); ok { // as Auth.start does without a Worker
		a.nav.ReplaceURL(clean)
	}
	for i, r := range res {
		for _, f := range fromWorker {
			if f.ConfigID == r.ConfigID {
				res[i] = f
			}
		}
	}
	if err == nil {
		err = werr
	}
	a.finish(res, nil, err)
	if !controlled {
		for _, id := range ids {
			a.fail(id, spa.WorkerUnavailable(id))
		}
	}
}

// fetch sends req as it is: the service worker that controls the page
// adds the token and follows the route's rules (redirects, DPoP, the 401
// rule) as for any request of the page's; without it nothing is sent.
func (w *custodyWorker) fetch(ctx context.Context, f spa.Fetcher, req *spa.Request, id string) (*Response, error) {
	if !w.Controlled() {
		return nil, spa.WorkerUnavailable(id)
	}
	resp, err := f.Fetch(ctx, req)
	if err != nil {
		return nil, err
	}
	return &Response{Response: resp, ConfigID: id}, nil
}

func (w *custodyWorker) popup(ctx context.Context, popup any, id string, o spa.AuthorizeOptions) error {
	p := popup.(js.Value)
	if !w.Controlled() {
		p.Call("close")
		return spa.WorkerUnavailable(id)
	}
	_, err := web.SignInWithPopup(ctx, w.workerClient, p, id, o)
	return err
}

func (w *custodyWorker) session(ctx context.Context, id string) (*spa.Session, error) {
	s, err := w.Session(ctx, id)
	return s.View(), err
}
