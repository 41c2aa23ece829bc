package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// The renewal tests (renewal_*_test.go) each start their own development
// provider (env.StartProvider) with an access-token lifetime of a few
// seconds, so the counts and the log they read are theirs alone and they
// run in parallel.

// renewWait bounds a wait for something a renewal does: a few token
// lifetimes, far below the tab's own limit.
const renewWait = 20 * time.Second

// refreshScope asks for a refresh token (offline_access).
const refreshScope = "openid profile email offline_access"

// signedIn opens the test page in tab, signs in to cfg with the provider's
// auto-login, and starts recording the bridge's events with their time and
// the page's message events (pageRecorder).
func signedIn(t *testing.T, tab *e2etest.Tab, cfg map[string]any) *e2etest.Tab {
	t.Helper()
	id := cfg["configId"].(string)
	tab.OpenTestPage()
	tab.Configure(cfg)
	if _, res := tab.SignInWith(id, "alice", "alice", cfg); !res[id].IsAuthenticated {
		t.Fatalf("sign-in to %s: %+v", id, res[id])
	}
	e2etest.Eval[any](tab, pageRecorder)
	return tab
}

// pageRecorder keeps, in window.rec, the bridge's events with Date.now()
// (record.js keeps their order only) and the message events the page
// received, with their origin and time.
const pageRecorder = `(() => {
  window.rec = { events: [], messages: [] };
  for (const type of ["silentRenewStarted", "tokenRefreshed", "silentRenewFailed", "tokenExpired", "loggedOut", "authenticated"]) {
    oidc.addEventListener(type, (e) => rec.events.push({ type, detail: JSON.parse(JSON.stringify(e.detail || {})), at: Date.now() }));
  }
  addEventListener("message", (e) => rec.messages.push({ origin: e.origin, data: typeof e.data === "string" ? e.data : null, at: Date.now() }));
})()`

// stampedEvent is an event of window.rec.events.
type stampedEvent struct {
	Type   string         `json:"type"`
	Detail map[string]any `json:"detail"`
	At     int64          `json:"at"` // ms since the epoch, the page's clock
}

// events returns the recorded events of the given types (all when none).
func events(tab *e2etest.Tab, types ...string) []stampedEvent {
	tab.T.Helper()
	var out []stampedEvent
	for _, e := range e2etest.Eval[[]stampedEvent](tab, `rec.events`) {
		if len(types) == 0 || slices.Contains(types, e.Type) {
			out = append(out, e)
		}
	}
	return out
}

// waitUntil polls expr in the page every 50ms until it is truthy, and fails
// the test after limit with the events the page recorded.
func waitUntil(t testing.TB, tab *e2etest.Tab, what, expr string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		raw, jsErr := tab.Try("!!(" + expr + ")")
		if jsErr == nil && string(raw) == "true" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s (%s), in vain (last error: %v); events: %s",
				limit, what, expr, jsErr, describe(e2etest.Eval[[]stampedEvent](tab, `window.rec ? rec.events : []`)))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// eventSeen is a page expression: an event of this type was recorded.
func eventSeen(typ string) string {
	return `rec.events.some((e) => e.type === ` + e2etest.MustJSON(typ) + `)`
}

// describe lists events for failure messages.
func describe(evs []stampedEvent) string {
	var b strings.Builder
	for i, e := range evs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e.Type)
		for _, k := range []string{"method", "code"} {
			if v, ok := e.Detail[k]; ok {
				fmt.Fprintf(&b, "/%v", v)
			}
		}
	}
	return "[" + b.String() + "]"
}

// accessToken is oidc.getAccessToken(configID).
func accessToken(tab *e2etest.Tab, configID string) string {
	tab.T.Helper()
	return e2etest.Eval[string](tab, `oidc.getAccessToken(`+e2etest.MustJSON(configID)+`)`)
}

// isAuthenticated is oidc.isAuthenticated(configID).
func isAuthenticated(tab *e2etest.Tab, configID string) bool {
	tab.T.Helper()
	return e2etest.Eval[bool](tab, `oidc.isAuthenticated(`+e2etest.MustJSON(configID)+`)`)
}

// storedSession is the session of configID as the bridge keeps it in the
// page's Web Storage ("sessionStorage" or "localStorage") under the
// "oidcwasm:" prefix: the only place a test can see the refresh token,
// which the bridge never hands to JS. Nil when there is none.
type storedSession struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	ExpiresAt    time.Time `json:"expires_at"`
}

func stored(tab *e2etest.Tab, storage, configID string) *storedSession {
	tab.T.Helper()
	raw := e2etest.Eval[*string](tab, storage+`.getItem(`+e2etest.MustJSON("oidcwasm:oidcwasm."+configID+".session")+`)`)
	if raw == nil {
		return nil
	}
	var envelope struct {
		Session *storedSession `json:"session"`
	}
	if err := json.Unmarshal([]byte(*raw), &envelope); err != nil {
		tab.T.Fatalf("stored session of %s: %v", configID, err)
	}
	return envelope.Session
}

// delta is how many more requests of key the provider counted since before.
func delta(p *e2etest.Provider, before map[string]int, key string) int {
	return p.Counts()[key] - before[key]
}

// tokenExchanges are the token requests in log, as "grant_type status error".
func tokenExchanges(log []e2etest.Exchange) []string {
	var out []string
	for _, x := range log {
		if x.Path == "/oauth/token" {
			out = append(out, strings.TrimSpace(x.GrantType+" "+strconv.Itoa(x.Status)+" "+x.Error))
		}
	}
	return out
}

// refreshTimes are the arrival times of the refresh-token requests in log.
func refreshTimes(log []e2etest.Exchange) []time.Time {
	var out []time.Time
	for _, x := range log {
		if x.Path == "/oauth/token" && x.GrantType == "refresh_token" {
			out = append(out, x.At)
		}
	}
	return out
}

// renewedExpiries are the distinct expiresAt of the tokenRefreshed events of
// tabs, in order: one per token request the tabs made, since each answer
// fires tokenRefreshed in the tab that asked. It waits (up to 5s) until
// there are at least want of them, for answers still on their way.
func renewedExpiries(t *testing.T, want int, tabs ...*e2etest.Tab) []time.Time {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		seen := map[int64]bool{}
		for _, tab := range tabs {
			for _, e := range events(tab, "tokenRefreshed") {
				if ms, ok := e.Detail["expiresAt"].(float64); ok {
					seen[int64(ms)] = true
				}
			}
		}
		if len(seen) >= want || time.Now().After(deadline) {
			if len(seen) < want {
				t.Errorf("%d refresh-token requests, but the tabs told of %d renewed tokens", want, len(seen))
			}
			out := make([]time.Time, 0, len(seen))
			for ms := range seen {
				out = append(out, time.UnixMilli(ms))
			}
			slices.SortFunc(out, time.Time.Compare)
			return out
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// isPrefix reports whether a is a prefix of b.
func isPrefix(a, b []string) bool {
	return len(a) <= len(b) && slices.Equal(a, b[:len(a)])
}

// since returns the log entries after the first n.
func since(p *e2etest.Provider, n int) []e2etest.Exchange { return p.Log()[n:] }

// silentAuthorizations are the prompt=none authorization requests in log.
func silentAuthorizations(log []e2etest.Exchange) []e2etest.Exchange {
	var out []e2etest.Exchange
	for _, x := range log {
		if x.Path == "/authorize" && x.Prompt == "none" {
			out = append(out, x)
		}
	}
	return out
}

// authorizationResponses are the redirects in log that carry an
// authorization response (a code or an error) back to the app.
func authorizationResponses(log []e2etest.Exchange) []e2etest.Exchange {
	var out []e2etest.Exchange
	for _, x := range log {
		if x.Code || (x.Error != "" && x.Path != "/oauth/token") {
			out = append(out, x)
		}
	}
	return out
}

// postToken sends a token request from Go, as an attacker holding a stolen
// value would, and returns the status and the OAuth error code.
func postToken(t *testing.T, issuer string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	err = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if err != nil || disc.TokenEndpoint == "" {
		t.Fatalf("discovery of %s: %v", issuer, err)
	}
	resp, err = http.PostForm(disc.TokenEndpoint, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Error
}

// startTokenLoop makes the page call getAccessToken(configID) and
// isAuthenticated every 100ms, as an app that keeps calling its API does,
// and keep in window.loop the distinct tokens it got, in order, the
// rejections, and how often isAuthenticated was false. stopTokenLoop ends
// it and returns that.
func startTokenLoop(tab *e2etest.Tab, configID string) {
	tab.T.Helper()
	id := e2etest.MustJSON(configID)
	e2etest.Eval[any](tab, `(() => {
  window.loop = { seen: [], errors: [], signedOut: 0, stop: false, done: false };
  (async () => {
    while (!loop.stop) {
      try {
        const tok = await oidc.getAccessToken(`+id+`);
        if (loop.seen[loop.seen.length - 1] !== tok) loop.seen.push(tok);
      } catch (e) { loop.errors.push(e2e.error(e)); }
      if (!(await oidc.isAuthenticated(`+id+`))) loop.signedOut++;
      await new Promise((r) => setTimeout(r, 100));
    }
    loop.done = true;
  })();
})()`)
}

// loopResult is what a token loop saw.
type loopResult struct {
	Seen      []string           `json:"seen"`
	Errors    []*e2etest.JSError `json:"errors"`
	SignedOut int                `json:"signedOut"`
}

func stopTokenLoop(t testing.TB, tab *e2etest.Tab) loopResult {
	t.Helper()
	e2etest.Eval[any](tab, `loop.stop = true`)
	waitUntil(t, tab, "the token loop to end", `loop.done`, 5*time.Second)
	return e2etest.Eval[loopResult](tab, `loop`)
}

// firstOf is the first error of a loop, nil when there is none.
func firstOf(errs []*e2etest.JSError) *e2etest.JSError {
	if len(errs) == 0 {
		return nil
	}
	return errs[0]
}

// logOnFailure logs, when the test has failed, each tab's events with their
// time and every request the provider answered: who asked what, when.
func logOnFailure(t *testing.T, p *e2etest.Provider, tabs ...*e2etest.Tab) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for i, tab := range tabs {
			raw, jsErr := tab.Try(`window.rec ? rec.events : []`)
			var evs []stampedEvent
			if jsErr != nil || json.Unmarshal(raw, &evs) != nil {
				continue
			}
			for _, e := range evs {
				t.Logf("tab %d at %s: %s %v", i+1, time.UnixMilli(e.At).Format("15:04:05.000"), e.Type, e.Detail)
			}
		}
		for _, x := range p.Log() {
			t.Logf("provider at %s: %s grant_type=%q prompt=%q cookie=%v -> %d %s code=%v",
				x.At.Format("15:04:05.000"), x.Path, x.GrantType, x.Prompt, x.SessionCookie, x.Status, x.Error, x.Code)
		}
	})
}
