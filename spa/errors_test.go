package spa_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/oidcwasm/oidcwasm/spa"
)

// TestErrorsIsMatchesByCodeAndOptionallyConfig: errors.Is(err,
// &spa.Error{Code: c}) is how a caller asks "is this c?", through any
// wrapping; a ConfigID in the target narrows it to that config.
func TestErrorsIsMatchesByCodeAndOptionallyConfig(t *testing.T) {
	err := fmt.Errorf("renewing: %w", &spa.Error{Code: spa.CodeLoginRequired, ConfigID: "a", Message: "not signed in"})
	for _, tt := range []struct {
		target *spa.Error
		want   bool
	}{
		{&spa.Error{Code: spa.CodeLoginRequired}, true},
		{&spa.Error{Code: spa.CodeLoginRequired, ConfigID: "a"}, true},
		{&spa.Error{Code: spa.CodeLoginRequired, ConfigID: "b"}, false},
		{&spa.Error{Code: spa.CodeTimeout}, false},
		{&spa.Error{Code: spa.CodeTimeout, ConfigID: "a"}, false},
	} {
		if got := errors.Is(err, tt.target); got != tt.want {
			t.Errorf("errors.Is(err, {Code %q, ConfigID %q}) = %v, want %v", tt.target.Code, tt.target.ConfigID, got, tt.want)
		}
	}
	if errors.Is(err, errors.New("login_required")) {
		t.Error("errors.Is matched an error that is no *spa.Error")
	}
}

// TestErrorMessageSaysEverythingItHas: the config, the field, the message
// (or the code when there is none), the provider's description and the cause.
func TestErrorMessageSaysEverythingItHas(t *testing.T) {
	for _, tt := range []struct {
		err  *spa.Error
		want string
	}{
		{&spa.Error{Code: "access_denied"}, "oidcwasm: access_denied"},
		{&spa.Error{Code: "access_denied", ConfigID: "a", Description: "the user said no"}, `oidcwasm: config "a": access_denied: the user said no`},
		{&spa.Error{Code: spa.CodeInvalidConfig, ConfigID: "a", Field: "clientId", Message: "is required"}, `oidcwasm: config "a": clientId: is required`},
		{&spa.Error{Code: spa.CodeNetwork, Message: "GET x failed", Err: errors.New("offline")}, "oidcwasm: GET x failed: offline"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
