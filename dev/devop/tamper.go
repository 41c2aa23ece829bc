package devop

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// The tamper modes of FailNextToken: the token endpoint answers as usual,
// but with an ID token that fails one check a relying party must make
// (OpenID Connect Core §3.1.3.7, §3.1.3.8), signed again with the provider's
// own key where the change is a claim, so that only that one check can catch
// it. A relying party that verifies before it uses sends the answer's tokens
// nowhere; Tampered names them so a test can look for them.
const (
	TamperSignature FailMode = "id_token_signature" // the signature of another content
	TamperAtHash    FailMode = "id_token_at_hash"   // at_hash of another access token
	TamperNonce     FailMode = "id_token_nonce"     // a nonce the request did not send
	TamperIssuer    FailMode = "id_token_iss"       // another issuer
	TamperAudience  FailMode = "id_token_aud"       // another client
)

var tamperModes = []FailMode{TamperSignature, TamperAtHash, TamperNonce, TamperIssuer, TamperAudience}

func isTamper(m FailMode) bool { return slices.Contains(tamperModes, m) }

// Fingerprint names a token without showing it: the first 12 hex digits of
// its SHA-256 (the sample APIs of package demo name what they got so too).
func Fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:6])
}

// Tampered returns the fingerprints of the access and refresh tokens that
// answers changed by a tamper mode carried, in order.
func (s *Server) Tampered() []string {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return slices.Clone(s.faults.tampered)
}

// bufferedResponse keeps what a handler writes, for tamper to change.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

// tamper serves r with next and changes the ID token of its answer as mode
// says. An answer without an ID token (an error) goes out unchanged.
func (s *Server) tamper(w http.ResponseWriter, r *http.Request, next http.Handler, mode FailMode) {
	buf := &bufferedResponse{header: http.Header{}}
	next.ServeHTTP(buf, r)
	body := buf.body.Bytes()
	var answer map[string]any
	if buf.status == http.StatusOK && json.Unmarshal(body, &answer) == nil {
		if idt, _ := answer["id_token"].(string); idt != "" {
			if changed, err := s.changeIDToken(idt, mode); err == nil {
				answer["id_token"] = changed
				body, _ = json.Marshal(answer)
				s.faults.mu.Lock()
				for _, k := range []string{"access_token", "refresh_token"} {
					if tok, _ := answer[k].(string); tok != "" {
						s.faults.tampered = append(s.faults.tampered, Fingerprint(tok))
					}
				}
				s.faults.mu.Unlock()
			}
		}
	}
	for k, v := range buf.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if buf.status == 0 {
		buf.status = http.StatusOK
	}
	w.WriteHeader(buf.status)
	w.Write(body)
}

// changeIDToken returns raw changed as mode says.
func (s *Server) changeIDToken(raw string, mode FailMode) (string, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("devop: tamper: not a compact JWS")
	}
	if mode == TamperSignature {
		sig := []byte(parts[2])
		sig[5] = map[bool]byte{true: 'B', false: 'A'}[sig[5] == 'A']
		return parts[0] + "." + parts[1] + "." + string(sig), nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", err
	}
	switch mode {
	case TamperAtHash:
		sum := sha256.Sum256([]byte("another access token"))
		claims["at_hash"] = base64.RawURLEncoding.EncodeToString(sum[:16]) // the left half, §3.1.3.8
	case TamperNonce:
		claims["nonce"] = "devop-tampered-nonce"
	case TamperIssuer:
		claims["iss"] = "https://tampered.invalid"
	case TamperAudience:
		claims["aud"] = "devop-tampered-client"
	}
	key := s.keys.current()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: key.SignatureAlgorithm(), Key: key.Key()},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", key.ID()))
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(b)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}
