//go:build !js

package spa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/oidcwasm/oidcwasm/internal/fakeop/jwks"
)

// manualTime is a settable monotonic clock for keySet.now.
type manualTime struct{ ns atomic.Int64 }

func (m *manualTime) now() time.Time          { return time.Unix(0, m.ns.Load()) }
func (m *manualTime) advance(d time.Duration) { m.ns.Add(int64(d)) }

// newTestKeySet returns a key set over op's JWKS whose refetch interval runs on a manual clock.
func newTestKeySet(op *jwks.Server) (*keySet, *manualTime) {
	ks := newKeySet(NetHTTPFetcher{}, op.JWKSURL(), []string{"RS256", "ES256", "EdDSA"})
	mt := &manualTime{}
	mt.ns.Store(testNow.UnixNano())
	ks.now = mt.now
	return ks, mt
}

// verifyWith verifies a token minted by op for the test client.
func verifyWith(ks *keySet, op *jwks.Server, token string) error {
	_, err := verifyIDToken(context.Background(), ks, token, verifyOptions{
		Issuer: op.Issuer(), ClientID: testClientID, Algs: []string{"RS256", "ES256", "EdDSA"},
		ClockSkew: time.Minute, Clock: frozenClock{testNow},
	})
	return err
}

func wantFetches(t *testing.T, op *jwks.Server, want int) {
	t.Helper()
	if got := op.JWKSFetches(); got != want {
		t.Errorf("JWKS fetched %d times, want %d", got, want)
	}
}

func TestKeySetCachesTheJWKS(t *testing.T) {
	op := jwks.NewServer(t, "RS256")
	ks, _ := newTestKeySet(op)
	for i := range 5 {
		if err := verifyWith(ks, op, op.Sign(op.Claims(testClientID, testNow))); err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
	}
	wantFetches(t, op, 1)
}

func TestKeySetUnknownKidAfterRotationRefetchesOnce(t *testing.T) {
	op := jwks.NewServer(t, "RS256")
	ks, _ := newTestKeySet(op)
	if err := verifyWith(ks, op, op.Sign(op.Claims(testClientID, testNow))); err != nil {
		t.Fatal(err)
	}
	op.RotateKey()
	for i := range 3 {
		if err := verifyWith(ks, op, op.Sign(op.Claims(testClientID, testNow))); err != nil {
			t.Fatalf("token %d after rotation: %v", i, err)
		}
	}
	wantFetches(t, op, 2)
}

// 100 verifications that all meet a kid the cache lacks share one fetch.
func TestKeySetConcurrentNewKidSharesOneFetch(t *testing.T) {
	op := jwks.NewServer(t, "RS256")
	ks, _ := newTestKeySet(op)
	if err := verifyWith(ks, op, op.Sign(op.Claims(testClientID, testNow))); err != nil {
		t.Fatal(err)
	}
	op.RotateKey()
	token := op.Sign(op.Claims(testClientID, testNow))
	// A slow endpoint, so that the callers really meet while the fetch is in flight.
	op.SetJWKSHandler(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		op.ServeJWKS(w, r)
	})
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 100 {
		wg.Go(func() {
			<-start
			if err := verifyWith(ks, op, token); err != nil {
				t.Errorf("verify: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	wantFetches(t, op, 2)
}

// A caller that found the cache stale just before another caller's fetch
// completed takes the new keys instead of fetching again.
func TestKeySetLateCallerUsesNewerKeys(t *testing.T) {
	op := jwks.NewServer(t, "RS256")
	ks, _ := newTestKeySet(op)
	if err := verifyWith(ks, op, op.Sign(op.Claims(testClientID, testNow))); err != nil {
		t.Fatal(err)
	}
	k2 := op.RotateKey()
	_, seen := ks.cached() // the late caller looks at the cache: no k2
	if err := verifyWith(ks, op, op.Sign(op.Claims(testClientID, testNow))); err != nil {
		t.Fatal(err) // another caller refetches
	}
	keys, _, err := ks.refresh(context.Background(), seen, k2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(keys, func(k jose.JSONWebKey) bool { return k.KeyID == k2.ID }) {
		t.Errorf("late caller got keys without %q", k2.ID)
	}
	wantFetches(t, op, 2)
}

// A kid that is still missing after a refetch does not refetch again until
// the interval has passed; made-up kids cannot hammer the endpoint either.
func TestKeySetUnknownKidIsRateLimited(t *testing.T) {
	op := jwks.NewServer(t, "RS256")
	ks, clock := newTestKeySet(op)
	if err := verifyWith(ks, op, op.Sign(op.Claims(testClientID, testNow))); err != nil {
		t.Fatal(err)
	}
	ghost := op.Sign(op.Claims(testClientID, testNow), jwks.WithKID("ghost"))
	for i := range 3 {
		err := verifyWith(ks, op, ghost)
		if ErrorCode(err) != CodeInvalidIDToken || !strings.Contains(err.Error(), `"ghost"`) {
			t.Fatalf("try %d: err = %v; want invalid_id_token naming the kid", i, err)
		}
	}
	wantFetches(t, op, 2) // the first fetch, and one for the new kid

	clock.advance(jwksRefetchInterval)
	if err := verifyWith(ks, op, ghost); err == nil {
		t.Fatal("ghost kid accepted")
	}
	wantFetches(t, op, 3)

	before := op.JWKSFetches()
	for i := range 50 {
		verifyWith(ks, op, op.Sign(op.Claims(testClientID, testNow), jwks.WithKID(fmt.Sprint("made-up-", i))))
	}
	// ghost used one of this window's jwksMaxMissed extra fetches.
	if n := op.JWKSFetches() - before; n != jwksMaxMissed-1 {
		t.Errorf("50 made-up kids caused %d fetches, want %d (jwksMaxMissed less ghost's)", n, jwksMaxMissed-1)
	}
}

// A known kid whose signature fails is a forged or damaged token, not a rotation.
func TestKeySetBadSignatureWithKnownKidDoesNotRefetch(t *testing.T) {
	op := jwks.NewServer(t, "RS256")
	ks, _ := newTestKeySet(op)
	if err := verifyWith(ks, op, op.Sign(op.Claims(testClientID, testNow))); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := verifyWith(ks, op, flipSignatureBit(op.Sign(op.Claims(testClientID, testNow)))); ErrorCode(err) != CodeInvalidIDToken {
			t.Fatalf("err = %v", err)
		}
	}
	wantFetches(t, op, 1)
}

// A token without kid is tried with every fitting key; when none verifies, the
// set is refetched at most once per interval.
func TestKeySetTokenWithoutKid(t *testing.T) {
	op := jwks.NewServer(t, "RS256")
	ks, clock := newTestKeySet(op)
	op.AddKey("RS256") // a second RSA key, tried too
	if err := verifyWith(ks, op, op.Sign(op.Claims(testClientID, testNow), jwks.WithoutKID())); err != nil {
		t.Fatal(err)
	}
	stranger := op.NewKey("RS256")
	forged := op.Sign(op.Claims(testClientID, testNow), jwks.WithKey(stranger), jwks.WithoutKID())
	for range 3 {
		if err := verifyWith(ks, op, forged); ErrorCode(err) != CodeInvalidIDToken {
			t.Fatalf("err = %v", err)
		}
	}
	wantFetches(t, op, 1) // fetched less than the interval ago: no refetch

	// Rotation to a key that signs without kid shows up after the interval.
	op.PublishKey(stranger)
	clock.advance(jwksRefetchInterval + time.Second)
	if err := verifyWith(ks, op, forged); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	wantFetches(t, op, 2)
}

// Only keys for signatures whose type and alg fit the token's alg are tried.
func TestKeySetOnlyTriesFittingSignatureKeys(t *testing.T) {
	op := jwks.NewServer(t, "RS256")
	ks, _ := newTestKeySet(op)

	enc := op.NewKey("RS256")
	enc.Use = "enc"
	op.PublishKey(enc)
	mislabelled := op.NewKey("RS256")
	mislabelled.Alg = "RS384"
	op.PublishKey(mislabelled)
	ec := op.AddKey("ES256")
	ed := op.AddKey("EdDSA")

	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"EncryptionKeyIgnored", op.Sign(op.Claims(testClientID, testNow), jwks.WithKey(enc)), false},
		{"KeyForOtherAlgIgnored", op.Sign(op.Claims(testClientID, testNow), jwks.WithKey(&jwks.Key{ID: mislabelled.ID, Alg: "RS256", Private: mislabelled.Private})), false},
		{"RSASignatureWithECKidRefused", op.Sign(op.Claims(testClientID, testNow), jwks.WithKID(ec.ID)), false},
		{"ES256Accepted", op.Sign(op.Claims(testClientID, testNow), jwks.WithKey(ec)), true},
		{"EdDSAAccepted", op.Sign(op.Claims(testClientID, testNow), jwks.WithKey(ed)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verifyWith(ks, op, tt.token)
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok && ErrorCode(err) != CodeInvalidIDToken {
				t.Fatalf("err = %v; want invalid_id_token", err)
			}
		})
	}
}

func TestKeySetRefusesBadJWKSResponses(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantMsg     string
	}{
		{"ServerError", 500, "application/json", `{"error":"boom"}`, "HTTP 500"},
		{"NotFound", 404, "text/plain", "not found", "HTTP 404"},
		{"HTMLPage", 200, "text/html; charset=utf-8", "<html><body>Login</body></html>", `"text/html; charset=utf-8"`},
		{"NoContentType", 200, "", `{"keys":[]}`, "Content-Type"},
		{"MalformedJSON", 200, "application/json", `{"keys":[`, "malformed JWK Set"},
		{"NoKeysMember", 200, "application/json", `{"issuer":"x"}`, `no "keys" member`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := jwks.NewServer(t, "RS256")
			ks, _ := newTestKeySet(op)
			op.SetJWKSHandler(func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Type"] = []string{tt.contentType}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			})
			err := verifyWith(ks, op, op.Sign(op.Claims(testClientID, testNow)))
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeInvalidResponse {
				t.Fatalf("err = %v; want code invalid_response", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), op.JWKSURL()) {
				t.Errorf("error %q should name the endpoint and say %q", err, tt.wantMsg)
			}
		})
	}
}

// A failed fetch is not cached: once the endpoint recovers, the next token works.
func TestKeySetRetriesAfterFailedFetch(t *testing.T) {
	op := jwks.NewServer(t, "RS256")
	ks, _ := newTestKeySet(op)
	op.SetJWKSHandler(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 503) })
	if err := verifyWith(ks, op, op.Sign(op.Claims(testClientID, testNow))); ErrorCode(err) != CodeInvalidResponse {
		t.Fatalf("err = %v", err)
	}
	op.SetJWKSHandler(nil)
	if err := verifyWith(ks, op, op.Sign(op.Claims(testClientID, testNow))); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	wantFetches(t, op, 2)
}

// A caller whose context ends stops waiting with CodeTimeout; the fetch goes on
// for the others.
func TestKeySetWaitHonoursContextDeadline(t *testing.T) {
	op := jwks.NewServer(t, "RS256")
	ks, _ := newTestKeySet(op)
	release := make(chan struct{})
	op.SetJWKSHandler(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		op.ServeJWKS(w, r)
	})
	t.Cleanup(func() { close(release) }) // before the server closes (cleanups run last-in first-out)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := ks.VerifySignature(ctx, op.Sign(op.Claims(testClientID, testNow)))
	if ErrorCode(err) != CodeTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want CodeTimeout wrapping context.DeadlineExceeded", err)
	}
}

func TestKeySetParseJWKSSkipsUnusableKeys(t *testing.T) {
	op := jwks.NewServer(t, "RS256")
	good := op.SigningKey()
	pub, _ := json.Marshal(jose.JSONWebKey{Key: good.Private.Public(), KeyID: "pub", Algorithm: "RS256", Use: "sig"})
	priv, _ := json.Marshal(jose.JSONWebKey{Key: good.Private, KeyID: "priv", Algorithm: "RS256"})
	noAlg, _ := json.Marshal(jose.JSONWebKey{Key: good.Private.Public(), KeyID: "noalg"}) // alg is optional (RFC 7517 §4.4)
	body := `{"keys":[` + string(pub) + `,` + string(priv) + `,` + string(noAlg) + `,
		{"kty":"oct","kid":"hmac","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"},
		{"kty":"OKP","crv":"Ed448","kid":"ed448","x":"AAAA"},
		{"kty":"EC","crv":"secp256k1","alg":"ES256K","kid":"k256"},
		{"kty":"RSA","kid":"noverify","key_ops":["encrypt"],"n":"AQAB","e":"AQAB"},
		{"kty":"RSA","kid":"broken"}
	]}`
	keys, err := parseJWKS([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range keys {
		if !k.IsPublic() {
			t.Errorf("key %q is not public", k.KeyID)
		}
		ids = append(ids, k.KeyID)
	}
	if strings.Join(ids, ",") != "pub,priv,noalg" {
		t.Errorf("kept keys %q; want pub, the public half of priv, and the key without alg", ids)
	}
}

func TestKeySetAllowedAlgs(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, "RS256"},
		{[]string{"RS256", "HS256", "none", "ES256", "RS256"}, "RS256,ES256"},
		{[]string{"HS256", "HS512"}, ""},
		{[]string{"EdDSA", "PS512"}, "EdDSA,PS512"},
	}
	for _, tt := range tests {
		var got []string
		for _, a := range allowedAlgs(tt.in) {
			got = append(got, string(a))
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("allowedAlgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// --- NetHTTPFetcher, the native Fetcher the key set and the tests use. ---

func TestNetHTTPFetcherSendsAndReads(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := new(strings.Builder)
		fmt.Fprintf(b, "%s %s %s ", r.Method, r.URL.RequestURI(), r.Header.Get("X-Test"))
		buf := make([]byte, 64)
		n, _ := r.Body.Read(buf)
		b.Write(buf[:n])
		w.Header().Set("X-Answer", "yes")
		w.WriteHeader(201)
		w.Write([]byte(b.String()))
	}))
	defer srv.Close()
	resp, err := NetHTTPFetcher{}.Fetch(context.Background(), &Request{
		Method: "POST", URL: srv.URL + "/p?q=1", Header: http.Header{"X-Test": {"h"}}, Body: []byte("a=b"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 201 || resp.Header.Get("X-Answer") != "yes" || string(resp.Body) != "POST /p?q=1 h a=b" {
		t.Errorf("response = %d %v %q", resp.Status, resp.Header, resp.Body)
	}
}

func TestNetHTTPFetcherContextEnds(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()

	t.Run("DeadlineIsTimeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := NetHTTPFetcher{}.Fetch(ctx, &Request{Method: "GET", URL: srv.URL})
		if ErrorCode(err) != CodeTimeout || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v; want CodeTimeout", err)
		}
	})
	t.Run("CancelIsNetwork", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := NetHTTPFetcher{}.Fetch(ctx, &Request{Method: "GET", URL: srv.URL})
		if ErrorCode(err) != CodeNetwork || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v; want CodeNetwork", err)
		}
	})
	t.Run("ClientTimeoutIsTimeout", func(t *testing.T) {
		f := NetHTTPFetcher{Client: &http.Client{Timeout: 50 * time.Millisecond}}
		_, err := f.Fetch(context.Background(), &Request{Method: "GET", URL: srv.URL})
		if ErrorCode(err) != CodeTimeout {
			t.Fatalf("err = %v; want CodeTimeout", err)
		}
	})
}

// A refused connection is CodeNetwork, and the error shows neither the query,
// nor the body, nor the Authorization header.
func TestNetHTTPFetcherRefusedConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = NetHTTPFetcher{}.Fetch(context.Background(), &Request{
		Method: "POST", URL: "http://" + addr + "/token?secret=query-secret",
		Header: http.Header{"Authorization": {"Bearer header-secret"}}, Body: []byte("refresh_token=body-secret"),
	})
	if ErrorCode(err) != CodeNetwork {
		t.Fatalf("err = %v; want CodeNetwork", err)
	}
	for _, secret := range []string{"query-secret", "header-secret", "body-secret"} {
		if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%#v", err), secret) {
			t.Errorf("error %q reveals %s", err, secret)
		}
	}
	if !strings.Contains(err.Error(), "http://"+addr+"/token") {
		t.Errorf("error %q does not name the endpoint", err)
	}
}

func TestNetHTTPFetcherBodyCap(t *testing.T) {
	var size atomic.Int64
	size.Store(MaxResponseBody)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, size.Load()))
	}))
	defer srv.Close()
	resp, err := NetHTTPFetcher{}.Fetch(context.Background(), &Request{Method: "GET", URL: srv.URL})
	if err != nil || len(resp.Body) != MaxResponseBody {
		t.Fatalf("a body of exactly the cap: err = %v", err)
	}
	size.Store(MaxResponseBody + 1)
	if _, err := (NetHTTPFetcher{}).Fetch(context.Background(), &Request{Method: "GET", URL: srv.URL}); ErrorCode(err) != CodeInvalidResponse {
		t.Fatalf("a body over the cap: err = %v; want CodeInvalidResponse", err)
	}
}
