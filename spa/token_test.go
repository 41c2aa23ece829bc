package spa

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func jsonResponse(status int, body string) *Response {
	return &Response{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}
}

func TestParseTokenResponse(t *testing.T) {
	tests := []struct {
		name     string
		resp     *Response
		wantCode string
		want     time.Duration
	}{
		{"ok", jsonResponse(200, `{"access_token":"at","token_type":"Bearer","expires_in":60,"id_token":"x"}`), "", time.Minute},
		{"expires_in as string", jsonResponse(200, `{"access_token":"at","token_type":"bearer","expires_in":"30"}`), "", 30 * time.Second},
		{"no expires_in", jsonResponse(200, `{"access_token":"at","token_type":"Bearer"}`), "", 0},
		{"missing access_token", jsonResponse(200, `{"token_type":"Bearer"}`), CodeInvalidResponse, 0},
		{"DPoP token type", jsonResponse(200, `{"access_token":"at","token_type":"DPoP"}`), CodeInvalidResponse, 0},
		{"negative expires_in", jsonResponse(200, `{"access_token":"at","token_type":"Bearer","expires_in":-5}`), CodeInvalidResponse, 0},
		{"expires_in not a number", jsonResponse(200, `{"access_token":"at","token_type":"Bearer","expires_in":"soon"}`), CodeInvalidResponse, 0},
		{"malformed JSON", jsonResponse(200, `{"access_token":`), CodeInvalidResponse, 0},
		{"not JSON", &Response{Status: 200, Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<html>")}, CodeInvalidResponse, 0},
		{"JSON array", jsonResponse(200, `[1,2]`), CodeInvalidResponse, 0},
		{"provider error", jsonResponse(400, `{"error":"invalid_grant","error_description":"expired"}`), "invalid_grant", 0},
		{"provider error with hostile code", jsonResponse(400, `{"error":"bad\"code"}`), CodeInvalidResponse, 0},
		{"server error HTML", &Response{Status: 502, Header: http.Header{"Content-Type": {"text/html"}}}, CodeInvalidResponse, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTokenResponse(tt.resp, "a", false)
			if tt.wantCode != "" {
				if ErrorCode(err) != tt.wantCode {
					t.Fatalf("err = %v, want code %s", err, tt.wantCode)
				}
				if strings.Contains(err.Error(), `"at"`) {
					t.Fatalf("error %q contains the token", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.AccessToken != "at" || got.ExpiresIn != tt.want {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

func FuzzParseTokenResponse(f *testing.F) {
	f.Add(200, "application/json", `{"access_token":"at","token_type":"Bearer","expires_in":60}`)
	f.Add(400, "application/json", `{"error":"invalid_grant"}`)
	f.Add(200, "text/html", `<html>`)
	f.Add(200, "application/json; charset=utf-8", `{"access_token":"","expires_in":"1e309"}`)
	f.Fuzz(func(t *testing.T, status int, ct, body string) {
		resp := &Response{Status: status, Header: http.Header{"Content-Type": {ct}}, Body: []byte(body)}
		tr, err := parseTokenResponse(resp, "a", false)
		if err == nil {
			if tr.AccessToken == "" || tr.ExpiresIn < 0 || status != 200 {
				t.Fatalf("accepted %d %q: %+v", status, body, tr)
			}
			return
		}
		if ErrorCode(err) == "" {
			t.Fatalf("error without code: %v", err)
		}
	})
}
