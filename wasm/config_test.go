package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
)

func base() map[string]any {
	return map[string]any{"configId": "a", "authority": "https://op.example", "clientId": "spa", "redirectUrl": "https://app.example/"}
}

func TestParseConfigsReadsEveryField(t *testing.T) {
	obj := base()
	for k, v := range map[string]any{
		"postLogoutRedirectUri": "https://app.example/bye", "scope": "openid offline_access", "responseType": "code",
		"secureRoutes": []any{"https://api.example/"}, "useRefreshToken": true, "silentRenew": false,
		"silentRenewUrl": "https://app.example/s.html", "silentRenewTimeoutInSeconds": 5.0, "timeoutFactor": 0.5,
		"storage": "local", "clockSkewInSeconds": 0.0, "autoUserInfo": false,
		"customParamsAuthRequest":         map[string]any{"ui_locales": "de", "max_age": 30.0, "flag": true},
		"customParamsRefreshTokenRequest": map[string]any{"resource": "x"},
		"customParamsEndSessionRequest":   map[string]any{"logout_hint": "y"},
		"frontchannelLogoutUrl":           "https://app.example/fc.html", "checkSession": true, "checkSessionIntervalInSeconds": 0.5,
		"custody": "worker", "exposeAccessToken": true,
	} {
		obj[k] = v
	}
	got, err := parseConfigs(obj)
	if err != nil {
		t.Fatal(err)
	}
	c := got[0]
	if c.ConfigID != "a" || c.PostLogoutRedirectURI != "https://app.example/bye" || !c.UseRefreshToken || !c.DisableSilentRenew ||
		c.SilentRenewTimeout != 5*time.Second || c.TimeoutFactor != 0.5 || c.Storage != "local" || c.ClockSkew != spa.NoClockSkew ||
		!c.DisableAutoUserInfo || c.SecureRoutes[0].URL != "https://api.example/" || c.CustomParamsAuthRequest["max_age"] != "30" ||
		c.CustomParamsAuthRequest["flag"] != "true" || c.CustomParamsRefreshTokenRequest["resource"] != "x" ||
		c.CustomParamsEndSessionRequest["logout_hint"] != "y" || c.FrontchannelLogoutURL != "https://app.example/fc.html" ||
		!c.CheckSession || c.CheckSessionInterval != 500*time.Millisecond || c.Custody != spa.CustodyWorker || !c.ExposeAccessToken {
		t.Fatalf("parsed %+v", c)
	}
}

func TestParseConfigsRejectsBadTypesNamingTheField(t *testing.T) {
	tests := []struct {
		name  string
		set   map[string]any
		field string
	}{
		{"URL object as authority", map[string]any{"authority": opaque{"URL object"}}, "authority"},
		{"number as clientId", map[string]any{"clientId": 42.0}, "clientId"},
		{"string as useRefreshToken", map[string]any{"useRefreshToken": "yes"}, "useRefreshToken"},
		{"string as secureRoutes", map[string]any{"secureRoutes": "https://api.example/"}, "secureRoutes"},
		{"URL object in secureRoutes", map[string]any{"secureRoutes": []any{"https://a.example/", opaque{"URL object"}}}, "secureRoutes[1]"},
		{"NaN timeout", map[string]any{"silentRenewTimeoutInSeconds": "20"}, "silentRenewTimeoutInSeconds"},
		{"zero timeout", map[string]any{"silentRenewTimeoutInSeconds": 0.0}, "silentRenewTimeoutInSeconds"},
		{"negative skew", map[string]any{"clockSkewInSeconds": -1.0}, "clockSkewInSeconds"},
		{"object in custom params", map[string]any{"customParamsAuthRequest": map[string]any{"x": []any{}}}, "customParamsAuthRequest.x"},
		{"typo clientID", map[string]any{"clientID": "spa"}, "clientID"},
		{"boolean as custody", map[string]any{"custody": true}, "custody"},
		{"string as exposeAccessToken", map[string]any{"exposeAccessToken": "yes"}, "exposeAccessToken"},
		{"zero timeoutFactor", map[string]any{"timeoutFactor": 0.0}, "timeoutFactor"},
		{"zero check-session interval", map[string]any{"checkSessionIntervalInSeconds": 0.0}, "checkSessionIntervalInSeconds"},
		{"string as checkSession", map[string]any{"checkSession": "true"}, "checkSession"},
		{"URL object as frontchannelLogoutUrl", map[string]any{"frontchannelLogoutUrl": opaque{"URL object"}}, "frontchannelLogoutUrl"},
		{"route object without url", map[string]any{"secureRoutes": []any{map[string]any{"methods": []any{"GET"}}}}, "secureRoutes[0].url"},
		{"route object with a number url", map[string]any{"secureRoutes": []any{map[string]any{"url": 1.0}}}, "secureRoutes[0].url"},
		{"route methods not an array", map[string]any{"secureRoutes": []any{"https://a.example/", map[string]any{"url": "https://b.example/", "methods": "GET"}}}, "secureRoutes[1].methods"},
		{"route method not a string", map[string]any{"secureRoutes": []any{map[string]any{"url": "https://b.example/", "methods": []any{"GET", 1.0}}}}, "secureRoutes[0].methods[1]"},
		{"route followRedirects not a boolean", map[string]any{"secureRoutes": []any{map[string]any{"url": "https://b.example/", "followRedirects": "yes"}}}, "secureRoutes[0].followRedirects"},
		{"route field typo", map[string]any{"secureRoutes": []any{map[string]any{"url": "https://b.example/", "method": []any{"GET"}}}}, "secureRoutes[0].method"},
		{"route resource not a string", map[string]any{"secureRoutes": []any{map[string]any{"url": "https://b.example/", "resource": 1.0}}}, "secureRoutes[0].resource"},
		{"route scope not a string", map[string]any{"secureRoutes": []any{map[string]any{"url": "https://b.example/", "scope": []any{"a"}}}}, "secureRoutes[0].scope"},
		{"route tokenParams not an object", map[string]any{"secureRoutes": []any{map[string]any{"url": "https://b.example/", "tokenParams": "audience=x"}}}, "secureRoutes[0].tokenParams"},
		{"route tokenParams value an object", map[string]any{"secureRoutes": []any{map[string]any{"url": "https://b.example/", "tokenParams": map[string]any{"audience": map[string]any{}}}}}, "secureRoutes[0].tokenParams.audience"},
		{"route anonymous not a boolean", map[string]any{"secureRoutes": []any{map[string]any{"url": "https://b.example/", "anonymous": "yes"}}}, "secureRoutes[0].anonymous"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := base()
			for k, v := range tt.set {
				obj[k] = v
			}
			_, err := parseConfigs([]any{obj})
			var e *spa.Error
			if !errors.As(err, &e) || e.Code != spa.CodeInvalidConfig || e.Field != tt.field || e.ConfigID != "a" {
				t.Fatalf("err = %#v, want invalid_config on field %s of config a", err, tt.field)
			}
		})
	}
	for _, v := range []any{"https://op.example", 3.0, nil, []any{"x"}} {
		if _, err := parseConfigs(v); spa.ErrorCode(err) != spa.CodeInvalidConfig {
			t.Errorf("parseConfigs(%#v) = %v", v, err)
		}
	}
}

// TestParseConfigsReadsRouteEntries: strings and objects mix in secureRoutes.
func TestParseConfigsReadsRouteEntries(t *testing.T) {
	obj := base()
	obj["secureRoutes"] = []any{"https://a.example/", map[string]any{"url": "https://b.example/x", "methods": []any{"post", "GET"}, "followRedirects": true,
		"resource": "https://b.example", "scope": "b.read", "tokenParams": map[string]any{"audience": "b", "v": 2.0}, "anonymous": true}}
	cs, err := parseConfigs([]any{obj})
	if err != nil {
		t.Fatal(err)
	}
	r := cs[0].SecureRoutes
	if len(r) != 2 || r[0].URL != "https://a.example/" || r[0].Methods != nil || r[0].FollowRedirects || !r[0].TokenOptions().IsZero() || r[0].Anonymous ||
		r[1].URL != "https://b.example/x" || strings.Join(r[1].Methods, ",") != "post,GET" || !r[1].FollowRedirects ||
		r[1].Resource != "https://b.example" || r[1].Scope != "b.read" || r[1].TokenParams["audience"] != "b" || r[1].TokenParams["v"] != "2" || !r[1].Anonymous {
		t.Fatalf("secureRoutes = %+v", r)
	}
}

func TestUndefinedFieldsMeanDefaults(t *testing.T) {
	obj := base()
	obj["scope"] = nil
	obj["silentRenew"] = nil
	got, err := parseConfigs(obj)
	if err != nil || got[0].Scope != "" || got[0].DisableSilentRenew {
		t.Fatalf("%+v %v", got, err)
	}
}
