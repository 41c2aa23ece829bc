package demo

import (
	"net/http"
	"strings"
	"testing"
)

// TestFrontchannelLogoutPageIsServedForTheProvidersOnly: the app serves the
// front-channel logout page that both demo configs name, and only the
// bundled providers may frame it; an external provider's origin takes
// their place.
func TestFrontchannelLogoutPageIsServedForTheProvidersOnly(t *testing.T) {
	d := startDemo(t, Config{})
	resp, body := get(t, d.AppURL()+FrontchannelLogoutPath+"?iss=x&sid=y")
	csp := resp.Header.Get("Content-Security-Policy")
	want := "frame-ancestors " + d.ProviderA().Issuer() + " " + d.ProviderB().Issuer()
	if resp.StatusCode != http.StatusOK || !strings.HasSuffix(csp, want) || !strings.Contains(body, "oidcwasm.frontchannel-logout") {
		t.Fatalf("GET %s: %s, CSP %q (want it to end in %q)", FrontchannelLogoutPath, resp.Status, csp, want)
	}
	for _, c := range d.Settings().Bridge.Configs {
		if c.FrontchannelLogoutURL != d.AppURL()+FrontchannelLogoutPath {
			t.Errorf("config %s: frontchannelLogoutUrl %q", c.ConfigID, c.FrontchannelLogoutURL)
		}
	}
	for _, p := range d.Settings().Providers {
		if p.SignOutURL != p.Issuer+"/signout" {
			t.Errorf("provider %s: signOutUrl %q", p.ConfigID, p.SignOutURL)
		}
	}

	ext := startDemo(t, Config{Issuer: "https://id.example.com/realms/demo", ClientID: "spa"})
	resp, _ = get(t, ext.AppURL()+FrontchannelLogoutPath)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors https://id.example.com") {
		t.Fatalf("external provider: CSP %q", csp)
	}
	if c := ext.Settings().Bridge.Configs[0]; c.FrontchannelLogoutURL != "" || ext.Settings().Providers[0].SignOutURL != "" {
		t.Errorf("external provider: %+v, %+v: its support is unknown", c, ext.Settings().Providers[0])
	}
}
