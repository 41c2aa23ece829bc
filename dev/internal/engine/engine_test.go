package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// engines are the engines to test: $OIDCWASM_ENGINE alone when set, else
// every engine whose binary is installed (in CI, all of them, or a failure).
func engines(t *testing.T) []Name {
	if os.Getenv("OIDCWASM_ENGINE") != "" {
		n, err := FromEnv()
		if err != nil {
			t.Fatal(err)
		}
		return []Name{n}
	}
	var out []Name
	for _, n := range Names {
		if _, err := os.Stat(Binary(n, Options{})); err != nil {
			if os.Getenv("CI") != "" {
				t.Errorf("%s: %v", n, notFound(n, Binary(n, Options{})))
			}
			continue
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		t.Skip("no browser installed: make browsers")
	}
	return out
}

// site serves the pages of the tests on localhost.
func site(t *testing.T) string {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>engine test</title><input id="name"><button id="go" onclick="window.clicked = (window.clicked || 0) + 1">go</button>
<iframe src="/frame"></iframe><script>console.log("page says hello")</script>`)
	})
	mux.HandleFunc("/frame", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><script>console.warn("frame says hello")</script>`)
	})
	mux.HandleFunc("/cookie", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "jar", Value: "full", Path: "/", SameSite: http.SameSiteLaxMode})
		fmt.Fprint(w, "ok")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
}

// TestEveryEngineDoesWhatTheHarnessNeeds drives each engine through every
// call of Page against a real page.
func TestEveryEngineDoesWhatTheHarnessNeeds(t *testing.T) {
	origin := site(t)
	for _, n := range engines(t) {
		t.Run(string(n), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			b, err := Launch(ctx, n, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			t.Logf("%s", b.Version())
			p, err := b.NewContext(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if err := p.Navigate(ctx, origin+"/"); err != nil {
				t.Fatal(err)
			}
			if got, err := p.Eval(ctx, `new Promise((r) => setTimeout(() => r(document.title + " " + location.host), 10))`); err != nil || got != "engine test "+strings.TrimPrefix(origin, "http://") {
				t.Errorf("Eval awaiting a Promise: %q, %v", got, err)
			}
			var ee *EvalError
			if _, err := p.Eval(ctx, `Promise.reject(new Error("nope"))`); !errors.As(err, &ee) || !strings.Contains(ee.Text, "nope") {
				t.Errorf("Eval of a rejection: %v, want an EvalError with its message", err)
			}
			if _, err := p.Eval(ctx, `(() => { throw new TypeError("thrown") })()`); !errors.As(err, &ee) || !strings.Contains(ee.Text, "thrown") {
				t.Errorf("Eval of a throw: %v, want an EvalError with its message", err)
			}

			// No window without a user activation; one with it.
			if got, _ := p.Eval(ctx, `String(window.open("/frame", "", "popup,width=300,height=300") === null)`); got != "true" {
				t.Errorf("window.open outside a gesture gave a window (%s)", got)
			}
			pop, err := p.Popup(ctx, func() error {
				return p.Gesture(ctx, `window.pop = window.open("/frame?popup", "", "popup,width=300,height=300")`)
			})
			if err != nil {
				t.Fatal(err)
			}
			if got, err := pop.Eval(ctx, `new Promise((r) => { const f = () => location.search ? r(location.search) : setTimeout(f, 20); f(); })`); got != "?popup" {
				t.Errorf("the popup is at %q (%v)", got, err)
			}
			if pop.Closed() {
				t.Error("the popup says it is closed")
			}
			if _, err := p.Eval(ctx, `(window.pop.close(), "")`); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for !pop.Closed() && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if !pop.Closed() {
				t.Error("the popup does not say it closed")
			}

			if err := p.Type(ctx, "#name", "alice"); err != nil {
				t.Fatal(err)
			}
			if err := p.Click(ctx, "#go"); err != nil {
				t.Fatal(err)
			}
			if got, _ := p.Eval(ctx, `document.querySelector("#name").value + " " + window.clicked`); got != "alice 1" {
				t.Errorf("after Type and Click: %q, want %q", got, "alice 1")
			}

			// A sibling tab shares localStorage but not sessionStorage; a new
			// context shares neither.
			p.Eval(ctx, `(localStorage.setItem("k", "shared"), sessionStorage.setItem("k", "mine"), "")`)
			sib, err := p.NewTab(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := sib.Navigate(ctx, origin+"/"); err != nil {
				t.Fatal(err)
			}
			if got, _ := sib.Eval(ctx, `localStorage.getItem("k") + " " + sessionStorage.getItem("k")`); got != "shared null" {
				t.Errorf("a sibling tab sees %q, want %q", got, "shared null")
			}
			sib.Close()
			other, err := b.NewContext(ctx)
			if err != nil {
				t.Fatal(err)
			}
			other.Navigate(ctx, origin+"/")
			if got, _ := other.Eval(ctx, `String(localStorage.getItem("k"))`); got != "null" {
				t.Errorf("another context sees localStorage %q", got)
			}
			other.Close()

			if err := p.Navigate(ctx, origin+"/cookie"); err != nil {
				t.Fatal(err)
			}
			if err := p.Navigate(ctx, origin+"/"); err != nil {
				t.Fatal(err)
			}
			jar, err := p.Cookies(ctx, origin+"/")
			if err != nil || len(jar) != 1 || jar[0].Name != "jar" || jar[0].SameSite != "lax" {
				t.Errorf("Cookies: %+v, %v; want the Lax cookie jar", jar, err)
			}
			// Another site's first-party cookie, read while the page is on this one.
			otherSite := strings.Replace(origin, "localhost", "127.0.0.1", 1)
			if err := p.Navigate(ctx, otherSite+"/cookie"); err != nil {
				t.Fatal(err)
			}
			if err := p.Navigate(ctx, origin+"/"); err != nil {
				t.Fatal(err)
			}
			if jar, err := p.Cookies(ctx, otherSite+"/"); err != nil || len(jar) != 1 || jar[0].Name != "jar" {
				t.Errorf("Cookies of another site from this one: %+v, %v; want its cookie jar", jar, err)
			}
			if err := p.SetViewport(ctx, 600, 500, false); err != nil {
				t.Fatal(err)
			}
			if got, _ := p.Eval(ctx, `innerWidth + "x" + innerHeight`); got != "600x500" {
				t.Errorf("viewport %s after SetViewport(600, 500)", got)
			}
			if png, err := p.Screenshot(ctx); err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
				t.Errorf("Screenshot: %d bytes, %v", len(png), err)
			}
			if err := p.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			if b.Supports(CapForcedReload) {
				p.Eval(ctx, `(window.beforeForcedReload = 1, "")`)
				if err := p.ForceReload(ctx); err != nil {
					t.Fatal(err)
				}
				if got, _ := p.Eval(ctx, `String(window.beforeForcedReload) + " " + document.readyState`); got != "undefined complete" {
					t.Errorf("after ForceReload: %q, want a new document that has loaded", got)
				}
			} else if err := p.ForceReload(ctx); !errors.Is(err, ErrUnsupported) {
				t.Errorf("ForceReload without the capability: %v, want ErrUnsupported", err)
			}
			if !b.Supports(CapStopWorkers) {
				if err := p.StopWorkers(ctx); !errors.Is(err, ErrUnsupported) {
					t.Errorf("StopWorkers without the capability: %v, want ErrUnsupported", err)
				}
			}

			if b.Supports(CapConsole) {
				msgs, _ := p.Console()
				var all []string
				for _, m := range msgs {
					all = append(all, m.Type+": "+m.Text)
				}
				joined := strings.Join(all, "\n")
				if !strings.Contains(joined, "page says hello") || !strings.Contains(joined, "frame says hello") {
					t.Errorf("the console lacks the page's and the frame's messages:\n%s", joined)
				}
			} else if _, err := p.Console(); !errors.Is(err, ErrUnsupported) {
				t.Errorf("Console without the capability: %v, want ErrUnsupported", err)
			}
			if b.Supports(CapNavigations) {
				v, _ := p.Visited()
				if !containsPrefix(v, origin+"/frame") || !containsPrefix(v, origin+"/cookie") {
					t.Errorf("Visited %q lacks the frame and the cookie page", v)
				}
			}
		})
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func TestFromEnv(t *testing.T) {
	for v, want := range map[string]Name{"": Chromium, "firefox": Firefox, "WebKit": WebKit, "chromium": Chromium} {
		t.Setenv("OIDCWASM_ENGINE", v)
		if got, err := FromEnv(); err != nil || got != want {
			t.Errorf("OIDCWASM_ENGINE=%q: %q, %v; want %q", v, got, err, want)
		}
	}
	t.Setenv("OIDCWASM_ENGINE", "safari")
	if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "chromium, firefox or webkit") {
		t.Errorf("OIDCWASM_ENGINE=safari: %v, want an error naming the engines", err)
	}
}
