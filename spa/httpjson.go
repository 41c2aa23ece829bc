package spa

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// MaxResponseBody bounds what the core reads from any endpoint: 1 MiB (a
// Fetcher may stop reading there; web.Fetcher does).
const MaxResponseBody = 1 << 20

// formPost is an application/x-www-form-urlencoded POST. A public client
// puts client_id in the body and never sends an Authorization header to the
// token endpoint (RFC 6749 §2.3.1, §3.2.1): a Basic header makes the browser
// preflight and some providers refuse it.
func formPost(endpoint string, form url.Values) *Request {
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("Accept", "application/json")
	return &Request{Method: http.MethodPost, URL: endpoint, Header: h, Body: []byte(form.Encode())}
}

// getJSON sends a GET with Accept: application/json, with no credentials.
func getJSON(ctx context.Context, f Fetcher, endpoint string) (*Response, error) {
	h := http.Header{}
	h.Set("Accept", "application/json")
	return f.Fetch(ctx, &Request{Method: http.MethodGet, URL: endpoint, Header: h})
}

// isJSON reports whether a Content-Type is application/json or a +json type.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// decodeJSON decodes a 200 JSON response into v; what fails is an
// invalid_response that names the endpoint (what), never the body.
func decodeJSON(resp *Response, configID, what string, v any) error {
	if resp.Status != http.StatusOK {
		return newError(CodeInvalidResponse, configID, "%s answered HTTP %d", what, resp.Status)
	}
	if !isJSON(resp.Header.Get("Content-Type")) {
		return newError(CodeInvalidResponse, configID, "%s answered Content-Type %q, not JSON", what, resp.Header.Get("Content-Type"))
	}
	if len(resp.Body) > MaxResponseBody {
		return newError(CodeInvalidResponse, configID, "%s answered more than %d bytes", what, MaxResponseBody)
	}
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return wrapError(CodeInvalidResponse, configID, err, "%s answered malformed JSON", what)
	}
	return nil
}

// oauthError turns an RFC 6749 §5.2 error response into an *Error whose Code is
// the provider's error code. It returns nil when resp is not such a response.
func oauthError(resp *Response, configID, what string) *Error {
	if resp.Status < 400 || !isJSON(resp.Header.Get("Content-Type")) {
		return nil
	}
	var e struct {
		_           noCompare
		Error       string `json:"error"`
		Description string `json:"error_description"`
		URI         string `json:"error_uri"`
	}
	if json.Unmarshal(resp.Body, &e) != nil || !validErrorCode(e.Error) {
		return nil
	}
	return &Error{Code: e.Error, ConfigID: configID, Message: what + " refused the request: " + e.Error,
		Description: e.Description, URI: e.URI}
}

// validErrorCode checks RFC 6749 §5.2's character set for error codes, so that a
// hostile provider cannot put arbitrary text into the stable Code field.
func validErrorCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return false
		}
	}
	return true
}
