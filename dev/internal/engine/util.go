package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

type atomicBool = atomic.Bool

// recorder keeps what a page's events told: console messages and the URLs
// its frames navigated to.
type recorder struct {
	mu      sync.Mutex
	console []Message
	visited []string
}

func (r *recorder) add(m Message) {
	r.mu.Lock()
	r.console = append(r.console, m)
	r.mu.Unlock()
}

// visit records u, unless it is the URL recorded last (a navigation's
// commit and its load event).
func (r *recorder) visit(u string) {
	r.mu.Lock()
	if n := len(r.visited); n == 0 || r.visited[n-1] != u {
		r.visited = append(r.visited, u)
	}
	r.mu.Unlock()
}

func (r *recorder) messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.console...)
}

func (r *recorder) visits() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.visited...)
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// typeScript fills the input matching selector with text the way typing
// does as far as a page can tell: focus, value, input and change events.
func typeScript(selector, text string) string {
	return `(() => {
  const el = document.querySelector(` + jsString(selector) + `);
  if (!el) throw new Error("no element matches " + ` + jsString(selector) + `);
  el.focus();
  el.value += ` + jsString(text) + `;
  el.dispatchEvent(new Event("input", {bubbles: true}));
  el.dispatchEvent(new Event("change", {bubbles: true}));
})()`
}

func hostOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("engine: %q is not an absolute URL", raw)
	}
	return u.Hostname(), nil
}

// originOf is raw's scheme://host[:port].
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

// forceReload runs send, which starts a reload that waits for nothing, and
// waits until p has a new document that has loaded: a mark set on the old
// one is gone.
func forceReload(ctx context.Context, p Page, send func() error) error {
	if _, err := p.Eval(ctx, `(window.__engineOldDocument = true, "")`); err != nil {
		return err
	}
	if err := send(); err != nil {
		return err
	}
	for {
		s, err := p.Eval(ctx, `String(!window.__engineOldDocument && document.readyState === "complete")`)
		if err == nil && s == "true" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("forced reload: %w", ctx.Err())
		case <-time.After(25 * time.Millisecond):
		}
	}
}
