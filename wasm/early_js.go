package main

import (
	"bytes"
	"encoding/json"
	"sync"
	"syscall/js"

	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web"
)

// What oidc.js may answer before the module runs (README, "Before the
// module runs"). Go decides it, and writes it down: on every change of a
// config's session, an early record in the config's own storage says what
// the page may use, for which configure() input, and until when. oidc.js
// only reads records and compares: the input with JSON.stringify of the
// caller's argument, Date.now() with the record's time, the page's URL
// with the parameter names Go lists. It decides nothing of its own.

// earlyVersion is the version of an early record; oidc.js reads only this one.
const earlyVersion = 1

// earlyKey is the key of a config's early record in its store. oidc.js
// finds records by the prefix and suffix (web.StorePrefix + "oidcwasm." and
// ".early"): keep them in step.
func earlyKey(configID string) string { return "oidcwasm." + configID + ".early" }

// noLimit is the latest time a JS Date can hold (ms since the epoch): the
// "until" of an answer that does not expire.
const noLimit = 8_640_000_000_000_000

// earlyRecord is one config's early record.
type earlyRecord struct {
	V int `json:"v"`
	// Input is JSON.stringify of the configure() argument that configured
	// this set, as the browser computed it; oidc.js answers only a
	// configure() whose argument is the same JSON data.
	Input           string   `json:"input"`
	ConfigID        string   `json:"configId"`
	ConfigIDs       []string `json:"configIds"`       // the whole set, in order: every one needs its record
	DefaultConfigID string   `json:"defaultConfigId"` // what a missing configId means (spa.Manager.ResolveConfigID)
	// Params: a checkAuth URL with any of them in its query or its fragment
	// may be an authorization response, or a logoff's return: Go answers it.
	Params []string `json:"params"`
	// Present and Absent are keys of the same storage that must exist, and
	// must not, for the record to hold: the session it describes and the
	// kept discovery document (so that Go, restoring, needs no network).
	Present []string `json:"present"`
	Absent  []string `json:"absent"`
	// Until: the answers hold while Date.now() < Until. For a session,
	// its renewal point: a restore before it renews nothing; past it (an
	// expired token, or a revoked one: revocation dates the expiry back)
	// Go renews, and answers.
	Until           int64          `json:"until"`
	IsAuthenticated bool           `json:"isAuthenticated"`
	UserData        map[string]any `json:"userData"`
	// Token is the login's access token (never a per-API or a refresh
	// token), with RenewAt as in the page's token cache; "" when its
	// lifetime is unknown.
	Token   string `json:"token,omitempty"`
	RenewAt int64  `json:"renewAt,omitempty"`
	// Worker: the config keeps its tokens in the service worker (custody
	// "worker"). Its record holds no session (the page has none of it):
	// it tells oidc.js that the config's calls and its part of checkAuth
	// are the worker's to answer, when the worker controls the page, and
	// never answers one itself.
	Worker bool `json:"worker,omitempty"`
}

// early is what the bridge knows to write early records.
type early struct {
	mu      sync.Mutex
	input   string // "" while no record may be written for the set
	pending map[string]bool
	stores  map[string]spa.Store // by spa.Storage*: the config's own storage
}

func newEarly() *early {
	return &early{pending: map[string]bool{}, stores: map[string]spa.Store{
		spa.StorageSession: web.SessionStorage(web.StorePrefix),
		spa.StorageLocal:   web.LocalStorage(web.StorePrefix),
	}}
}

// configured records the input of a configure() that succeeded. Records are
// written for the set only when the argument is JSON data that reads back
// as Go read it: then any argument oidc.js finds to be the same JSON data
// configures the same set. raw is the argument, read is fromJS of it.
//
// A config with storage "memory" never has a record (its session is gone on
// reload, and its discovery needs the network), and oidc.js answers only
// when every config of the set has one: such a set always waits for Go.
// A worker-custody config (whose storage is the worker's memory) has its
// record in the session store, beside its kept discovery document
// (spa.Manager keeps it there), and the record says only that.
func (e *early) configured(raw js.Value, read any) {
	input := ""
	if s, ok := stringify(raw); ok && sameRead(read, s) {
		input = s
	}
	e.mu.Lock()
	e.input = input
	e.mu.Unlock()
}

// suspend stops records (each write removes the record instead) and
// returns what resume needs to undo it.
func (e *early) suspend() (input string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	input, e.input = e.input, ""
	return input
}

// resume undoes suspend, after a configure() that failed.
func (e *early) resume(input string) {
	e.mu.Lock()
	e.input = input
	e.mu.Unlock()
}

// stringify is JSON.stringify(v), or false when it throws or gives no string.
func stringify(v js.Value) (s string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	r := js.Global().Get("JSON").Call("stringify", v)
	if r.Type() != js.TypeString {
		return "", false
	}
	return r.String(), true
}

// sameRead reports whether the JSON text s reads (JSON.parse, then fromJS)
// as read does: the argument held nothing JSON loses (undefined, NaN,
// functions, Dates, class instances...).
func sameRead(read any, s string) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	a, err := json.Marshal(read)
	if err != nil {
		return false
	}
	b, err := json.Marshal(fromJS(js.Global().Get("JSON").Call("parse", s)))
	return err == nil && bytes.Equal(a, b)
}

// loginPending stops records for the config until the page leaves (a
// redirect to the provider) or done is called (a popup), and removes its
// record now: the page the provider sends back to is Go's to answer.
func (e *early) loginPending(c spa.Config) (done func()) {
	e.mu.Lock()
	e.pending[c.ConfigID] = true
	e.mu.Unlock()
	if st := e.stores[c.Storage]; st != nil {
		st.Remove(earlyKey(c.ConfigID))
	}
	return func() {
		e.mu.Lock()
		delete(e.pending, c.ConfigID)
		e.mu.Unlock()
	}
}

// write stores config c's record for session s (nil: signed out), in the
// set ids whose default is def.
func (e *early) write(c spa.Config, s *spa.Session, ids []string, def string) {
	e.mu.Lock()
	input, pending := e.input, e.pending[c.ConfigID]
	e.mu.Unlock()
	st := e.stores[c.Storage]
	if c.WorkerCustody() {
		st = e.stores[spa.StorageSession]
	}
	if st == nil {
		return
	}
	if input == "" || pending {
		st.Remove(earlyKey(c.ConfigID))
		return
	}
	sessionKey, discoveryKey := spa.StoreKeys(c.ConfigID)
	r := earlyRecord{V: earlyVersion, Input: input, ConfigID: c.ConfigID, ConfigIDs: ids, DefaultConfigID: def,
		Params: spa.ResponseParams(), Present: []string{web.StorePrefix + discoveryKey}, Absent: []string{}, Until: noLimit}
	switch {
	case c.WorkerCustody():
		r.Worker = true
	case s == nil:
		r.Absent = []string{web.StorePrefix + sessionKey}
	default:
		r.Present = append(r.Present, web.StorePrefix+sessionKey)
		r.IsAuthenticated, r.UserData = true, s.UserData
		if renew := s.RenewAt(c.TimeoutFactor); !renew.IsZero() {
			r.Until = renew.UnixMilli()
			if s.AccessToken != "" {
				r.Token, r.RenewAt = s.AccessToken, r.Until
			}
		}
	}
	b, err := json.Marshal(r)
	if err != nil || st.Set(earlyKey(c.ConfigID), string(b)) != nil {
		st.Remove(earlyKey(c.ConfigID))
	}
}
