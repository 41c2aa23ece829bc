package spa

import (
	"errors"
	"strings"
	"testing"
)

func TestCustodyConfig(t *testing.T) {
	worker := func(c *Config) { c.Custody = CustodyWorker }
	tests := []struct {
		name   string
		mutate func(*Config)
		field  string // "" means valid
	}{
		{"zero value is page custody", func(c *Config) {}, ""},
		{"page custody spelt out", func(c *Config) { c.Custody = CustodyPage }, ""},
		{"worker custody", worker, ""},
		{"worker custody exposing the token", func(c *Config) { worker(c); c.ExposeAccessToken = true }, ""},
		{"worker custody with memory storage", func(c *Config) { worker(c); c.Storage = StorageMemory }, ""},
		{"unknown custody", func(c *Config) { c.Custody = "cookie" }, "custody"},
		{"custody in capitals", func(c *Config) { c.Custody = "Worker" }, "custody"},
		{"exposeAccessToken with page custody", func(c *Config) { c.ExposeAccessToken = true }, "exposeAccessToken"},
		{"worker custody with session storage", func(c *Config) { worker(c); c.Storage = StorageSession }, "storage"},
		{"worker custody with local storage", func(c *Config) { worker(c); c.Storage = StorageLocal }, "storage"},
		{"worker custody with dpop", func(c *Config) { worker(c); c.DPoP = true }, ""},
		{"worker custody with checkSession", func(c *Config) { worker(c); c.CheckSession = true }, "checkSession"},
		{"worker custody with front-channel logout", func(c *Config) {
			worker(c)
			c.FrontchannelLogoutURL = "https://app.example.com/fc.html"
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig("a")
			tt.mutate(&c)
			got, err := validateConfigs([]Config{c})
			if tt.field == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if got[0].WorkerCustody() != (c.Custody == CustodyWorker) {
					t.Fatalf("WorkerCustody() = %v for custody %q", got[0].WorkerCustody(), c.Custody)
				}
				if got[0].WorkerCustody() && got[0].Storage != StorageMemory {
					t.Fatalf("worker custody defaults storage to %q, want memory", got[0].Storage)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeInvalidConfig || e.ConfigID != "a" || e.Field != tt.field {
				t.Fatalf("err = %v, want invalid_config for config a field %s", err, tt.field)
			}
			if !strings.Contains(err.Error(), `config "a"`) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("message %q does not name the config and field", err)
			}
		})
	}
}

func TestPageCustodyKeepsSessionStorageDefault(t *testing.T) {
	got, err := validateConfigs([]Config{validConfig("a")})
	if err != nil || got[0].Storage != StorageSession {
		t.Fatalf("page custody storage = %q, %v; want session (unchanged)", got[0].Storage, err)
	}
}
