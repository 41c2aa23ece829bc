package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/demo"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// configsWithFields is env.Configs() with fields set on some configs.
func configsWithFields(t *testing.T, fields map[string]map[string]any) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, c := range env.Configs() {
		raw, _ := json.Marshal(c)
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		for k, v := range fields[c.ConfigID] {
			m[k] = v
		}
		out = append(out, m)
	}
	return out
}

// storedKeyJS reads config id's record from the library's IndexedDB, as any
// script of the origin could: {found, extractable, exported, jwk}.
func storedKeyJS(id string) string {
	return `(async () => {
  const db = await new Promise((ok, fail) => { const r = indexedDB.open("oidcwasm", 1); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
  const rec = await new Promise((ok, fail) => { const r = db.transaction("dpop-keys").objectStore("dpop-keys").get(` + e2etest.MustJSON(id) + `); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
  db.close();
  if (!rec) return {found: false};
  let exported = true;
  try { await crypto.subtle.exportKey("jwk", rec.privateKey); } catch (e) { exported = false; }
  return {found: true, extractable: rec.privateKey.extractable, exported, jwk: rec.jwk};
})()`
}

type storedKey struct {
	Found, Extractable, Exported bool
	JWK                          string
}

// thumbprint is the RFC 7638 thumbprint of a public EC JWK.
func thumbprint(t *testing.T, jwk string) string {
	t.Helper()
	var k struct{ X, Y string }
	if err := json.Unmarshal([]byte(jwk), &k); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + k.X + `","y":"` + k.Y + `"}`))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// A DPoP config signs in, renews and calls its API with proofs of one
// non-extractable key that survives a reload and goes at logoff; the API
// (a real proof checker) refuses the copied token without the key, with
// another key's proof, and with a replayed proof.
func TestDPoPSignInRenewAndCallTheAPI(t *testing.T) {
	tab := env.NewTab(t)
	tab.OpenTestPage()
	configs := configsWithFields(t, map[string]map[string]any{"a": {"dpop": true}})
	tab.Configure(anys(configs)...)
	if _, res := tab.SignInWith("a", "alice", "alice", configs...); !res["a"].IsAuthenticated {
		t.Fatalf("sign-in: %+v", res["a"])
	}
	tok := e2etest.Eval[string](tab, `oidc.getAccessToken("a")`)
	cnf, _ := e2etest.Claims(t, tok)["cnf"].(map[string]any)
	jkt, _ := cnf["jkt"].(string)
	key := e2etest.Eval[storedKey](tab, storedKeyJS("a"))
	if !key.Found || key.Extractable || key.Exported {
		t.Fatalf("the stored key: %+v, want one that is not extractable and that exportKey refuses", key)
	}
	if jkt == "" || thumbprint(t, key.JWK) != jkt {
		t.Fatalf("the access token's cnf.jkt %q is not the stored key's thumbprint", jkt)
	}

	api := env.Target(demo.TargetAPIA)
	call := func(what string) {
		t.Helper()
		env.Demo.ResetRequests()
		if r := tab.Fetch(e2etest.MustJSON(api), ""); r.Status != 200 {
			t.Fatalf("%s: oidc.fetch = %d %q (%s), want 200", what, r.Status, r.Challenge, r.Body.Reason)
		}
		seen := env.Demo.Requests()
		if len(seen) != 1 || seen[0].Scheme != "DPoP" || !seen[0].DPoP || !strings.HasPrefix(jkt, seen[0].DPoPJKT) {
			t.Fatalf("%s: the API saw %+v, want one DPoP request with a proof of the key", what, seen)
		}
	}
	call("signed in")

	// The copied token, without the key.
	for _, tt := range []struct{ name, init string }{
		{"as Bearer", `{headers: {Authorization: "Bearer " + ` + e2etest.MustJSON(tok) + `}}`},
		{"as DPoP without a proof", `{headers: {Authorization: "DPoP " + ` + e2etest.MustJSON(tok) + `}}`},
	} {
		if r := tab.PlainFetch(e2etest.MustJSON(api), tt.init); r.Status != 401 {
			t.Errorf("the copied token %s: %d, want 401", tt.name, r.Status)
		}
	}
	// With a proof that another key signed (a key the attacker made).
	other := e2etest.Eval[int](tab, `(async () => {
  const b64 = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const enc = (o) => b64(new TextEncoder().encode(JSON.stringify(o)));
  const kp = await crypto.subtle.generateKey({name: "ECDSA", namedCurve: "P-256"}, false, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", kp.publicKey);
  const tok = `+e2etest.MustJSON(tok)+`;
  const ath = b64(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(tok)));
  const input = enc({typ: "dpop+jwt", alg: "ES256", jwk: {kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y}}) + "." +
    enc({jti: crypto.randomUUID(), htm: "GET", htu: `+e2etest.MustJSON(api)+`, iat: Math.floor(Date.now() / 1000), ath});
  const sig = await crypto.subtle.sign({name: "ECDSA", hash: "SHA-256"}, kp.privateKey, new TextEncoder().encode(input));
  const r = await fetch(`+e2etest.MustJSON(api)+`, {headers: {Authorization: "DPoP " + tok, DPoP: input + "." + b64(sig)}});
  return r.status;
})()`)
	if other != 401 {
		t.Errorf("the token with another key's proof: %d, want 401", other)
	}
	// A proof oidc.fetch sent, replayed: its jti was seen.
	replay := e2etest.Eval[[]int](tab, `(async () => {
  const real = globalThis.fetch;
  let sent = null;
  globalThis.fetch = (req, init) => { if (req instanceof Request && req.headers.has("DPoP")) sent = req.clone(); return real(req, init); };
  let first;
  try { first = (await oidc.fetch(`+e2etest.MustJSON(api)+`)).status; } finally { globalThis.fetch = real; }
  const again = await real(sent);
  return [first, again.status];
})()`)
	if len(replay) != 2 || replay[0] != 200 || replay[1] != 401 {
		t.Errorf("a replayed proof: first %v then replayed, want [200 401]", replay)
	}

	// Renewal with the refresh token, bound to the key (the provider
	// refuses it without a proof of that key).
	before := tok
	e2etest.Eval[any](tab, `oidc.forceRefreshSession("a").then(() => null)`)
	if tok = e2etest.Eval[string](tab, `oidc.getAccessToken("a")`); tok == before {
		t.Fatal("forceRefreshSession did not renew the token")
	}
	call("after a refresh")

	// A reload: the same key from IndexedDB, the session restored.
	tab.OpenTestPage()
	tab.Configure(anys(configs)...)
	if res := tab.CheckAuth(); !res["a"].IsAuthenticated {
		t.Fatalf("after a reload: %+v", res["a"])
	}
	call("after a reload")

	// Logoff deletes the key.
	e2etest.Eval[any](tab, `oidc.logoffLocal("a")`)
	tab.WaitFor(`(async () => !(await ` + storedKeyJS("a") + `).found)()`)
}

// Nonces (RFC 9449 §8, §9): a provider and an API that ask for one get it
// on the second try, and the caller sees only the success.
func TestDPoPNonces(t *testing.T) {
	p := env.StartProvider(t, e2etest.ProviderOptions{})
	p.RequireDPoPNonce(true)
	tab := env.NewTab(t)
	tab.OpenTestPage()
	c := p.Config("n", map[string]any{"dpop": true})
	tab.Configure(c)
	if _, res := tab.SignInWith("n", "alice", "alice", c); !res["n"].IsAuthenticated {
		t.Fatalf("sign-in with a provider that wants nonces: %+v", res["n"])
	}
	var asked, ok int
	for _, x := range p.Log() {
		if x.Path == "/oauth/token" && x.Error == "use_dpop_nonce" {
			asked++
		}
		if x.Path == "/oauth/token" && x.Status == 200 {
			ok++
		}
	}
	if asked != 1 || ok != 1 {
		t.Errorf("token requests: %d use_dpop_nonce and %d answered, want 1 and 1", asked, ok)
	}

	// The demo API, with config a of the demo's provider.
	if err := env.Demo.RequireDPoPNonce("A", true); err != nil {
		t.Fatal(err)
	}
	defer env.Demo.RequireDPoPNonce("A", false)
	tab2 := env.NewTab(t)
	tab2.OpenTestPage()
	configs := configsWithFields(t, map[string]map[string]any{"a": {"dpop": true}})
	tab2.Configure(anys(configs)...)
	tab2.SignInWith("a", "alice", "alice", configs...)
	env.Demo.ResetRequests()
	if r := tab2.Fetch(e2etest.MustJSON(env.Target(demo.TargetAPIA)), ""); r.Status != 200 {
		t.Fatalf("oidc.fetch to an API that wants a nonce: %d %q", r.Status, r.Challenge)
	}
	if seen := env.Demo.Requests(); len(seen) != 2 || seen[0].Status != 401 || seen[1].Status != 200 {
		t.Errorf("the API saw %+v, want a 401 asking for the nonce and then a 200", seen)
	}
}

// PAR (RFC 9126): the browser's navigation to the provider carries only
// client_id and request_uri, and the sign-in completes.
func TestPushedAuthorizationSignIn(t *testing.T) {
	p := env.StartProvider(t, e2etest.ProviderOptions{})
	tab := env.NewTab(t)
	tab.OpenTestPage()
	c := p.Config("p", map[string]any{"usePushedAuthorisationRequests": true})
	tab.Configure(c)
	if _, res := tab.SignInWith("p", "alice", "alice", c); !res["p"].IsAuthenticated {
		t.Fatalf("PAR sign-in: %+v", res["p"])
	}
	if n := p.Counts()["par"]; n != 1 {
		t.Errorf("%d pushed requests, want 1", n)
	}
	var navs []string
	for _, x := range p.Log() {
		if x.Path == "/authorize" {
			navs = append(navs, strings.Join(x.Params, " "))
		}
	}
	if len(navs) != 1 || navs[0] != "client_id request_uri" {
		t.Errorf("the provider's /authorize got %q, want one request with client_id and request_uri only", navs)
	}
}
