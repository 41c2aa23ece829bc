package engine

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// firefoxPrefs go into the fresh profile's user.js: nothing in the
// background that reaches for the network or takes CPU from a test, no
// first-run pages. The Remote Agent adds its own recommended preferences
// (remote.prefs.recommended). Cookie and popup policies stay Firefox's
// defaults (Total Cookie Protection, popups only from a user activation):
// they are what the tests are about.
var firefoxPrefs = map[string]any{
	// The Remote Agent's recommended preferences turn the popup blocker off;
	// a preference set here wins over them.
	"dom.disable_open_during_load":                               true,
	"app.update.disabledForTesting":                              true,
	"browser.shell.checkDefaultBrowser":                          false,
	"browser.startup.homepage_override.mstone":                   "ignore",
	"browser.startup.page":                                       0,
	"browser.aboutwelcome.enabled":                               false,
	"browser.newtabpage.enabled":                                 false,
	"browser.tabs.warnOnClose":                                   false,
	"browser.sessionstore.resume_from_crash":                     false,
	"browser.safebrowsing.malware.enabled":                       false,
	"browser.safebrowsing.phishing.enabled":                      false,
	"browser.safebrowsing.downloads.enabled":                     false,
	"browser.safebrowsing.blockedURIs.enabled":                   false,
	"browser.region.network.url":                                 "",
	"datareporting.policy.dataSubmissionEnabled":                 false,
	"datareporting.healthreport.uploadEnabled":                   false,
	"toolkit.telemetry.reportingpolicy.firstRun":                 false,
	"toolkit.startup.max_resumed_crashes":                        -1,
	"extensions.update.enabled":                                  false,
	"extensions.getAddons.cache.enabled":                         false,
	"media.gmp-manager.url":                                      "",
	"network.captive-portal-service.enabled":                     false,
	"network.connectivity-service.enabled":                       false,
	"network.http.speculative-parallel-limit":                    0,
	"services.settings.server":                                   "http://127.0.0.1:9/",
	"app.normandy.enabled":                                       false,
	"messaging-system.rsexperimentloader.enabled":                false,
	"nimbus.rsexperimentloader.enabled":                          false,
	"browser.ping-centre.telemetry":                              false,
	"dom.ipc.reportProcessHangs":                                 false,
	"browser.newtabpage.activity-stream.feeds.system.topstories": false,
}

var bidiURL = regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)

// firefoxBrowser is firefox-esr driven over WebDriver BiDi: one browser, one
// user context (container) per NewContext.
type firefoxBrowser struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	profile string
	conn    *bidiConn
	version string
	out     *tail

	mu       sync.Mutex
	pages    map[string]*bidiPage // top-level contexts we drive
	parents  map[string]string    // child context -> parent
	waiters  []*popupWaiter
	navEvent string
}

type popupWaiter struct {
	opener string
	ch     chan string
}

func launchFirefox(ctx context.Context, opts Options) (Browser, error) {
	bin := Binary(Firefox, opts)
	if _, err := os.Stat(bin); err != nil {
		return nil, notFound(Firefox, bin)
	}
	profile, err := os.MkdirTemp("", "oidcwasm-firefox-")
	if err != nil {
		return nil, err
	}
	var prefs strings.Builder
	for k, v := range firefoxPrefs {
		b, _ := json.Marshal(v)
		fmt.Fprintf(&prefs, "user_pref(%q, %s);\n", k, b)
	}
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(prefs.String()), 0o644); err != nil {
		os.RemoveAll(profile)
		return nil, err
	}
	b := &firefoxBrowser{profile: profile, out: &tail{max: 16 << 10}, exited: make(chan struct{}),
		pages: map[string]*bidiPage{}, parents: map[string]string{}}
	var log io.Writer = b.out
	if opts.Log != nil {
		log = io.MultiWriter(b.out, opts.Log)
	}
	cmd := exec.Command(bin, "--headless", "--no-remote", "--new-instance", "--remote-debugging-port=0",
		"--profile", profile, "--width", fmt.Sprint(opts.Width), "--height", fmt.Sprint(opts.Height), "about:blank")
	cmd.Env = append(os.Environ(), "MOZ_CRASHREPORTER_DISABLE=1", "MOZ_HEADLESS=1")
	cmd.Stdout = log
	stderr, err := cmd.StderrPipe()
	if err != nil {
		os.RemoveAll(profile)
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(profile)
		return nil, fmt.Errorf("engine firefox: starting %s (%s): %w", bin, Install(Firefox), err)
	}
	b.cmd = cmd
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(log, line)
			if m := bidiURL.FindStringSubmatch(line); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		io.Copy(log, stderr)
	}()
	go func() { cmd.Wait(); close(b.exited) }()

	var url string
	start, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	select {
	case url = <-found:
	case <-b.exited:
		b.Close()
		return nil, fmt.Errorf("engine firefox: %s exited before WebDriver BiDi listened%s", bin, b.out)
	case <-start.Done():
		b.Close()
		return nil, fmt.Errorf("engine firefox: WebDriver BiDi did not listen within a minute%s", b.out)
	}
	b.conn, err = dialBiDi(start, url+"/session", b.event)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("engine firefox: connecting to %s: %w", url, err)
	}
	var sess struct {
		Capabilities struct {
			BrowserName    string `json:"browserName"`
			BrowserVersion string `json:"browserVersion"`
		} `json:"capabilities"`
	}
	if err := b.conn.call(start, "session.new", map[string]any{"capabilities": map[string]any{
		"alwaysMatch": map[string]any{"acceptInsecureCerts": true, "unhandledPromptBehavior": map[string]any{"default": "dismiss"}},
	}}, &sess); err != nil {
		b.Close()
		return nil, fmt.Errorf("engine firefox: session.new: %w", err)
	}
	b.version = "Firefox " + sess.Capabilities.BrowserVersion
	b.navEvent = "browsingContext.navigationCommitted"
	events := []string{"log.entryAdded", "browsingContext.contextCreated", "browsingContext.contextDestroyed",
		"browsingContext.fragmentNavigated", b.navEvent}
	if err := b.conn.call(start, "session.subscribe", map[string]any{"events": events}, nil); err != nil {
		// An older Firefox without navigationCommitted: the start of each
		// navigation, and each load.
		b.navEvent = "browsingContext.navigationStarted"
		events[len(events)-1] = b.navEvent
		events = append(events, "browsingContext.load")
		if err := b.conn.call(start, "session.subscribe", map[string]any{"events": events}, nil); err != nil {
			b.Close()
			return nil, fmt.Errorf("engine firefox: session.subscribe: %w", err)
		}
	}
	return b, nil
}

func (b *firefoxBrowser) Name() Name      { return Firefox }
func (b *firefoxBrowser) Version() string { return b.version }
func (b *firefoxBrowser) Supports(c Capability) bool {
	return c == CapConsole || c == CapNavigations || c == CapSharedFrameStorage || c == CapStopWorkers
}

// event routes one BiDi event to the page whose window it concerns. It runs
// on the connection's reading goroutine and never blocks.
func (b *firefoxBrowser) event(method string, params json.RawMessage) {
	var ev struct {
		Context        string `json:"context"`
		Parent         string `json:"parent"`
		OriginalOpener string `json:"originalOpener"`
		URL            string `json:"url"`
		Type           string `json:"type"`
		Level          string `json:"level"`
		Method         string `json:"method"`
		Text           string `json:"text"`
		Source         struct {
			Context string `json:"context"`
		} `json:"source"`
		StackTrace struct {
			CallFrames []struct {
				URL string `json:"url"`
			} `json:"callFrames"`
		} `json:"stackTrace"`
	}
	if json.Unmarshal(params, &ev) != nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch method {
	case "browsingContext.contextCreated":
		if ev.Parent != "" {
			b.parents[ev.Context] = ev.Parent
			return
		}
		for i, w := range b.waiters {
			if w.opener != "" && w.opener == ev.OriginalOpener {
				w.ch <- ev.Context
				b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
				return
			}
		}
	case "browsingContext.contextDestroyed":
		if p := b.pages[ev.Context]; p != nil {
			p.closed.Store(true)
			delete(b.pages, ev.Context)
		}
		delete(b.parents, ev.Context)
	case "log.entryAdded":
		p := b.top(ev.Source.Context)
		if p == nil {
			return
		}
		typ := ev.Method
		if ev.Type == "javascript" {
			typ = "exception"
		}
		if typ == "" {
			typ = ev.Level
		}
		url := ""
		if fs := ev.StackTrace.CallFrames; len(fs) > 0 {
			url = fs[0].URL
		}
		p.rec.add(Message{Type: typ, Text: ev.Text, URL: url})
	case b.navEvent, "browsingContext.load", "browsingContext.fragmentNavigated":
		if p := b.top(ev.Context); p != nil && ev.URL != "" {
			p.rec.visit(ev.URL)
		}
	}
}

// top is the page of context c or of the window c is a frame of; b.mu held.
func (b *firefoxBrowser) top(c string) *bidiPage {
	for i := 0; i < 64 && c != ""; i++ {
		if p := b.pages[c]; p != nil {
			return p
		}
		c = b.parents[c]
	}
	return nil
}

func (b *firefoxBrowser) NewContext(ctx context.Context) (Page, error) {
	var uc struct {
		UserContext string `json:"userContext"`
	}
	if err := b.conn.call(ctx, "browser.createUserContext", nil, &uc); err != nil {
		return nil, fmt.Errorf("engine firefox: browser.createUserContext: %w", err)
	}
	p, err := b.openWindow(ctx, uc.UserContext)
	if err != nil {
		b.conn.call(context.Background(), "browser.removeUserContext", map[string]any{"userContext": uc.UserContext}, nil)
		return nil, err
	}
	p.ownsUserContext = true
	return p, nil
}

// openWindow opens a window (not a tab: a background tab's timers are
// throttled) in the user context.
func (b *firefoxBrowser) openWindow(ctx context.Context, userContext string) (*bidiPage, error) {
	var created struct {
		Context string `json:"context"`
	}
	if err := b.conn.call(ctx, "browsingContext.create", map[string]any{"type": "window", "userContext": userContext}, &created); err != nil {
		return nil, fmt.Errorf("engine firefox: browsingContext.create: %w", err)
	}
	return b.adopt(created.Context, userContext), nil
}

func (b *firefoxBrowser) adopt(context, userContext string) *bidiPage {
	p := &bidiPage{b: b, context: context, userContext: userContext, rec: &recorder{}}
	b.mu.Lock()
	b.pages[context] = p
	b.mu.Unlock()
	return p
}

func (b *firefoxBrowser) Close() error {
	if b.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		b.conn.call(ctx, "browser.close", nil, nil)
		cancel()
		b.conn.close()
	}
	if b.cmd != nil {
		select {
		case <-b.exited:
		case <-time.After(10 * time.Second):
			b.cmd.Process.Kill()
			<-b.exited
		}
	}
	return os.RemoveAll(b.profile)
}

// bidiPage is one top-level browsing context of Firefox.
type bidiPage struct {
	b               *firefoxBrowser
	context         string
	userContext     string
	ownsUserContext bool
	rec             *recorder
	closed          atomicBool
}

func (p *bidiPage) target() map[string]any { return map[string]any{"context": p.context} }

func (p *bidiPage) Navigate(ctx context.Context, url string) error {
	err := p.b.conn.call(ctx, "browsingContext.navigate", map[string]any{"context": p.context, "url": url, "wait": "complete"}, nil)
	var be *bidiError
	if errors.As(err, &be) && be.Code == "unknown error" {
		// Firefox fails the navigation when a frame of the page was refused
		// (CSP frame-ancestors: "Address rejected"), though the page itself
		// loaded; only a page that did not is an error.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
			st, e := p.Eval(ctx, `document.readyState + " " + document.documentURI`)
			if e == nil && strings.HasPrefix(st, "complete ") {
				if strings.HasPrefix(st, "complete about:") {
					break // an error page
				}
				return nil
			}
		}
	}
	return err
}

func (p *bidiPage) Reload(ctx context.Context) error {
	return p.b.conn.call(ctx, "browsingContext.reload", map[string]any{"context": p.context, "wait": "complete"}, nil)
}

// ForceReload: Firefox 153's BiDi refuses browsingContext.reload's
// ignoreCache ("not supported yet").
func (p *bidiPage) ForceReload(ctx context.Context) error {
	return Unsupported(Firefox, CapForcedReload)
}

// FirefoxIdleWorkerStop is how long StopWorkers waits in Firefox: its own
// idle stop after dom.serviceWorkers.idle_timeout (30 s; measured between
// 25 and 35 s), with a margin.
const FirefoxIdleWorkerStop = 40 * time.Second

// StopWorkers: BiDi cannot stop a worker; Firefox stops an idle one itself.
func (p *bidiPage) StopWorkers(ctx context.Context) error {
	select {
	case <-time.After(FirefoxIdleWorkerStop):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *bidiPage) evaluate(ctx context.Context, expr string, await, gesture bool) (evaluateResult, error) {
	var r evaluateResult
	err := p.b.conn.call(ctx, "script.evaluate", map[string]any{
		"expression": expr, "target": p.target(), "awaitPromise": await,
		"resultOwnership": "none", "userActivation": gesture,
	}, &r)
	if err != nil {
		return r, err
	}
	if r.Type == "exception" {
		text := r.ExceptionDetails.Text
		return r, &EvalError{Text: text}
	}
	return r, nil
}

func (p *bidiPage) Eval(ctx context.Context, expr string) (string, error) {
	r, err := p.evaluate(ctx, expr, true, false)
	if err != nil {
		return "", err
	}
	var s string
	if r.Result.Type == "string" {
		err = json.Unmarshal(r.Result.Value, &s)
	}
	return s, err
}

func (p *bidiPage) Gesture(ctx context.Context, expr string) error {
	_, err := p.evaluate(ctx, "void ("+expr+")", false, true)
	return err
}

func (p *bidiPage) Click(ctx context.Context, selector string) error {
	_, err := p.evaluate(ctx, `(() => {
  const el = document.querySelector(`+jsString(selector)+`);
  if (!el) throw new Error("no element matches " + `+jsString(selector)+`);
  el.scrollIntoView({block: "center"});
  el.click();
})()`, false, true)
	return err
}

func (p *bidiPage) Type(ctx context.Context, selector, text string) error {
	_, err := p.evaluate(ctx, typeScript(selector, text), false, true)
	return err
}

func (p *bidiPage) NewTab(ctx context.Context) (Page, error) {
	return p.b.openWindow(ctx, p.userContext)
}

func (p *bidiPage) Popup(ctx context.Context, open func() error) (Page, error) {
	w := &popupWaiter{opener: p.context, ch: make(chan string, 1)}
	p.b.mu.Lock()
	p.b.waiters = append(p.b.waiters, w)
	p.b.mu.Unlock()
	defer func() {
		p.b.mu.Lock()
		for i, x := range p.b.waiters {
			if x == w {
				p.b.waiters = append(p.b.waiters[:i], p.b.waiters[i+1:]...)
			}
		}
		p.b.mu.Unlock()
	}()
	if err := open(); err != nil {
		return nil, err
	}
	select {
	case c := <-w.ch:
		return p.b.adopt(c, p.userContext), nil
	case <-time.After(10 * time.Second):
		return nil, errors.New("engine firefox: the page opened no window")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *bidiPage) Screenshot(ctx context.Context) ([]byte, error) {
	var r struct {
		Data string `json:"data"`
	}
	if err := p.b.conn.call(ctx, "browsingContext.captureScreenshot", map[string]any{"context": p.context, "origin": "document"}, &r); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(r.Data)
}

func (p *bidiPage) SetViewport(ctx context.Context, width, height int, mobile bool) error {
	if mobile {
		return Unsupported(Firefox, CapMobile)
	}
	return p.b.conn.call(ctx, "browsingContext.setViewport", map[string]any{
		"context": p.context, "viewport": map[string]any{"width": width, "height": height}}, nil)
}

func (p *bidiPage) Cookies(ctx context.Context, url string) ([]Cookie, error) {
	host, err := hostOf(url)
	if err != nil {
		return nil, err
	}
	var r struct {
		Cookies []struct {
			Name                   string      `json:"name"`
			Value                  remoteValue `json:"value"`
			Domain, Path, SameSite string
		} `json:"cookies"`
	}
	// The jar of url's own site in this user context: the cookies a top-level
	// visit there sends (a context's partition would be its page's site's).
	if err := p.b.conn.call(ctx, "storage.getCookies", map[string]any{
		"filter":    map[string]any{"domain": host},
		"partition": map[string]any{"type": "storageKey", "userContext": p.userContext, "sourceOrigin": originOf(url)},
	}, &r); err != nil {
		return nil, err
	}
	var out []Cookie
	for _, c := range r.Cookies {
		var v string
		json.Unmarshal(c.Value.Value, &v)
		out = append(out, Cookie{Name: c.Name, Value: v, Domain: c.Domain, Path: c.Path, SameSite: strings.ToLower(c.SameSite)})
	}
	return out, nil
}

func (p *bidiPage) History(context.Context) ([]string, error) {
	return nil, Unsupported(Firefox, CapHistory)
}

func (p *bidiPage) Console() ([]Message, error) { return p.rec.messages(), nil }
func (p *bidiPage) Visited() ([]string, error)  { return p.rec.visits(), nil }
func (p *bidiPage) Closed() bool                { return p.closed.Load() }

func (p *bidiPage) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	if !p.closed.Load() {
		err = p.b.conn.call(ctx, "browsingContext.close", map[string]any{"context": p.context}, nil)
	}
	if p.ownsUserContext {
		// Closes the context's other windows (tabs, popups) too.
		err = errors.Join(err, p.b.conn.call(ctx, "browser.removeUserContext", map[string]any{"userContext": p.userContext}, nil))
	}
	return err
}
