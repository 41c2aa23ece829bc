package web

import (
	"context"
	"errors"
	"sync"
	"syscall/js"

	"github.com/oidcwasm/oidcwasm/spa"
)

// DPoP key storage: IndexedDB database dpopDB, object store dpopStore, one
// record per config ID.
const (
	dpopDB    = "oidcwasm"
	dpopStore = "dpop-keys"
)

// DPoPKeys are spa.DPoPKeys made by WebCrypto and kept in IndexedDB: a P-256
// key pair per config, generated with extractable false, stored as the
// CryptoKey object itself (structured clone keeps it unreadable). No script
// on the page, this library included, can read the private key: a stolen
// access token is useless without it (RFC 9449 §2), though a script on the
// page can still have proofs signed by calling oidc.fetch. The key outlives
// reloads and is shared by the origin's tabs, like a localStorage session;
// Delete (at logoff) removes it. It keeps no cache of its own: the spa
// Manager keeps the keys it got (one cache, one rule for a logoff during a
// lookup).
type DPoPKeys struct {
	mu sync.Mutex // guards db and deleting; never held across an await
	db js.Value   // the open database, once opened
	// deleting holds, per config, the deletions asked for before the
	// database was open, until they are done: a Key call waits for them.
	deleting map[string]chan struct{}
}

// NewDPoPKeys returns DPoPKeys over the page's IndexedDB.
func NewDPoPKeys() *DPoPKeys { return &DPoPKeys{} }

type dpopKey struct {
	priv js.Value // CryptoKey, not extractable
	jwk  []byte
}

func (k *dpopKey) PublicJWK() []byte { return k.jwk }

// CryptoKey is the private key's CryptoKey object, for a JS caller that
// signs itself (the bridge's oidc.fetch); it cannot be exported.
func (k *dpopKey) CryptoKey() js.Value { return k.priv }

// Sign signs input with ECDSA P-256 SHA-256; WebCrypto gives R || S (IEEE
// P1363), which is the JWS form (RFC 7518 §3.4).
func (k *dpopKey) Sign(ctx context.Context, input []byte) ([]byte, error) {
	algo := map[string]any{"name": "ECDSA", "hash": "SHA-256"}
	sig, err := Await(ctx, subtle().Call("sign", algo, k.priv, bytesToJS(input)))
	if err != nil {
		return nil, err
	}
	u8 := js.Global().Get("Uint8Array").New(sig)
	out := make([]byte, u8.Length())
	js.CopyBytesToGo(out, u8)
	return out, nil
}

// Key returns configID's key: the one in IndexedDB, else a new one, stored
// with add so that two tabs making one at once end up with the same. It
// waits for a deletion Delete queued before the database was open; a
// deletion queued on the open database runs before Key's own transaction
// (IndexedDB runs a store's transactions in the order they were made).
func (k *DPoPKeys) Key(ctx context.Context, configID string) (spa.DPoPKey, error) {
	k.mu.Lock()
	wait := k.deleting[configID]
	k.mu.Unlock()
	if wait != nil {
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return k.load(ctx, configID)
}

// Delete removes configID's key from IndexedDB. It does not wait: on the
// open database the delete is queued at once, before any later transaction
// of Key; before the database is open, it opens it and deletes, and Key
// waits for that.
func (k *DPoPKeys) Delete(configID string) {
	k.mu.Lock()
	db := k.db
	if db.Truthy() {
		k.mu.Unlock()
		_ = catchCall(func() { objectStore(db, "readwrite").Call("delete", configID) })
		return
	}
	done := make(chan struct{})
	if k.deleting == nil {
		k.deleting = map[string]chan struct{}{}
	}
	k.deleting[configID] = done
	k.mu.Unlock()
	go func() {
		defer func() {
			k.mu.Lock()
			if k.deleting[configID] == done {
				delete(k.deleting, configID)
			}
			k.mu.Unlock()
			close(done)
		}()
		if db, err := k.open(context.Background()); err == nil {
			_, _ = idbAwait(context.Background(), func() js.Value { return objectStore(db, "readwrite").Call("delete", configID) })
		}
	}()
}

func (k *DPoPKeys) load(ctx context.Context, configID string) (*dpopKey, error) {
	db, err := k.open(ctx)
	if err != nil {
		return nil, err
	}
	for try := 0; ; try++ {
		rec, err := idbAwait(ctx, func() js.Value { return objectStore(db, "readonly").Call("get", configID) })
		if err != nil {
			return nil, err
		}
		if rec.Type() == js.TypeObject {
			return &dpopKey{priv: rec.Get("privateKey"), jwk: []byte(rec.Get("jwk").String())}, nil
		}
		if try > 0 {
			return nil, errors.New("IndexedDB lost the DPoP key just stored")
		}
		key, err := newDPoPKey(ctx)
		if err != nil {
			return nil, err
		}
		rec = js.Global().Get("Object").New()
		rec.Set("privateKey", key.priv)
		rec.Set("jwk", string(key.jwk))
		_, err = idbAwait(ctx, func() js.Value { return objectStore(db, "readwrite").Call("add", rec, configID) })
		if err == nil {
			return key, nil
		}
		var rej *Rejection
		if !errors.As(err, &rej) || rej.Name() != "ConstraintError" {
			return nil, err
		}
		// Another tab stored one first: use it.
	}
}

// newDPoPKey makes a P-256 key pair with WebCrypto, the private key not
// extractable.
func newDPoPKey(ctx context.Context) (*dpopKey, error) {
	algo := map[string]any{"name": "ECDSA", "namedCurve": "P-256"}
	usages := []any{"sign", "verify"}
	pair, err := Await(ctx, subtle().Call("generateKey", algo, false, usages))
	if err != nil {
		return nil, err
	}
	pub, err := Await(ctx, subtle().Call("exportKey", "jwk", pair.Get("publicKey")))
	if err != nil {
		return nil, err
	}
	// The RFC 7638 members only, no ext or key_ops.
	jwk := `{"kty":"EC","crv":"P-256","x":"` + pub.Get("x").String() + `","y":"` + pub.Get("y").String() + `"}`
	return &dpopKey{priv: pair.Get("privateKey"), jwk: []byte(jwk)}, nil
}

// MemoryDPoPKeys are spa.DPoPKeys made by WebCrypto (not extractable, as
// DPoPKeys') and kept in this module's memory only, for the service
// worker's configs (worker custody): IndexedDB is the origin's, where a
// page script could reach the CryptoKey and have proofs signed. They end
// with the worker, and with them the tokens bound to them.
type MemoryDPoPKeys struct {
	mu   sync.Mutex
	keys map[string]*dpopKey
}

// NewMemoryDPoPKeys returns empty MemoryDPoPKeys.
func NewMemoryDPoPKeys() *MemoryDPoPKeys { return &MemoryDPoPKeys{keys: map[string]*dpopKey{}} }

// Key returns configID's key, made on first use (two calls at once may
// both make one: the first kept wins, and both return it).
func (k *MemoryDPoPKeys) Key(ctx context.Context, configID string) (spa.DPoPKey, error) {
	k.mu.Lock()
	key := k.keys[configID]
	k.mu.Unlock()
	if key != nil {
		return key, nil
	}
	key, err := newDPoPKey(ctx)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if kept := k.keys[configID]; kept != nil {
		return kept, nil
	}
	k.keys[configID] = key
	return key, nil
}

// Delete forgets configID's key.
func (k *MemoryDPoPKeys) Delete(configID string) {
	k.mu.Lock()
	delete(k.keys, configID)
	k.mu.Unlock()
}

// Export is the keys as a JS object {configId: {privateKey, jwk}}, for a
// structured clone to another worker of the origin (a CryptoKey stays
// non-extractable in the copy).
func (k *MemoryDPoPKeys) Export() js.Value {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := js.Global().Get("Object").New()
	for id, key := range k.keys {
		rec := js.Global().Get("Object").New()
		rec.Set("privateKey", key.priv)
		rec.Set("jwk", string(key.jwk))
		out.Set(id, rec)
	}
	return out
}

// Adopt takes the keys of an Export where this has none for a config.
func (k *MemoryDPoPKeys) Adopt(v js.Value) {
	if v.Type() != js.TypeObject {
		return
	}
	ids := js.Global().Get("Object").Call("keys", v)
	k.mu.Lock()
	defer k.mu.Unlock()
	for i := 0; i < ids.Length(); i++ {
		id := ids.Index(i).String()
		rec := v.Get(id)
		if k.keys[id] != nil || rec.Type() != js.TypeObject || rec.Get("jwk").Type() != js.TypeString || rec.Get("privateKey").Type() != js.TypeObject {
			continue
		}
		k.keys[id] = &dpopKey{priv: rec.Get("privateKey"), jwk: []byte(rec.Get("jwk").String())}
	}
}

// open opens the database once, creating the object store.
func (k *DPoPKeys) open(ctx context.Context) (js.Value, error) {
	k.mu.Lock()
	db := k.db
	k.mu.Unlock()
	if db.Truthy() {
		return db, nil
	}
	var upgrade js.Func
	db, err := idbAwait(ctx, func() js.Value {
		req := js.Global().Get("indexedDB").Call("open", dpopDB, 1)
		upgrade = js.FuncOf(func(this js.Value, args []js.Value) any {
			req.Get("result").Call("createObjectStore", dpopStore)
			return nil
		})
		req.Set("onupgradeneeded", upgrade)
		return req
	})
	if upgrade.Truthy() {
		upgrade.Release()
	}
	if err != nil {
		return js.Undefined(), err
	}
	k.mu.Lock()
	if !k.db.Truthy() {
		k.db = db
	}
	db = k.db
	k.mu.Unlock()
	return db, nil
}

func objectStore(db js.Value, mode string) js.Value {
	return db.Call("transaction", dpopStore, mode).Call("objectStore", dpopStore)
}

// idbAwait makes the IDBRequest that start returns and waits for its
// success (its result) or error (a *Rejection of its error). A call that
// throws (IndexedDB disabled, a closed database) is an error too.
func idbAwait(ctx context.Context, start func() js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	done := make(chan result, 1)
	var req js.Value
	if err := catchCall(func() { req = start() }); err != nil {
		return js.Undefined(), err
	}
	var ok, fail js.Func
	ok = js.FuncOf(func(this js.Value, args []js.Value) any {
		done <- result{v: req.Get("result")}
		return nil
	})
	fail = js.FuncOf(func(this js.Value, args []js.Value) any {
		if len(args) > 0 {
			args[0].Call("preventDefault") // handled: not an uncaught error
		}
		done <- result{err: &Rejection{Value: req.Get("error")}}
		return nil
	})
	req.Set("onsuccess", ok)
	req.Set("onerror", fail)
	defer func() {
		ok.Release()
		fail.Release()
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		return js.Undefined(), ctx.Err()
	}
}

func subtle() js.Value { return js.Global().Get("crypto").Get("subtle") }

func bytesToJS(b []byte) js.Value {
	u8 := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u8, b)
	return u8
}

// catchCall runs f and turns a JS exception into an error.
func catchCall(f func()) (err error) {
	defer catchJS(&err)
	f()
	return nil
}
