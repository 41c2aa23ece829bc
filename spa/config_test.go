package spa

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func validConfig(id string) Config {
	return Config{ConfigID: id, Authority: "https://op.example.com", ClientID: "spa", RedirectURL: "https://app.example.com/cb"}
}

func TestValidateConfigsNamesConfigAndField(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		field  string
	}{
		{"missing authority", func(c *Config) { c.Authority = "" }, "authority"},
		{"relative authority", func(c *Config) { c.Authority = "/op" }, "authority"},
		{"non-http authority", func(c *Config) { c.Authority = "ftp://op.example.com" }, "authority"},
		{"authority with userinfo", func(c *Config) { c.Authority = "https://u:p@op.example.com" }, "authority"},
		{"missing clientId", func(c *Config) { c.ClientID = " " }, "clientId"},
		{"missing redirectUrl", func(c *Config) { c.RedirectURL = "" }, "redirectUrl"},
		{"redirectUrl with fragment", func(c *Config) { c.RedirectURL = "https://app.example.com/#x" }, "redirectUrl"},
		{"malformed postLogoutRedirectUri", func(c *Config) { c.PostLogoutRedirectURI = "::bad" }, "postLogoutRedirectUri"},
		{"implicit flow", func(c *Config) { c.ResponseType = "id_token token" }, "responseType"},
		{"scope without openid", func(c *Config) { c.Scope = "profile" }, "scope"},
		{"timeoutFactor 1", func(c *Config) { c.TimeoutFactor = 1 }, "timeoutFactor"},
		{"timeoutFactor negative", func(c *Config) { c.TimeoutFactor = -0.5 }, "timeoutFactor"},
		{"negative silent renew timeout", func(c *Config) { c.SilentRenewTimeout = -time.Second }, "silentRenewTimeoutInSeconds"},
		{"negative clock skew", func(c *Config) { c.ClockSkew = -time.Second }, "clockSkewInSeconds"},
		{"unknown storage", func(c *Config) { c.Storage = "cookie" }, "storage"},
		{"bad silentRenewUrl", func(c *Config) { c.SilentRenewURL = "silent.html" }, "silentRenewUrl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig("a")
			tt.mutate(&c)
			_, err := validateConfigs([]Config{c})
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeInvalidConfig || e.ConfigID != "a" || e.Field != tt.field {
				t.Fatalf("err = %#v, want invalid_config for config a field %s", err, tt.field)
			}
			if !strings.Contains(err.Error(), `config "a"`) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("message %q does not name the config and field", err)
			}
		})
	}
}

func TestValidateConfigsIDs(t *testing.T) {
	if _, err := validateConfigs(nil); ErrorCode(err) != CodeInvalidConfig {
		t.Fatalf("no configs: %v", err)
	}
	lone := validConfig("")
	got, err := validateConfigs([]Config{lone})
	if err != nil || got[0].ConfigID != "default" {
		t.Fatalf("a lone config without ID: %v, %+v", err, got)
	}
	if _, err := validateConfigs([]Config{validConfig("a"), validConfig("")}); ErrorCode(err) != CodeInvalidConfig || !strings.Contains(err.Error(), "configs[1].configId") {
		t.Fatalf("second config without ID: %v", err)
	}
	if _, err := validateConfigs([]Config{validConfig("a"), validConfig("a")}); ErrorCode(err) != CodeInvalidConfig || !strings.Contains(err.Error(), "configId") {
		t.Fatalf("duplicate IDs: %v", err)
	}
}

func TestConfigDefaults(t *testing.T) {
	c := validConfig("a").withDefaults()
	if c.Scope != DefaultScope || c.ResponseType != "code" || c.TimeoutFactor != 0.75 || c.Storage != StorageSession ||
		c.ClockSkew != time.Minute || c.SilentRenewTimeout != 20*time.Second || c.SilentRenewURL != "https://app.example.com/silent-refresh.html" {
		t.Fatalf("defaults: %+v", c)
	}
	none := validConfig("a")
	none.ClockSkew = NoClockSkew
	if got, err := validateConfigs([]Config{none}); err != nil || got[0].ClockSkew != NoClockSkew {
		t.Fatalf("NoClockSkew: %v, ClockSkew %v; want accepted and kept", err, got[0].ClockSkew)
	}
}
