package spa_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/spa"
)

// TestDiscoveryFailuresSayWhatToCheck: a wrong authority shows up as a
// network failure ("Failed to fetch", a CORS refusal) or a 404; the error
// names the field and what to check, and keeps its code.
func TestDiscoveryFailuresSayWhatToCheck(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fetch spa.FetcherFunc
		code  string
		says  string
	}{
		{"no HTTP answer", func(ctx context.Context, req *spa.Request) (*spa.Response, error) {
			return nil, &spa.Error{Code: spa.CodeNetwork, Message: "GET x: no HTTP response", Err: errors.New("TypeError: Failed to fetch")}
		}, spa.CodeNetwork, "allows CORS from this page's origin"},
		{"404", func(ctx context.Context, req *spa.Request) (*spa.Response, error) {
			return &spa.Response{Status: http.StatusNotFound, Header: http.Header{"Content-Type": {"text/html"}}}, nil
		}, spa.CodeInvalidResponse, "authority must be the provider's issuer URL"},
	} {
		m := spa.NewManager(spa.Options{Fetcher: tt.fetch, Stores: map[string]spa.Store{spa.StorageSession: spa.NewMemoryStore()}})
		c := cfg("a")
		c.Authority = "https://op.example/wrong/path"
		err := m.Configure(context.Background(), []spa.Config{c})
		var e *spa.Error
		if !errors.As(err, &e) || e.Code != tt.code || e.Field != "authority" || e.ConfigID != "a" ||
			!strings.Contains(e.Message, tt.says) || !strings.Contains(e.Message, "https://op.example/wrong/path/.well-known/openid-configuration") {
			t.Errorf("%s: %#v, want %s on authority of config a, naming the URL and saying %q", tt.name, err, tt.code, tt.says)
		}
	}
}
