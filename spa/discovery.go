package spa

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// discoveryTTL is how long a stored discovery document is fresh. An older
// one is still used, so that a reload restores its sessions without waiting
// for the network, and is fetched again in the background for the next load
// (stale-while-revalidate, RFC 5861 §3).
const discoveryTTL = time.Hour

// discovery is the part of the provider metadata the client uses
// (OpenID Connect Discovery 1.0 §3, RFC 8414 §2, RFC 9207 §3).
type discovery struct {
	Issuer                string    `json:"issuer"`
	AuthorizationEndpoint string    `json:"authorization_endpoint"`
	TokenEndpoint         string    `json:"token_endpoint"`
	UserinfoEndpoint      string    `json:"userinfo_endpoint,omitempty"`
	JWKSURI               string    `json:"jwks_uri"`
	EndSessionEndpoint    string    `json:"end_session_endpoint,omitempty"`
	RevocationEndpoint    string    `json:"revocation_endpoint,omitempty"`
	IDTokenSigningAlgs    []string  `json:"id_token_signing_alg_values_supported,omitempty"`
	CodeChallengeMethods  []string  `json:"code_challenge_methods_supported,omitempty"`
	IssParameterSupported bool      `json:"authorization_response_iss_parameter_supported,omitempty"`
	PAREndpoint           string    `json:"pushed_authorization_request_endpoint,omitempty"`
	RequirePAR            bool      `json:"require_pushed_authorization_requests,omitempty"`
	DPoPAlgs              []string  `json:"dpop_signing_alg_values_supported,omitempty"`
	CheckSessionIframe    string    `json:"check_session_iframe,omitempty"`                  // Session Management 1.0 §3.3
	FrontchannelLogout    bool      `json:"frontchannel_logout_supported,omitempty"`         // Front-Channel Logout 1.0 §3
	FrontchannelSession   bool      `json:"frontchannel_logout_session_supported,omitempty"` // iss and sid are sent (§3)
	FetchedAt             time.Time `json:"fetched_at"`
}

// storedDiscovery is the versioned envelope in the store.
type storedDiscovery struct {
	_         noCompare  // no == (and no equality function in the wasm)
	V         int        `json:"v"`
	Authority string     `json:"authority"`
	Doc       *discovery `json:"doc"`
}

const storeVersion = 1

func discoveryKey(configID string) string { return "oidcwasm." + configID + ".discovery" }

// loadDiscovery returns the provider metadata for c: the stored document when
// it was fetched for the same authority and still fits c (when it is older
// than discoveryTTL it is fetched again in the background, for the next
// load), else the one at <authority>/.well-known/openid-configuration.
func loadDiscovery(ctx context.Context, f Fetcher, st Store, clk Clock, c *Config) (*discovery, error) {
	if raw, ok := st.Get(discoveryKey(c.ConfigID)); ok {
		var sd storedDiscovery
		if json.Unmarshal([]byte(raw), &sd) == nil && sd.V == storeVersion && sd.Authority == c.Authority &&
			sd.Doc != nil && sd.Doc.check(c) == nil {
			if clk.Now().Sub(sd.Doc.FetchedAt) >= discoveryTTL {
				go fetchDiscovery(context.WithoutCancel(ctx), f, st, clk, c)
			}
			return sd.Doc, nil
		}
		st.Remove(discoveryKey(c.ConfigID))
	}
	return fetchDiscovery(ctx, f, st, clk, c)
}

// fetchDiscovery fetches c's discovery document, checks it and stores it.
// When the provider answers with one that fails, a kept document goes too
// (a background refresh's failure then shows at the next configure instead
// of the old document staying in use); a network failure keeps it.
func fetchDiscovery(ctx context.Context, f Fetcher, st Store, clk Clock, c *Config) (_ *discovery, err error) {
	defer func() {
		if err != nil && ErrorCode(err) != CodeNetwork {
			st.Remove(discoveryKey(c.ConfigID))
		}
	}()
	where := c.Authority + "/.well-known/openid-configuration"
	resp, err := getJSON(ctx, f, where)
	if err != nil {
		if ErrorCode(err) == CodeNetwork {
			// The browser says only "Failed to fetch": name what to check.
			return nil, &Error{Code: CodeNetwork, ConfigID: c.ConfigID, Field: "authority", Err: err, Message: fmt.Sprintf(
				"cannot load the provider's discovery document %s: check that authority is the provider's issuer URL, "+
					"that the provider is up, and that it allows CORS from this page's origin", RedactURL(where))}
		}
		return nil, withConfig(err, c.ConfigID)
	}
	var d discovery
	if err := decodeJSON(resp, c.ConfigID, "discovery", &d); err != nil {
		if resp.Status == http.StatusNotFound {
			return nil, &Error{Code: CodeInvalidResponse, ConfigID: c.ConfigID, Field: "authority", Err: err, Message: fmt.Sprintf(
				"%s answered HTTP 404: authority must be the provider's issuer URL, the part before /.well-known/openid-configuration", RedactURL(where))}
		}
		return nil, err
	}
	if err := d.check(c); err != nil {
		return nil, err
	}
	d.FetchedAt = clk.Now()
	if b, err := json.Marshal(storedDiscovery{V: storeVersion, Authority: c.Authority, Doc: &d}); err == nil {
		_ = st.Set(discoveryKey(c.ConfigID), string(b)) // a cache: failing to store costs a refetch only
	}
	return &d, nil
}

// check validates the document against the config.
func (d *discovery) check(c *Config) error {
	// OpenID Connect Discovery §4.3: the issuer MUST be identical to the URL the
	// configuration was fetched for (we ignore a trailing slash on either side).
	if strings.TrimSuffix(d.Issuer, "/") != c.Authority {
		return &Error{Code: CodeIssMismatch, ConfigID: c.ConfigID, Field: "authority",
			Message: "discovery issuer " + quote(d.Issuer) + " is not the authority " + quote(c.Authority) + " (OpenID Connect Discovery §4.3)"}
	}
	for _, e := range []struct{ name, v string }{
		{"authorization_endpoint", d.AuthorizationEndpoint},
		{"token_endpoint", d.TokenEndpoint},
		{"jwks_uri", d.JWKSURI},
	} {
		if err := checkURL(c.ConfigID, "discovery "+e.name, e.v, true); err != nil {
			err.(*Error).Code = CodeInvalidResponse
			return err
		}
	}
	for _, e := range []struct{ name, v string }{
		{"userinfo_endpoint", d.UserinfoEndpoint},
		{"end_session_endpoint", d.EndSessionEndpoint},
		{"revocation_endpoint", d.RevocationEndpoint},
		{"pushed_authorization_request_endpoint", d.PAREndpoint},
		{"check_session_iframe", d.CheckSessionIframe},
	} {
		if e.v == "" {
			continue
		}
		if err := checkURL(c.ConfigID, "discovery "+e.name, e.v, false); err != nil {
			err.(*Error).Code = CodeInvalidResponse
			return err
		}
	}
	if len(d.CodeChallengeMethods) > 0 && !slices.Contains(d.CodeChallengeMethods, "S256") {
		return newError(CodeInvalidResponse, c.ConfigID, "the provider does not support PKCE S256 (code_challenge_methods_supported: %v; RFC 7636 §4.2)", d.CodeChallengeMethods)
	}
	field, msg := "", ""
	switch {
	case d.PAREndpoint == "" && (c.UsePushedAuthorisationRequests || d.RequirePAR):
		field, msg = "usePushedAuthorisationRequests", "pushed authorization requests are on, but the provider has no pushed_authorization_request_endpoint (RFC 9126 §5)"
	case c.DPoP && len(d.DPoPAlgs) > 0 && !slices.Contains(d.DPoPAlgs, "ES256"):
		field, msg = "dpop", "dpop is on, but the provider takes no ES256 proofs (dpop_signing_alg_values_supported, RFC 9449 §5.1)"
	default:
		return nil
	}
	return &Error{Code: CodeUnsupported, ConfigID: c.ConfigID, Field: field, Message: msg}
}

func quote(s string) string { return `"` + s + `"` }
