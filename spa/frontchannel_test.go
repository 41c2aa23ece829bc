package spa_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/internal/fakeop"
	"github.com/oidcwasm/oidcwasm/spa"
)

// The front-channel logout page's message (silentrefresh's
// frontchannel-logout.html): what it was loaded with, as it posts it.
type fcMessage struct {
	V        int     `json:"v"`
	Query    string  `json:"query"`
	Framed   bool    `json:"framed"`
	Ancestor *string `json:"ancestor"`
	Referrer string  `json:"referrer"`
	At       int64   `json:"at"`
}

func (m fcMessage) String() string {
	b, _ := json.Marshal(m)
	return string(b)
}

func strp(s string) *string { return &s }

// fcLoad is the page loaded by the provider in an iframe with iss and sid.
func fcLoad(iss, sid string, at time.Time) fcMessage {
	q := url.Values{"iss": {iss}, "sid": {sid}}
	return fcMessage{V: 1, Query: "?" + q.Encode(), Framed: true, Ancestor: strp(fakeop.Issuer), At: at.UnixMilli()}
}

const testSID = "sid-1"

func fcConfig(id string) spa.Config {
	c := cfg(id)
	c.FrontchannelLogoutURL = "https://app.example/frontchannel-logout.html"
	return c
}

// fcEnv is a Manager signed in to config "a" with front-channel logout, the
// provider's session testSID.
func fcEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, fcConfig("a"))
	e.op.SetSession(testSID, e.clk.Now().Add(-time.Minute))
	e.login("a")
	return e
}

func (e *env) loggedOut() []spa.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []spa.Event
	for _, ev := range e.events {
		if ev.Type == spa.EventLoggedOut {
			out = append(out, ev)
		}
	}
	return out
}

// TestFrontchannelLogoutEndsOnlyTheSessionItNames: OpenID Connect
// Front-Channel Logout 1.0 §2-§3 and docs/DESIGN.md "Sign-out from elsewhere": a
// load of the logout page ends the config's session when iss is the
// config's issuer and sid its session's sid, with loggedOut and reason
// "provider"; every other load changes nothing and says why.
func TestFrontchannelLogoutEndsOnlyTheSessionItNames(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ok := fcLoad(fakeop.Issuer, testSID, now)
	with := func(f func(*fcMessage)) fcMessage { m := ok; f(&m); return m }
	for _, tt := range []struct {
		name string
		msg  string
		ends bool
		says string // in the error when nothing ends
	}{
		{"iss and sid of the session", ok.String(), true, ""},
		{"framer unknown (no ancestorOrigins, no referrer)", with(func(m *fcMessage) { m.Ancestor = nil }).String(), true, ""},
		{"framer masked by the referrer policy", with(func(m *fcMessage) { m.Ancestor = strp("null") }).String(), true, ""},
		{"framer told by the referrer", with(func(m *fcMessage) { m.Ancestor, m.Referrer = nil, fakeop.Issuer+"/logout?x=1" }).String(), true, ""},
		{"another sid", fcLoad(fakeop.Issuer, "sid-2", now).String(), false, "sid is not the session's"},
		{"another iss", fcLoad("https://other.example", testSID, now).String(), false, "issuer of no config"},
		{"iss with a trailing slash", fcLoad(fakeop.Issuer+"/", testSID, now).String(), false, "issuer of no config"},
		{"no sid", with(func(m *fcMessage) { m.Query = "?iss=" + url.QueryEscape(fakeop.Issuer) }).String(), false, "no iss and sid"},
		{"no iss", with(func(m *fcMessage) { m.Query = "?sid=" + testSID }).String(), false, "no iss and sid"},
		{"no query", with(func(m *fcMessage) { m.Query = "" }).String(), false, "no iss and sid"},
		{"sid twice", with(func(m *fcMessage) { m.Query += "&sid=sid-2" }).String(), false, "repeats one"},
		{"loaded outside a frame", with(func(m *fcMessage) { m.Framed = false }).String(), false, "outside a frame"},
		{"framed by another origin", with(func(m *fcMessage) { m.Ancestor = strp("https://evil.example") }).String(), false, "framed by https://evil.example"},
		{"framed by the app itself", with(func(m *fcMessage) { m.Ancestor = strp("https://app.example") }).String(), false, "not by the provider"},
		{"referrer of another origin", with(func(m *fcMessage) { m.Ancestor, m.Referrer = nil, "https://evil.example/x" }).String(), false, "framed by https://evil.example"},
		{"another version", with(func(m *fcMessage) { m.V = 2 }).String(), false, "not a front-channel logout request"},
		{"not JSON", `iss=x&sid=y`, false, "not a front-channel logout request"},
		{"null", `null`, false, "not a front-channel logout request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := fcEnv(t)
			ended, err := e.m.FrontchannelLogout(tt.msg)
			s, _ := e.m.Session("a")
			if !tt.ends {
				if err == nil || !strings.Contains(err.Error(), tt.says) || len(ended) != 0 {
					t.Fatalf("ended %v, err %v; want none and an error saying %q", ended, err, tt.says)
				}
				if strings.Contains(err.Error(), testSID) {
					t.Errorf("the error names the sid: %v", err)
				}
				if s == nil || len(e.loggedOut()) != 0 {
					t.Fatalf("the session ended (events %v)", e.eventTypes())
				}
				if _, ok := e.stores[spa.StorageSession].Get("oidcwasm.a.session"); !ok {
					t.Fatal("the stored session is gone")
				}
				return
			}
			if err != nil || len(ended) != 1 || ended[0] != "a" {
				t.Fatalf("ended %v, err %v; want [a]", ended, err)
			}
			if s != nil {
				t.Fatal("still signed in")
			}
			if _, ok := e.stores[spa.StorageSession].Get("oidcwasm.a.session"); ok {
				t.Fatal("the session is still stored")
			}
			lo := e.loggedOut()
			if len(lo) != 1 || lo[0].Reason != spa.ReasonProvider || lo[0].ConfigID != "a" {
				t.Fatalf("loggedOut events %+v, want one with reason provider", lo)
			}
			// Again: nothing left to end, and nothing to complain about.
			if ended, err := e.m.FrontchannelLogout(tt.msg); err != nil || len(ended) != 0 || len(e.loggedOut()) != 1 {
				t.Fatalf("second request: ended %v, err %v, %d loggedOut", ended, err, len(e.loggedOut()))
			}
		})
	}
}

// TestFrontchannelLogoutNeedsTheConfigToAskForIt: a config without
// frontchannelLogoutUrl is not ended by a request for its issuer, nor is a
// session whose ID token carries no sid.
func TestFrontchannelLogoutNeedsTheConfigToAskForIt(t *testing.T) {
	t.Run("no frontchannelLogoutUrl", func(t *testing.T) {
		e := newEnv(t, cfg("a"))
		e.op.SetSession(testSID, time.Time{})
		e.login("a")
		if _, err := e.m.FrontchannelLogout(fcLoad(fakeop.Issuer, testSID, e.clk.Now()).String()); err == nil || !strings.Contains(err.Error(), "frontchannelLogoutUrl") {
			t.Fatalf("err %v, want one naming frontchannelLogoutUrl", err)
		}
		if !e.m.IsAuthenticated("a") {
			t.Fatal("the session ended")
		}
	})
	t.Run("no sid in the ID token", func(t *testing.T) {
		e := newEnv(t, fcConfig("a"))
		e.login("a")
		if _, err := e.m.FrontchannelLogout(fcLoad(fakeop.Issuer, testSID, e.clk.Now()).String()); err == nil || !strings.Contains(err.Error(), "no sid") {
			t.Fatalf("err %v, want one saying the ID token has no sid", err)
		}
		if !e.m.IsAuthenticated("a") {
			t.Fatal("the session ended")
		}
	})
	t.Run("no session", func(t *testing.T) {
		e := newEnv(t, fcConfig("a"))
		ended, err := e.m.FrontchannelLogout(fcLoad(fakeop.Issuer, testSID, e.clk.Now()).String())
		if err != nil || len(ended) != 0 || len(e.loggedOut()) != 0 {
			t.Fatalf("ended %v, err %v: want nothing and no complaint (another tab's news came first)", ended, err)
		}
	})
}

// TestFrontchannelLogoutEndsEveryConfigOfThatSession: two clients of the
// same provider signed in with the same browser session both end.
func TestFrontchannelLogoutEndsEveryConfigOfThatSession(t *testing.T) {
	e := newEnv(t, fcConfig("a"), fcConfig("b"), cfg("c"))
	e.op.SetSession(testSID, time.Time{})
	for _, id := range []string{"a", "b", "c"} {
		e.login(id)
	}
	ended, err := e.m.FrontchannelLogout(fcLoad(fakeop.Issuer, testSID, e.clk.Now()).String())
	if err != nil || strings.Join(ended, ",") != "a,b" {
		t.Fatalf("ended %v, err %v; want a,b", ended, err)
	}
	if !e.m.IsAuthenticated("c") {
		t.Fatal("config c, without frontchannelLogoutUrl, was signed out")
	}
}

// storeRequests writes the logout page's stored list.
func storeRequests(t *testing.T, st spa.Store, items ...string) {
	t.Helper()
	if err := st.Set(spa.FrontchannelLogoutStoreKey, "["+strings.Join(items, ",")+"]"); err != nil {
		t.Fatal(err)
	}
}

// TestStoredFrontchannelLogoutEndsTheSessionOfATabThatLoadsLater: with no
// tab open, the page stores the request; the next Manager over the same
// stores (a tab that loads later) ends the named session at Configure, after
// configLoaded, with reason "provider", and leaves the rest alone.
func TestStoredFrontchannelLogoutEndsTheSessionOfATabThatLoadsLater(t *testing.T) {
	signIn := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC) // the clock starts at 3:04:05
	for _, tt := range []struct {
		name  string
		items []string
		ends  bool
	}{
		{"the session's request", []string{fcLoad(fakeop.Issuer, testSID, signIn.Add(time.Minute)).String()}, true},
		{"among others, and garbage", []string{`"x"`, `{"v":1}`, fcLoad(fakeop.Issuer, "sid-0", signIn).String(),
			fcLoad(fakeop.Issuer, testSID, signIn.Add(time.Minute)).String(), `null`}, true},
		{"another sid", []string{fcLoad(fakeop.Issuer, "sid-0", signIn.Add(time.Minute)).String()}, false},
		{"another iss", []string{fcLoad("https://other.example", testSID, signIn.Add(time.Minute)).String()}, false},
		{"older than the sign-in (a reused sid)", []string{fcLoad(fakeop.Issuer, testSID, signIn.Add(-2*time.Minute)).String()}, false},
		{"within the clock skew of the sign-in", []string{fcLoad(fakeop.Issuer, testSID, signIn.Add(-30*time.Second)).String()}, true},
		{"loaded outside a frame", []string{func() string {
			m := fcLoad(fakeop.Issuer, testSID, signIn.Add(time.Minute))
			m.Framed = false
			return m.String()
		}()}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, fcConfig("a"))
			e.op.SetSession(testSID, signIn)
			e.login("a")
			storeRequests(t, e.stores[spa.StorageLocal], tt.items...)

			e.events = nil
			m := e.manager() // a tab that loads later
			if err := m.Configure(context.Background(), []spa.Config{fcConfig("a")}); err != nil {
				t.Fatal(err)
			}
			got := e.eventTypes()
			if !tt.ends {
				if !m.IsAuthenticated("a") || len(e.loggedOut()) != 0 {
					t.Fatalf("signed out (events %v)", got)
				}
				return
			}
			if m.IsAuthenticated("a") {
				t.Fatal("still signed in")
			}
			if strings.Join(got, " ") != "configLoaded:a loggedOut:a" || e.loggedOut()[0].Reason != spa.ReasonProvider {
				t.Fatalf("events %v (%+v), want configLoaded then loggedOut with reason provider", got, e.loggedOut())
			}
			res, err := m.CheckAuth(context.Background(), "https://app.example/")
			if err != nil || res[0].IsAuthenticated {
				t.Fatalf("CheckAuth after: %+v, %v", res, err)
			}
			if _, ok := e.stores[spa.StorageLocal].Get(spa.FrontchannelLogoutStoreKey); !ok {
				t.Fatal("the stored requests are gone: another tab's session may still need them")
			}
		})
	}
}

// TestSignOutFieldsAreChecked: frontchannelLogoutUrl must be an absolute URL
// on the redirectUrl's origin, the interval positive.
func TestSignOutFieldsAreChecked(t *testing.T) {
	for _, tt := range []struct {
		name  string
		edit  func(*spa.Config)
		field string
	}{
		{"another origin", func(c *spa.Config) { c.FrontchannelLogoutURL = "https://other.example/fc.html" }, "frontchannelLogoutUrl"},
		{"another port", func(c *spa.Config) { c.FrontchannelLogoutURL = "https://app.example:8443/fc.html" }, "frontchannelLogoutUrl"},
		{"relative", func(c *spa.Config) { c.FrontchannelLogoutURL = "/fc.html" }, "frontchannelLogoutUrl"},
		{"a fragment", func(c *spa.Config) { c.FrontchannelLogoutURL = "https://app.example/fc.html#x" }, "frontchannelLogoutUrl"},
		{"negative interval", func(c *spa.Config) { c.CheckSession, c.CheckSessionInterval = true, -time.Second }, "checkSessionIntervalInSeconds"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg("a")
			tt.edit(&c)
			m := spa.NewManager(spa.Options{Fetcher: fakeop.New(t, &clock{}).Fetcher()})
			err := m.Configure(context.Background(), []spa.Config{c})
			var e *spa.Error
			if !errors.As(err, &e) || e.Code != spa.CodeInvalidConfig || e.Field != tt.field {
				t.Fatalf("err %v, want invalid_config naming %s", err, tt.field)
			}
		})
	}
	c := fcConfig("a")
	c.FrontchannelLogoutURL = "HTTPS://APP.example/fc.html"
	if err := spa.NewManager(spa.Options{Fetcher: fakeop.New(t, &clock{}).Fetcher()}).Configure(context.Background(), []spa.Config{c}); err != nil {
		t.Fatalf("the origin in capitals: %v", err)
	}
}
