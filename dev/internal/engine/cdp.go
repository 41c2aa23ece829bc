package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/oidcwasm/oidcwasm/dev/internal/chromium"
)

// cdpBrowser is Chromium driven over the DevTools protocol by chromedp, on a
// pipe (no debugging port).
type cdpBrowser struct {
	version     string
	cancelAlloc context.CancelFunc
	browser     context.Context
	cancel      context.CancelFunc
}

func launchChromium(_ context.Context, opts Options) (Browser, error) {
	bin := Binary(Chromium, opts)
	if _, err := os.Stat(bin); err != nil {
		return nil, notFound(Chromium, bin)
	}
	out := opts.Log
	keep := &tail{max: 16 << 10}
	if out == nil {
		out = keep
	}
	flags := append(chromium.Flags(), chromedp.ExecPath(bin), chromedp.WindowSize(opts.Width, opts.Height),
		chromedp.CombinedOutput(out))
	// The allocator and browser live until Close, not as long as the
	// caller's ctx (which may be a start-up timeout).
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), flags...)
	browser, cancel := chromedp.NewContext(allocCtx)
	b := &cdpBrowser{cancelAlloc: cancelAlloc, browser: browser, cancel: cancel}
	// The first action starts the browser; it must not carry a timeout.
	if err := chromedp.Do(browser); err != nil {
		b.Close()
		return nil, fmt.Errorf("engine chromium: starting %s (%s): %w%s", bin, Install(Chromium), err, keep)
	}
	if v, err := chromedp.CallBrowser(browser, cdpbrowser.GetVersion, cdp.Empty{}); err == nil {
		b.version = strings.Replace(v.Product, "/", " ", 1)
	}
	return b, nil
}

func (b *cdpBrowser) Name() Name      { return Chromium }
func (b *cdpBrowser) Version() string { return b.version }
func (b *cdpBrowser) Supports(c Capability) bool {
	return true
}

func (b *cdpBrowser) NewContext(ctx context.Context) (Page, error) {
	tctx, cancel := chromedp.NewContext(b.browser, chromedp.WithNewBrowserContext())
	return openCDPPage(tctx, cancel)
}

func (b *cdpBrowser) Close() error {
	if b.cancel != nil {
		b.cancel()
		b.cancelAlloc()
	}
	return nil
}

// cdpPage is one target. Its ctx is chromedp's context of the target.
type cdpPage struct {
	ctx      context.Context
	cancel   context.CancelFunc
	detached <-chan struct{}

	mu      sync.Mutex
	console []Message
	visited []string
}

// openCDPPage attaches to (or opens) the target of tctx and records its
// console and navigations.
func openCDPPage(tctx context.Context, cancel context.CancelFunc) (*cdpPage, error) {
	if err := chromedp.Do(tctx); err != nil {
		cancel()
		return nil, err
	}
	p := &cdpPage{ctx: tctx, cancel: cancel}
	p.detached, _ = chromedp.Detached(tctx)
	console := chromedp.Console(tctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			text := m.Text
			for _, a := range m.Args {
				if v := string(a.Value); v != "" && !strings.Contains(text, v) {
					text += " " + v
				}
			}
			p.mu.Lock()
			p.console = append(p.console, Message{Type: string(m.Type), Text: text, URL: m.URL})
			p.mu.Unlock()
		}
	}()
	navs := chromedp.Events(tctx, page.FrameNavigated)
	go func() {
		for ev, err := range navs {
			if err != nil {
				return
			}
			if ev.Frame != nil {
				p.mu.Lock()
				p.visited = append(p.visited, ev.Frame.URL+ev.Frame.URLFragment)
				p.mu.Unlock()
			}
		}
	}()
	return p, nil
}

// in bounds a call on the page by ctx and by the page's own life.
func (p *cdpPage) in(ctx context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(p.ctx)
	stop := context.AfterFunc(ctx, cancel)
	return c, func() { stop(); cancel() }
}

func (p *cdpPage) Navigate(ctx context.Context, url string) error {
	c, done := p.in(ctx)
	defer done()
	return chromedp.Do(c, chromedp.Navigate(url))
}

func (p *cdpPage) Reload(ctx context.Context) error {
	c, done := p.in(ctx)
	defer done()
	return chromedp.Do(c, chromedp.Reload())
}

func (p *cdpPage) ForceReload(ctx context.Context) error {
	return forceReload(ctx, p, func() error {
		c, done := p.in(ctx)
		defer done()
		ignoreCache := true
		return chromedp.Do(c, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, page.Reload, page.ReloadParams{IgnoreCache: &ignoreCache})
			return err
		}))
	})
}

func (p *cdpPage) StopWorkers(ctx context.Context) error {
	c, done := p.in(ctx)
	defer done()
	return chromedp.Do(c, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, serviceworker.Enable, cdp.Empty{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, serviceworker.StopAllWorkers, cdp.Empty{})
		return err
	}))
}

func (p *cdpPage) Eval(ctx context.Context, expr string) (string, error) {
	c, done := p.in(ctx)
	defer done()
	s, err := chromedp.Run(c, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	var ex *chromedp.ExceptionError
	if errors.As(err, &ex) {
		return "", &EvalError{Text: ex.Error()}
	}
	return s, err
}

func (p *cdpPage) Gesture(ctx context.Context, expr string) error {
	c, done := p.in(ctx)
	defer done()
	withGesture := func(ep *runtime.EvaluateParams) {
		yes := true
		ep.UserGesture = &yes
	}
	_, err := chromedp.Run(c, chromedp.Evaluate[any]("void ("+expr+")", withGesture))
	return err
}

func (p *cdpPage) Click(ctx context.Context, selector string) error {
	c, done := p.in(ctx)
	defer done()
	return chromedp.Do(c, chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible))
}

func (p *cdpPage) Type(ctx context.Context, selector, text string) error {
	c, done := p.in(ctx)
	defer done()
	return chromedp.Do(c, chromedp.SendKeys(chromedp.CSS(selector), text))
}

func (p *cdpPage) NewTab(ctx context.Context) (Page, error) {
	// Without WithNewBrowserContext, chromedp opens the target in the
	// parent's browser context.
	tctx, cancel := chromedp.NewContext(p.ctx)
	return openCDPPage(tctx, cancel)
}

func (p *cdpPage) Popup(ctx context.Context, open func() error) (Page, error) {
	opener := chromedp.FromContext(p.ctx).Target.TargetID
	ch := chromedp.WaitNewTarget(p.ctx, func(i *target.Info) bool { return i.OpenerID == opener })
	if err := open(); err != nil {
		return nil, err
	}
	var id target.ID
	select {
	case id = <-ch:
	case <-time.After(10 * time.Second):
		return nil, errors.New("engine chromium: the page opened no window")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	tctx, cancel := chromedp.NewContext(p.ctx, chromedp.WithTargetID(id))
	pp, err := openCDPPage(tctx, cancel)
	if err != nil {
		if strings.Contains(err.Error(), "detached") || strings.Contains(err.Error(), "closed") || strings.Contains(err.Error(), "No target") {
			// Done and closed before we got there (an auto-login).
			return &cdpPage{ctx: tctx, cancel: cancel}, nil
		}
		return nil, fmt.Errorf("engine chromium: attaching to the popup: %w", err)
	}
	return pp, nil
}

func (p *cdpPage) Screenshot(ctx context.Context) ([]byte, error) {
	c, done := p.in(ctx)
	defer done()
	return chromedp.Run(c, chromedp.FullScreenshot(100))
}

func (p *cdpPage) SetViewport(ctx context.Context, width, height int, mobile bool) error {
	c, done := p.in(ctx)
	defer done()
	var opts []chromedp.EmulateViewportOption
	if mobile {
		opts = append(opts, chromedp.EmulateMobile)
	}
	return chromedp.Do(c, chromedp.EmulateViewport(int64(width), int64(height), opts...))
}

func (p *cdpPage) Cookies(ctx context.Context, url string) ([]Cookie, error) {
	c, done := p.in(ctx)
	defer done()
	jar, err := chromedp.Run(c, func(ctx context.Context, tgt *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, tgt, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	})
	if err != nil {
		return nil, err
	}
	var out []Cookie
	for _, k := range jar.Cookies {
		out = append(out, Cookie{Name: k.Name, Value: k.Value, Domain: k.Domain, Path: k.Path, SameSite: strings.ToLower(string(k.SameSite))})
	}
	return out, nil
}

func (p *cdpPage) History(ctx context.Context) ([]string, error) {
	c, done := p.in(ctx)
	defer done()
	h, err := chromedp.Run(c, chromedp.NavigationEntries())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range h.Entries {
		out = append(out, e.URL)
	}
	return out, nil
}

func (p *cdpPage) Console() ([]Message, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Message(nil), p.console...), nil
}

func (p *cdpPage) Visited() ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.visited...), nil
}

func (p *cdpPage) Closed() bool {
	if p.ctx.Err() != nil || p.detached == nil {
		return true
	}
	select {
	case <-p.detached:
		return true
	default:
	}
	return false
}

func (p *cdpPage) Close() error {
	p.cancel()
	return nil
}
