// Package dpop checks DPoP proofs (RFC 9449, OAuth 2.0 Demonstrating Proof
// of Possession) for the development provider (package devop: token,
// userinfo and PAR endpoints) and for the demo's sample APIs (package
// demo). It is the one implementation of the proof rules of RFC 9449 §4.3,
// so the provider and the APIs cannot drift apart.
//
// A Checker verifies one request's DPoP header against what the server
// expects (method, URL, and, at a protected resource, the access token and
// the key it is bound to) and remembers the jti values it accepted while
// their iat is still within the window, so a proof cannot be replayed
// (§11.1). A NonceSource holds the server-provided nonce of §8 (authorization
// server) or §9 (resource server).
//
// Only ES256 proofs are accepted: that is what the provider's discovery
// document announces in dpop_signing_alg_values_supported (§5.1).
package dpop

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Protocol names of RFC 9449.
const (
	// Header is the request header carrying the proof (§4.1).
	Header = "DPoP"
	// NonceHeader is the response header carrying a server nonce (§8.1, §9).
	NonceHeader = "DPoP-Nonce"
	// Scheme is the Authorization scheme of DPoP-bound access tokens (§7.1),
	// and TokenType the token_type of a token response that issued one (§5).
	Scheme    = "DPoP"
	TokenType = "DPoP"
	// JWTType is the typ header of a proof (§4.2).
	JWTType = "dpop+jwt"

	// ErrInvalidProof is the error code for a proof that fails a check
	// (§5 at the token endpoint, §7.1 at a protected resource).
	ErrInvalidProof = "invalid_dpop_proof"
	// ErrUseNonce asks the client to retry with the server's nonce, which
	// the DPoP-Nonce header of the same response holds (§8, §9).
	ErrUseNonce = "use_dpop_nonce"
)

// Algorithms are the JWS algorithms a proof may use: asymmetric only, never
// "none" or a MAC (§4.3 check 5). The provider announces them as
// dpop_signing_alg_values_supported (§5.1).
var Algorithms = []jose.SignatureAlgorithm{jose.ES256}

// AlgNames is Algorithms as strings, for metadata and the algs parameter of
// a DPoP challenge (§7.1).
func AlgNames() []string {
	out := make([]string, len(Algorithms))
	for i, a := range Algorithms {
		out[i] = string(a)
	}
	return out
}

// DefaultWindow is how far a proof's iat may lie from the server's clock,
// either way (§4.3 check 11, §11.1).
const DefaultWindow = 60 * time.Second

// Error is a refused proof. Code is ErrInvalidProof or ErrUseNonce. The
// description names the failed check and never holds a token or the proof.
type Error struct {
	Code        string
	Description string
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

func invalid(format string, args ...any) error {
	return &Error{Code: ErrInvalidProof, Description: fmt.Sprintf(format, args...)}
}

// Proof is an accepted proof, as the server may record it. It holds no
// secret: JKT names the public key, JTI the proof.
type Proof struct {
	// JKT is the JWK SHA-256 thumbprint (RFC 7638) of the proof's key,
	// base64url without padding: the cnf.jkt a token bound to it carries
	// (§6.1).
	JKT      string
	JTI      string
	HTM      string
	HTU      string
	Nonce    string
	ATH      string
	IssuedAt time.Time
}

// Expect is what the server requires of the proof of one request.
type Expect struct {
	// Method is the request's method; the htm claim must equal it (§4.3
	// check 8).
	Method string
	// URL is the request's URL as the client addressed it, scheme, host and
	// path (for example "http://localhost:9001/oauth/token"). The htu claim
	// must equal it after normalisation, both without query and fragment
	// (§4.3 check 9).
	URL string
	// AccessToken, at a protected resource, is the access token of the
	// Authorization header: the ath claim must be its hash (§4.2, §4.3
	// check 12).
	AccessToken string
	// JKT, when set, is the thumbprint the proof's key must have: the
	// cnf.jkt of the access token (§4.3 check 12, §7).
	JKT string
	// Nonce, when set, is the server's current nonce; a proof without it,
	// or with another one, is answered ErrUseNonce (§4.3 check 10, §8, §9).
	Nonce string
}

// Checker checks proofs and keeps the replay cache. Its zero value is not
// usable; call NewChecker. Safe for concurrent use.
type Checker struct {
	window time.Duration
	now    func() time.Time

	mu   sync.Mutex
	seen map[string]time.Time // jti -> when its iat leaves the window
}

// NewChecker returns a Checker accepting proofs whose iat is at most window
// away from now() (DefaultWindow when window is 0; time.Now when now is nil).
func NewChecker(window time.Duration, now func() time.Time) *Checker {
	if window <= 0 {
		window = DefaultWindow
	}
	if now == nil {
		now = time.Now
	}
	return &Checker{window: window, now: now, seen: map[string]time.Time{}}
}

// proofClaims are the claims of §4.2.
type proofClaims struct {
	JTI   string   `json:"jti"`
	HTM   string   `json:"htm"`
	HTU   string   `json:"htu"`
	IAT   *float64 `json:"iat"`
	Nonce string   `json:"nonce"`
	ATH   string   `json:"ath"`
}

// Check verifies the DPoP header of h against want, in the order of RFC
// 9449 §4.3, and records the proof's jti. A refused proof is an *Error.
func (c *Checker) Check(h http.Header, want Expect) (*Proof, error) {
	// Check 1: exactly one DPoP header field.
	values := h.Values(Header)
	if len(values) != 1 {
		return nil, invalid("want exactly one DPoP header, got %d", len(values))
	}
	// Check 2: a well-formed JWS in compact serialisation. go-jose refuses
	// any alg outside Algorithms, so "none" and HS256 end here (check 5).
	jws, err := jose.ParseSignedCompact(strings.TrimSpace(values[0]), Algorithms)
	if err != nil {
		return nil, invalid("not a compact JWS signed with %s: %v", strings.Join(AlgNames(), ", "), err)
	}
	if len(jws.Signatures) != 1 {
		return nil, invalid("want exactly one signature")
	}
	hdr := jws.Signatures[0].Protected
	// Check 4: typ.
	if typ, _ := hdr.ExtraHeaders[jose.HeaderType].(string); !isDPoPType(typ) {
		return nil, invalid("typ %q, want %q", typ, JWTType)
	}
	// Check 5, again on the protected header itself (go-jose's list above
	// already enforces it; this keeps the rule visible here).
	if !isAllowedAlg(hdr.Algorithm) {
		return nil, invalid("alg %q not accepted", hdr.Algorithm)
	}
	// Checks 3 and 7: a jwk header holding a public key. go-jose already
	// refuses private members in an embedded jwk; this makes it a rule here.
	jwk := hdr.JSONWebKey
	if jwk == nil {
		return nil, invalid("no jwk header")
	}
	if !jwk.Valid() || !jwk.IsPublic() {
		return nil, invalid("jwk header is not a public key")
	}
	// Check 6: the signature, with the key of the jwk header.
	payload, err := jws.Verify(jwk)
	if err != nil {
		return nil, invalid("signature does not verify with the jwk header's key")
	}
	var cl proofClaims
	if err := json.Unmarshal(payload, &cl); err != nil {
		return nil, invalid("claims are not a JSON object")
	}
	// Check 3: the required claims.
	switch {
	case cl.JTI == "":
		return nil, invalid("no jti claim")
	case cl.HTM == "":
		return nil, invalid("no htm claim")
	case cl.HTU == "":
		return nil, invalid("no htu claim")
	case cl.IAT == nil:
		return nil, invalid("no iat claim")
	}
	// Check 8: htm, case-sensitive like HTTP methods (RFC 9110 §9.1).
	if cl.HTM != want.Method {
		return nil, invalid("htm %q, want %q", cl.HTM, want.Method)
	}
	// Check 9: htu, normalised, without query and fragment.
	got, err := NormalizeHTU(cl.HTU)
	if err != nil {
		return nil, invalid("htu: %v", err)
	}
	wantURL, err := NormalizeHTU(want.URL)
	if err != nil {
		return nil, fmt.Errorf("dpop: expected URL %q: %w", want.URL, err)
	}
	if got != wantURL {
		return nil, invalid("htu %q, want %q", got, wantURL)
	}
	// Check 11: iat within the window.
	now := c.now()
	iat := time.Unix(0, int64(*cl.IAT*float64(time.Second)))
	if d := now.Sub(iat); d > c.window || d < -c.window {
		return nil, invalid("iat %s is more than %s from the server's clock", iat.UTC().Format(time.RFC3339), c.window)
	}
	thumb, err := Thumbprint(jwk)
	if err != nil {
		return nil, invalid("jwk thumbprint: %v", err)
	}
	// Check 12: at a protected resource, ath and the key binding.
	if want.AccessToken != "" {
		if cl.ATH != ATH(want.AccessToken) {
			if cl.ATH == "" {
				return nil, invalid("no ath claim")
			}
			return nil, invalid("ath is not the hash of the access token")
		}
	}
	if want.JKT != "" && thumb != want.JKT {
		return nil, invalid("the proof's key is not the key the access token is bound to")
	}
	// Check 10: the server's nonce.
	if want.Nonce != "" && cl.Nonce != want.Nonce {
		if cl.Nonce == "" {
			return nil, &Error{Code: ErrUseNonce, Description: "the server requires a nonce in the DPoP proof"}
		}
		return nil, &Error{Code: ErrUseNonce, Description: "the nonce of the DPoP proof is not the server's current one"}
	}
	// §11.1: each jti once, for as long as its iat is acceptable.
	c.mu.Lock()
	defer c.mu.Unlock()
	for j, until := range c.seen {
		if now.After(until) {
			delete(c.seen, j)
		}
	}
	if _, dup := c.seen[cl.JTI]; dup {
		return nil, invalid("jti %q was already used", cl.JTI)
	}
	c.seen[cl.JTI] = iat.Add(c.window)
	return &Proof{JKT: thumb, JTI: cl.JTI, HTM: cl.HTM, HTU: cl.HTU, Nonce: cl.Nonce, ATH: cl.ATH, IssuedAt: iat}, nil
}

// isDPoPType compares typ as a media type (RFC 7515 §4.1.9: case-insensitive,
// "application/" optional).
func isDPoPType(typ string) bool {
	typ = strings.ToLower(typ)
	return typ == JWTType || typ == "application/"+JWTType
}

func isAllowedAlg(alg string) bool {
	for _, a := range Algorithms {
		if string(a) == alg {
			return true
		}
	}
	return false
}

// Thumbprint is the JWK SHA-256 thumbprint of RFC 7638, base64url without
// padding, as cnf.jkt holds it (RFC 9449 §6.1).
func Thumbprint(jwk *jose.JSONWebKey) (string, error) {
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// ATH is the ath claim for an access token: base64url of its SHA-256, of
// the ASCII token value (§4.2).
func ATH(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// NormalizeHTU returns an http(s) URL without query and fragment, normalised
// as RFC 9449 §4.3 asks before comparing htu: syntax-based (RFC 3986 §6.2.2:
// case of scheme and host, percent-encoding, dot segments) and scheme-based
// (§6.2.3: default port, empty path as "/") normalisation.
func NormalizeHTU(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("not a URL")
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("not an absolute http(s) URL")
	}
	if u.User != nil {
		return "", fmt.Errorf("must not contain userinfo")
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6 literal
	}
	if port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		host += ":" + port
	}
	// Resolving against an empty base removes dot segments (RFC 3986 §5.2.4).
	p := normalizeEscapes(new(url.URL).ResolveReference(&url.URL{Scheme: scheme, Host: host, Path: u.Path, RawPath: u.RawPath}).EscapedPath())
	if p == "" {
		p = "/"
	}
	return scheme + "://" + host + p, nil
}

// normalizeEscapes decodes percent-encoded unreserved characters and writes
// the other escapes in upper case (RFC 3986 §6.2.2.1, §6.2.2.2).
func normalizeEscapes(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' || i+2 >= len(p) {
			b.WriteByte(p[i])
			continue
		}
		hi, lo := unhex(p[i+1]), unhex(p[i+2])
		if hi < 0 || lo < 0 {
			b.WriteByte(p[i])
			continue
		}
		c := byte(hi<<4 | lo)
		if isUnreserved(c) {
			b.WriteByte(c)
		} else {
			b.WriteString(strings.ToUpper(p[i : i+3]))
		}
		i += 2
	}
	return b.String()
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// NonceSource is a server's DPoP nonce (§8 at the authorization server, §9
// at a resource server): off until Require(true); Rotate replaces it. Safe
// for concurrent use; the zero value is off.
type NonceSource struct {
	mu       sync.Mutex
	required bool
	current  string
}

// Require turns nonces on or off. Turning them on makes a nonce if there is
// none yet.
func (n *NonceSource) Require(on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.required = on
	if on && n.current == "" {
		n.current = newNonce()
	}
}

// Current returns the nonce proofs must carry, or "" when nonces are off.
func (n *NonceSource) Current() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.required {
		return ""
	}
	return n.current
}

// Rotate makes a new nonce current; proofs with the old one are answered
// ErrUseNonce from now on. It returns the new nonce ("" when nonces are off).
func (n *NonceSource) Rotate() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.current = newNonce()
	if !n.required {
		return ""
	}
	return n.current
}

func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}
