package engine

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// webkitBrowser is WebKitGTK's MiniBrowser driven by WebKitWebDriver over
// classic WebDriver, on a private Xvfb display (MiniBrowser has no headless
// mode). WebKitWebDriver serves one session at a time and each session is a
// fresh MiniBrowser with ephemeral storage, so each NewContext starts a
// driver and a browser of its own.
type webkitBrowser struct {
	driver, minibrowser string
	width, height       int
	log                 io.Writer
	out                 *tail

	xvfb    *exec.Cmd
	xexited chan struct{}
	display string

	mu       sync.Mutex
	version  string
	sessions []*wkSession
}

func launchWebKit(ctx context.Context, opts Options) (Browser, error) {
	driver := Binary(WebKit, opts)
	if _, err := os.Stat(driver); err != nil {
		return nil, notFound(WebKit, driver)
	}
	mb := os.Getenv("OIDCWASM_MINIBROWSER")
	if mb == "" {
		found, _ := filepath.Glob("/usr/lib/*/webkit2gtk-4.*/MiniBrowser")
		if len(found) == 0 {
			return nil, notFound(WebKit, "MiniBrowser (/usr/lib/*/webkit2gtk-4.*/MiniBrowser)")
		}
		mb = found[len(found)-1]
	}
	xvfb, err := exec.LookPath("Xvfb")
	if err != nil {
		return nil, notFound(WebKit, "Xvfb")
	}
	b := &webkitBrowser{driver: driver, minibrowser: mb, width: opts.Width, height: opts.Height,
		out: &tail{max: 16 << 10}, xexited: make(chan struct{})}
	b.log = b.out
	if opts.Log != nil {
		b.log = io.MultiWriter(b.out, opts.Log)
	}
	// -displayfd: Xvfb picks a free display and writes its number there.
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	b.xvfb = exec.Command(xvfb, "-displayfd", "3", "-screen", "0", "1920x1200x24", "-nolisten", "tcp", "-noreset")
	b.xvfb.ExtraFiles = []*os.File{w}
	b.xvfb.Stdout, b.xvfb.Stderr = b.log, b.log
	if err := b.xvfb.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("engine webkit: starting Xvfb: %w", err)
	}
	w.Close()
	go func() { b.xvfb.Wait(); close(b.xexited) }()
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		r.Close()
		got <- strings.TrimSpace(line)
	}()
	select {
	case d := <-got:
		if d == "" {
			b.Close()
			return nil, fmt.Errorf("engine webkit: Xvfb gave no display%s", b.out)
		}
		b.display = ":" + d
	case <-time.After(30 * time.Second):
		b.Close()
		return nil, fmt.Errorf("engine webkit: Xvfb gave no display within 30 s%s", b.out)
	}
	vctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v := exec.CommandContext(vctx, mb, "--version")
	v.Env = append(os.Environ(), "DISPLAY="+b.display, "GDK_BACKEND=x11", "NO_AT_BRIDGE=1")
	if out, err := v.Output(); err == nil {
		b.version = strings.TrimSpace(string(out)) + " (MiniBrowser)"
	}
	return b, nil
}

func (b *webkitBrowser) Name() Name { return WebKit }

// Version is known once a session has started (the driver reports it).
func (b *webkitBrowser) Version() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.version == "" {
		return "WebKitGTK (MiniBrowser)"
	}
	return b.version
}

func (b *webkitBrowser) Supports(c Capability) bool { return false }

func (b *webkitBrowser) NewContext(ctx context.Context) (Page, error) {
	s, err := b.startSession(ctx)
	if err != nil {
		return nil, err
	}
	var handle string
	if err := s.wd.do(ctx, http.MethodGet, "window", nil, &handle); err != nil {
		s.end()
		return nil, fmt.Errorf("engine webkit: %w", err)
	}
	p := s.adopt(handle)
	p.owner = true
	if err := p.resize(ctx, b.width, b.height); err != nil {
		s.end()
		return nil, err
	}
	return p, nil
}

// startSession starts a WebKitWebDriver on a free port and a session on it.
func (b *webkitBrowser) startSession(ctx context.Context) (*wkSession, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(b.driver, fmt.Sprintf("--port=%d", port), "--host=127.0.0.1")
	cmd.Env = append(os.Environ(), "DISPLAY="+b.display, "GDK_BACKEND=x11", "NO_AT_BRIDGE=1")
	cmd.Stdout, cmd.Stderr = b.log, b.log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("engine webkit: starting %s (%s): %w", b.driver, Install(WebKit), err)
	}
	s := &wkSession{b: b, cmd: cmd, exited: make(chan struct{}),
		wd: &wdClient{base: fmt.Sprintf("http://127.0.0.1:%d", port), http: &http.Client{}}}
	go func() { cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var st struct {
			Ready bool `json:"ready"`
		}
		if s.wd.do(ctx, http.MethodGet, "/status", nil, &st) == nil {
			break
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("engine webkit: %s exited at start%s", b.driver, b.out)
		case <-ctx.Done():
			s.end()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.end()
			return nil, fmt.Errorf("engine webkit: %s did not answer within 30 s%s", b.driver, b.out)
		}
	}
	var created struct {
		SessionID    string `json:"sessionId"`
		Capabilities struct {
			BrowserVersion string `json:"browserVersion"`
		} `json:"capabilities"`
	}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"unhandledPromptBehavior":  "dismiss",
		"webkitgtk:browserOptions": map[string]any{"binary": b.minibrowser, "args": []string{"--automation"}},
	}}}
	if err := s.wd.do(ctx, http.MethodPost, "/session", caps, &created); err != nil {
		s.end()
		return nil, fmt.Errorf("engine webkit: new session: %w%s", err, b.out)
	}
	s.wd.session = created.SessionID
	b.mu.Lock()
	b.version = "WebKitGTK " + created.Capabilities.BrowserVersion + " (MiniBrowser)"
	b.sessions = append(b.sessions, s)
	b.mu.Unlock()
	// Scripts may wait as long as the caller's context allows.
	s.wd.do(ctx, http.MethodPost, "timeouts", map[string]any{"script": 10 * 60 * 1000, "pageLoad": 60 * 1000}, nil)
	return s, nil
}

func (b *webkitBrowser) Close() error {
	b.mu.Lock()
	ss := b.sessions
	b.sessions = nil
	b.mu.Unlock()
	for _, s := range ss {
		s.end()
	}
	if b.xvfb != nil && b.xvfb.Process != nil {
		b.xvfb.Process.Kill()
		<-b.xexited
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// wkSession is one WebDriver session: one MiniBrowser, its windows, and the
// one window WebDriver's commands go to, which mu guards.
type wkSession struct {
	b      *webkitBrowser
	cmd    *exec.Cmd
	exited chan struct{}
	wd     *wdClient

	mu      sync.Mutex
	current string
	known   []string // windows adopted as pages
	ended   bool
}

func (s *wkSession) adopt(handle string) *wkPage {
	s.mu.Lock()
	s.known = append(s.known, handle)
	s.mu.Unlock()
	return &wkPage{s: s, handle: handle}
}

// on runs f with the session's commands going to handle.
func (s *wkSession) on(ctx context.Context, handle string, f func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return errors.New("engine webkit: the session has ended")
	}
	if s.current != handle {
		if err := s.wd.do(ctx, http.MethodPost, "window", map[string]any{"handle": handle}, nil); err != nil {
			return err
		}
		s.current = handle
	}
	return f()
}

func (s *wkSession) end() {
	s.mu.Lock()
	ended := s.ended
	s.ended = true
	s.mu.Unlock()
	if !ended && s.wd.session != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s.wd.do(ctx, http.MethodDelete, "/session/"+s.wd.session, nil, nil)
		cancel()
	}
	if s.cmd.Process != nil {
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// wkPage is one window of a session.
type wkPage struct {
	s      *wkSession
	handle string
	owner  bool // the session's first window: closing it ends the session
	closed atomicBool
}

func (p *wkPage) do(ctx context.Context, method, path string, body, res any) error {
	return p.s.on(ctx, p.handle, func() error { return p.s.wd.do(ctx, method, path, body, res) })
}

func (p *wkPage) Navigate(ctx context.Context, url string) error {
	return p.do(ctx, http.MethodPost, "url", map[string]any{"url": url}, nil)
}

func (p *wkPage) Reload(ctx context.Context) error {
	return p.do(ctx, http.MethodPost, "refresh", nil, nil)
}

func (p *wkPage) ForceReload(ctx context.Context) error { return Unsupported(WebKit, CapForcedReload) }

func (p *wkPage) StopWorkers(ctx context.Context) error { return Unsupported(WebKit, CapStopWorkers) }

// Eval runs expr through Execute Async Script, which hands the script a
// callback as its last argument.
func (p *wkPage) Eval(ctx context.Context, expr string) (string, error) {
	script := `const done = arguments[arguments.length - 1];
Promise.resolve().then(() => (` + expr + `
)).then((v) => done({ok: true, v: typeof v === "string" ? v : String(v)}),
  (e) => done({ok: false, v: String((e && e.stack) ? e + "\n" + e.stack : e)}));`
	var r struct {
		OK bool   `json:"ok"`
		V  string `json:"v"`
	}
	err := p.do(ctx, http.MethodPost, "execute/async", map[string]any{"script": script, "args": []any{}}, &r)
	var we *wdError
	if errors.As(err, &we) && we.Code == "javascript error" {
		return "", &EvalError{Text: we.Message}
	}
	if err != nil {
		return "", err
	}
	if !r.OK {
		return "", &EvalError{Text: r.V}
	}
	return r.V, nil
}

// Gesture: classic WebDriver gives a user activation only to a real input
// event, so the expression runs in the click handler of a button that is
// put over the page for the moment of an Element Click.
func (p *wkPage) Gesture(ctx context.Context, expr string) error {
	script := `const b = document.createElement("button");
b.textContent = "gesture";
b.style.cssText = "position:fixed;left:0;top:0;width:24px;height:24px;margin:0;padding:0;z-index:2147483647;opacity:0.01";
b.addEventListener("click", () => { b.remove(); void (` + expr + `
); }, {once: true});
document.documentElement.append(b);
return b;`
	return p.s.on(ctx, p.handle, func() error {
		var el wdElement
		if err := p.s.wd.do(ctx, http.MethodPost, "execute/sync", map[string]any{"script": script, "args": []any{}}, &el); err != nil {
			return err
		}
		return p.s.wd.do(ctx, http.MethodPost, "element/"+el.id()+"/click", nil, nil)
	})
}

func (p *wkPage) find(ctx context.Context, selector string) (string, error) {
	var el wdElement
	if err := p.s.wd.do(ctx, http.MethodPost, "element", map[string]any{"using": "css selector", "value": selector}, &el); err != nil {
		return "", err
	}
	return el.id(), nil
}

func (p *wkPage) Click(ctx context.Context, selector string) error {
	return p.s.on(ctx, p.handle, func() error {
		id, err := p.find(ctx, selector)
		if err != nil {
			return err
		}
		return p.s.wd.do(ctx, http.MethodPost, "element/"+id+"/click", nil, nil)
	})
}

func (p *wkPage) Type(ctx context.Context, selector, text string) error {
	return p.s.on(ctx, p.handle, func() error {
		id, err := p.find(ctx, selector)
		if err != nil {
			return err
		}
		return p.s.wd.do(ctx, http.MethodPost, "element/"+id+"/value", map[string]any{"text": text}, nil)
	})
}

func (p *wkPage) NewTab(ctx context.Context) (Page, error) {
	var w struct {
		Handle string `json:"handle"`
	}
	if err := p.do(ctx, http.MethodPost, "window/new", map[string]any{"type": "window"}, &w); err != nil {
		return nil, err
	}
	np := p.s.adopt(w.Handle)
	return np, np.resize(ctx, p.s.b.width, p.s.b.height)
}

func (p *wkPage) handles(ctx context.Context) ([]string, error) {
	var hs []string
	err := p.s.on(ctx, p.handle, func() error { return p.s.wd.do(ctx, http.MethodGet, "window/handles", nil, &hs) })
	return hs, err
}

// Popup: the popup is the window that appears in the session and is none of
// its pages. WebDriver has no event for it, so the page's window.open is
// wrapped to count the windows it gave: a window that opened and closed
// between two looks at the session's windows (a popup sign-in that needs no
// form) is a Page whose Closed is true.
func (p *wkPage) Popup(ctx context.Context, open func() error) (Page, error) {
	const count = `if (!window.__engineOpened) {
  const open = window.open;
  window.__engineOpened = { n: 0 };
  window.open = function () { const w = open.apply(this, arguments); if (w) window.__engineOpened.n++; return w; };
}
return window.__engineOpened.n;`
	opened := func() (n int) {
		p.do(ctx, http.MethodPost, "execute/sync", map[string]any{"script": count, "args": []any{}}, &n)
		return n
	}
	before := opened()
	if err := open(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(10 * time.Second)
	var gone time.Time // when the page said it opened a window that is not there
	for time.Now().Before(deadline) {
		var hs []string
		if err := p.s.wd.do(ctx, http.MethodGet, "window/handles", nil, &hs); err != nil {
			return nil, err
		}
		p.s.mu.Lock()
		for _, h := range hs {
			if !slices.Contains(p.s.known, h) {
				p.s.known = append(p.s.known, h)
				p.s.mu.Unlock()
				return &wkPage{s: p.s, handle: h}, nil
			}
		}
		p.s.mu.Unlock()
		if gone.IsZero() && opened() > before {
			gone = time.Now()
		}
		if !gone.IsZero() && time.Since(gone) > time.Second {
			np := &wkPage{s: p.s, handle: "closed-popup"}
			np.closed.Store(true)
			return np, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil, errors.New("engine webkit: the page opened no window")
}

func (p *wkPage) Screenshot(ctx context.Context) ([]byte, error) {
	// WebKit snapshots what it last painted: let it paint the current DOM
	// first (two animation frames).
	p.Eval(ctx, `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(""))))`)
	var data string
	if err := p.do(ctx, http.MethodGet, "screenshot", nil, &data); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(data)
}

// resize sets the window so that its viewport is width × height: MiniBrowser
// draws a toolbar around the page, so the window is made larger by the
// difference it measures.
func (p *wkPage) resize(ctx context.Context, width, height int) error {
	w, h := width, height
	for range 2 {
		if err := p.do(ctx, http.MethodPost, "window/rect", map[string]any{"width": w, "height": h}, nil); err != nil {
			return fmt.Errorf("engine webkit: sizing the window: %w", err)
		}
		got, err := p.Eval(ctx, `innerWidth + "x" + innerHeight`)
		if err != nil {
			return err
		}
		var iw, ih int
		fmt.Sscanf(got, "%dx%d", &iw, &ih)
		if iw == width && ih == height {
			return nil
		}
		w, h = w+width-iw, h+height-ih
	}
	return nil
}

func (p *wkPage) SetViewport(ctx context.Context, width, height int, mobile bool) error {
	if mobile {
		return Unsupported(WebKit, CapMobile)
	}
	return p.resize(ctx, width, height)
}

// Cookies: WebDriver's Get All Cookies lists the cookies of the current
// document's address, so another window of the session visits url first.
func (p *wkPage) Cookies(ctx context.Context, url string) ([]Cookie, error) {
	np, err := p.NewTab(ctx)
	if err != nil {
		return nil, err
	}
	defer np.Close()
	if err := np.Navigate(ctx, url); err != nil {
		return nil, err
	}
	var cs []struct {
		Name, Value, Domain, Path, SameSite string
	}
	if err := np.(*wkPage).do(ctx, http.MethodGet, "cookie", nil, &cs); err != nil {
		return nil, err
	}
	var out []Cookie
	for _, c := range cs {
		out = append(out, Cookie{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path, SameSite: strings.ToLower(c.SameSite)})
	}
	return out, nil
}

func (p *wkPage) History(context.Context) ([]string, error) {
	return nil, Unsupported(WebKit, CapHistory)
}

func (p *wkPage) Console() ([]Message, error) { return nil, Unsupported(WebKit, CapConsole) }
func (p *wkPage) Visited() ([]string, error)  { return nil, Unsupported(WebKit, CapNavigations) }

func (p *wkPage) Closed() bool {
	if p.closed.Load() {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p.s.mu.Lock()
	ended := p.s.ended
	p.s.mu.Unlock()
	if ended {
		return true
	}
	var hs []string
	if err := p.s.wd.do(ctx, http.MethodGet, "window/handles", nil, &hs); err != nil {
		return false
	}
	if !slices.Contains(hs, p.handle) {
		p.closed.Store(true)
		return true
	}
	return false
}

func (p *wkPage) Close() error {
	if p.owner {
		p.s.end()
		return nil
	}
	if p.Closed() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := p.do(ctx, http.MethodDelete, "window", nil, nil)
	p.closed.Store(true)
	p.s.mu.Lock()
	if p.s.current == p.handle {
		p.s.current = ""
	}
	p.s.mu.Unlock()
	return err
}
