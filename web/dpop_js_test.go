package web_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"syscall/js"
	"testing"

	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web"
)

var dpopSeq int

func dpopConfigID() string {
	dpopSeq++
	return fmt.Sprintf("dpop-test-%d", dpopSeq)
}

// storedDPoPKey reads the IndexedDB record of configID the way another
// script of the origin could: what it gets is a CryptoKey it cannot export.
func storedDPoPKey(t *testing.T, configID string) js.Value {
	t.Helper()
	ctx := context.Background()
	open := js.Global().Get("indexedDB").Call("open", "oidcwasm", 1)
	db, err := web.Await(ctx, requestPromise(open))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Call("close")
	req := db.Call("transaction", "dpop-keys", "readonly").Call("objectStore", "dpop-keys").Call("get", configID)
	rec, err := web.Await(ctx, requestPromise(req))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// requestPromise wraps an IDBRequest in a Promise.
func requestPromise(req js.Value) js.Value {
	var exec js.Func
	exec = js.FuncOf(func(this js.Value, args []js.Value) any {
		resolve, reject := args[0], args[1]
		var ok, fail js.Func
		ok = js.FuncOf(func(js.Value, []js.Value) any {
			resolve.Invoke(req.Get("result"))
			ok.Release()
			fail.Release()
			return nil
		})
		fail = js.FuncOf(func(js.Value, []js.Value) any {
			reject.Invoke(req.Get("error"))
			ok.Release()
			fail.Release()
			return nil
		})
		req.Set("onsuccess", ok)
		req.Set("onerror", fail)
		return nil
	})
	defer exec.Release()
	return js.Global().Get("Promise").New(exec)
}

// The key is WebCrypto's, not extractable, kept across instances (a
// reload), one per config, and signs ES256 that its public JWK verifies.
func TestDPoPKeysAreNonExtractableAndKept(t *testing.T) {
	needBrowser(t)
	ctx := context.Background()
	id := dpopConfigID()
	keys := web.NewDPoPKeys()
	k, err := keys.Key(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var jwk struct{ Kty, Crv, X, Y, D string }
	if err := json.Unmarshal(k.PublicJWK(), &jwk); err != nil || jwk.Kty != "EC" || jwk.Crv != "P-256" || jwk.D != "" {
		t.Fatalf("PublicJWK = %s (%v), want a public P-256 key", k.PublicJWK(), err)
	}
	sig, err := k.Sign(ctx, []byte("header.payload"))
	if err != nil || len(sig) != 64 {
		t.Fatalf("Sign: %d bytes, %v; want 64", len(sig), err)
	}
	x, _ := base64.RawURLEncoding.DecodeString(jwk.X)
	y, _ := base64.RawURLEncoding.DecodeString(jwk.Y)
	pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
	sum := sha256.Sum256([]byte("header.payload"))
	if !ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatal("the signature does not verify with the public JWK")
	}

	rec := storedDPoPKey(t, id)
	priv := rec.Get("privateKey")
	if priv.Get("extractable").Bool() || priv.Get("type").String() != "private" {
		t.Fatalf("stored key: extractable %v, type %s; want a private key that cannot be extracted", priv.Get("extractable"), priv.Get("type"))
	}
	if _, err := web.Await(ctx, js.Global().Get("crypto").Get("subtle").Call("exportKey", "jwk", priv)); err == nil {
		t.Fatal("exportKey of the stored private key resolved")
	}

	again, err := web.NewDPoPKeys().Key(ctx, id) // a reload: a new instance
	if err != nil {
		t.Fatal(err)
	}
	if string(again.PublicJWK()) != string(k.PublicJWK()) {
		t.Error("a new DPoPKeys made another key for the same config")
	}
	other, err := keys.Key(ctx, dpopConfigID())
	if err != nil {
		t.Fatal(err)
	}
	if string(other.PublicJWK()) == string(k.PublicJWK()) {
		t.Error("two configs share a key")
	}
}

// Delete removes the key from IndexedDB without waiting; the next Key makes
// a new one, in this instance and in another.
func TestDPoPKeysDelete(t *testing.T) {
	needBrowser(t)
	ctx := context.Background()
	id := dpopConfigID()
	keys := web.NewDPoPKeys()
	k, err := keys.Key(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	keys.Delete(id)
	k2, err := keys.Key(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if string(k2.PublicJWK()) == string(k.PublicJWK()) {
		t.Fatal("Key after Delete gave the deleted key")
	}
	keys.Delete(id)
	if _, err := web.NewDPoPKeys().Key(ctx, "warm-up"); err != nil { // a later transaction: the delete ran before it
		t.Fatal(err)
	}
	if rec := storedDPoPKey(t, id); !rec.IsUndefined() {
		t.Fatal("the key is still in IndexedDB after Delete")
	}
}

// A Delete on an instance that has not opened the database yet (the first
// thing a page does may be a logoff) still comes before the next Key, which
// makes a new key instead of loading the deleted one.
func TestDPoPKeysDeleteBeforeTheDatabaseIsOpen(t *testing.T) {
	needBrowser(t)
	ctx := context.Background()
	id := dpopConfigID()
	k, err := web.NewDPoPKeys().Key(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	fresh := web.NewDPoPKeys() // a reload: nothing opened yet
	fresh.Delete(id)
	k2, err := fresh.Key(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if string(k2.PublicJWK()) == string(k.PublicJWK()) {
		t.Fatal("Key right after Delete on a fresh instance gave the deleted key")
	}
}

// Two instances (two tabs) asking at once end up with one key.
func TestDPoPKeysTwoTabsOneKey(t *testing.T) {
	needBrowser(t)
	ctx := context.Background()
	id := dpopConfigID()
	a, b := web.NewDPoPKeys(), web.NewDPoPKeys()
	type res struct {
		jwk string
		err error
	}
	ch := make(chan res, 2)
	for _, keys := range []*web.DPoPKeys{a, b} {
		go func() {
			k, err := keys.Key(ctx, id)
			if err != nil {
				ch <- res{err: err}
				return
			}
			ch <- res{jwk: string(k.PublicJWK())}
		}()
	}
	r1, r2 := <-ch, <-ch
	if r1.err != nil || r2.err != nil {
		t.Fatal(r1.err, r2.err)
	}
	if r1.jwk != r2.jwk {
		t.Error("two tabs made two keys for one config")
	}
}

// In the browser nothing signs proofs unless the app says so: a config with
// DPoP is then refused at Configure, naming the field.
func TestDPoPConfigWithoutKeysIsRefused(t *testing.T) {
	needBrowser(t)
	m := spa.NewManager(spa.Options{Fetcher: web.Fetcher{}})
	err := m.Configure(context.Background(), []spa.Config{{ConfigID: "d", Authority: "https://op.example", ClientID: "c",
		RedirectURL: "https://app.example/", DPoP: true}})
	var e *spa.Error
	if !errors.As(err, &e) || e.Code != spa.CodeInvalidConfig || e.Field != "dpop" || e.ConfigID != "d" {
		t.Fatalf("Configure = %v, want invalid_config for d's dpop", err)
	}
}

// MemoryDPoPKeys (the service worker's): a WebCrypto key that is not
// extractable and signs, one per config, the same on each call, a new one
// after Delete, and nothing of it in IndexedDB.
func TestMemoryDPoPKeysStayInMemory(t *testing.T) {
	needBrowser(t)
	ctx := context.Background()
	id := dpopConfigID()
	keys := web.NewMemoryDPoPKeys()
	k, err := keys.Key(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if sig, err := k.Sign(ctx, []byte("header.payload")); err != nil || len(sig) != 64 {
		t.Fatalf("Sign: %d bytes, %v; want 64", len(sig), err)
	}
	ck, ok := k.(interface{ CryptoKey() js.Value })
	if !ok || ck.CryptoKey().Get("extractable").Bool() {
		t.Fatal("the key is not a CryptoKey that cannot be extracted")
	}
	again, err := keys.Key(ctx, id)
	if err != nil || string(again.PublicJWK()) != string(k.PublicJWK()) {
		t.Fatalf("a second Key for the config: %v; want the same key", err)
	}
	if _, err := web.NewDPoPKeys().Key(ctx, "warm-up"); err != nil { // the database exists
		t.Fatal(err)
	}
	if rec := storedDPoPKey(t, id); !rec.IsUndefined() {
		t.Fatal("the memory key is in IndexedDB")
	}
	keys.Delete(id)
	k2, err := keys.Key(ctx, id)
	if err != nil || string(k2.PublicJWK()) == string(k.PublicJWK()) {
		t.Fatalf("Key after Delete: %v; want a new key", err)
	}
}
