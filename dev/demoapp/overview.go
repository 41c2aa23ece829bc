package main

import (
	"fmt"
	"net/url"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web/goapp"
)

// overview is a card per config: who is signed in, the access token's life,
// and the session's buttons.
func (s *shell) overview(set *settings) app.UI {
	var cards []app.UI
	for _, id := range s.status.ConfigIDs {
		cards = append(cards, s.sessionCard(set, id))
	}
	return app.Div().Body(
		app.Div().Class("grid-2").Body(cards...),
		app.Section().Class("card", "explain").Body(
			app.H2().Text("What happens here"),
			app.Ul().Body(
				app.Li().Body(app.B().Text("Sign in"), app.Text(" runs the authorization code flow with PKCE. The page leaves for the provider with location.assign and comes back to where it was.")),
				app.Li().Body(app.B().Text("Renewal"), app.Text(" starts on its own at 75% of the token's lifetime: "+set.provider(first(s.status.ConfigIDs)).Name+" with its refresh token, the other in a hidden iframe with prompt=none.")),
				app.Li().Body(app.B().Text("Sign out"), app.Text(" ends one config's session at its provider; the other stays signed in.")),
				app.Li().Body(app.B().Text("Sign out at the provider"), app.Text(" opens the provider's own sign-out page in a new tab: signing out there signs this config out in every tab of the demo, by front-channel logout.")),
				app.Li().Body(app.B().Text("Every panel"), app.Text(" is a go-app component observing the state the integration publishes (oidcwasm.auth.<configId>).")),
			),
		),
	)
}

func first(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

func (s *shell) sessionCard(set *settings, id string) app.UI {
	st := s.state(id)
	p := set.provider(id)
	c := set.config(id)
	method := "Renews in a hidden iframe"
	if c.UseRefreshToken {
		method = "Renews with a refresh token"
	}
	head := app.Div().Class("card-head").Body(
		app.Div().Class("provider").Body(
			app.Span().Class("provider-mark", "cfg-"+id).Text(markOf(p.Name)),
			app.Div().Body(
				app.H2().Text(p.Name),
				app.Div().Class("muted", "small", "mono").Text(hostOf(p.Issuer)),
			),
		),
		statusPill(st),
	)
	var body app.UI
	switch {
	case !st.Ready:
		body = app.Div().Class("session-empty").Body(app.Span().Class("spinner"), app.Text("Restoring session…"))
	case st.SignedIn || st.Subject != "":
		body = s.signedIn(st)
	default:
		hint := app.UI(nil)
		if len(p.Users) > 0 {
			hint = app.P().Class("muted", "small").Text("Demo accounts: " + joinUsers(p.Users))
		}
		what := "Not signed in"
		if st.LogoutReason == spa.ReasonProvider {
			what = "Signed out by the provider" // front-channel logout, check-session, a refused renewal
		}
		body = app.Div().Class("session-empty").Body(
			app.Div().Class("avatar", "avatar-empty").Text("?"),
			app.Div().Body(app.P().ID("signed-out-"+id).Text(what), hint),
		)
	}
	return app.Section().Class("card", "session", "cfg-"+id).ID("session-"+id).Body(
		head,
		app.Div().Class("method", "small").Body(
			app.Span().Class("tag").Text(method),
			app.Span().Class("tag").Text("config "+id),
			app.Span().Class("tag").Text("client "+c.ClientID),
			app.If(c.DPoP, func() app.UI { return app.Span().Class("tag").Text("DPoP: tokens bound to this browser's key") }),
		),
		body,
		errorNote(st),
		s.sessionActions(id, st, p.SignOutURL),
	)
}

func (s *shell) signedIn(st goapp.AuthState) app.UI {
	name := displayName(st)
	email, _ := st.Claims["email"].(string)
	return app.Div().Class("session-user").Body(
		app.Div().Class("user-row").Body(
			app.Div().Class("avatar", "cfg-"+st.ConfigID).Text(initials(name)),
			app.Div().Body(
				app.Div().Class("user-name").ID("user-"+st.ConfigID).Text(name),
				app.Div().Class("muted", "small").Text(orDash(email)+" · sub "+st.Subject),
			),
		),
		tokenMeter(st, s.now),
	)
}

// tokenMeter is a bar for the access token's life: elapsed, the renewal
// point, the time left.
func tokenMeter(st goapp.AuthState, now time.Time) app.UI {
	if st.ExpiresAt.IsZero() || st.IssuedAt.IsZero() {
		return app.P().Class("muted", "small").Text("The access token has been revoked or has no known lifetime: the next use renews it.")
	}
	life := st.ExpiresAt.Sub(st.IssuedAt)
	pct := func(t time.Time) float64 {
		f := float64(t.Sub(st.IssuedAt)) / float64(life) * 100
		return max(0, min(100, f))
	}
	left := st.ExpiresAt.Sub(now)
	renewIn := st.RenewAt.Sub(now)
	var renewText string
	switch {
	case st.Renewing:
		renewText = "renewing now…"
	case renewIn > 0:
		renewText = "renews in " + short(renewIn)
	case left > 0:
		renewText = "renewal due"
	default:
		renewText = "expired"
	}
	return app.Div().Class("meter-wrap").Body(
		app.Div().Class("meter-labels", "small").Body(
			app.Span().Text("Access token"),
			app.Span().Class("muted").ID("expires-"+st.ConfigID).Text(expiresText(left)+" · "+renewText),
		),
		app.Div().Class("meter").Aria("label", "access token lifetime").Body(
			app.Div().Class("meter-fill", "cfg-"+st.ConfigID).Style("width", fmt.Sprintf("%.1f%%", pct(now))),
			app.Div().Class("meter-renew").Style("left", fmt.Sprintf("%.1f%%", pct(st.RenewAt))).Title("renewal point"),
		),
		app.Div().Class("meter-scale", "small", "muted").Body(
			app.Span().Text("issued "+clock(st.IssuedAt)),
			app.Span().Text("renew "+clock(st.RenewAt)),
			app.Span().Text("expires "+clock(st.ExpiresAt)),
		),
	)
}

func expiresText(left time.Duration) string {
	if left <= 0 {
		return "expired"
	}
	return "expires in " + short(left)
}

func (s *shell) sessionActions(id string, st goapp.AuthState, providerSignOut string) app.UI {
	if !st.Ready {
		return nil
	}
	if !st.SignedIn && st.Subject == "" {
		return app.Div().Class("actions").Body(
			app.Button().Class("btn", "btn-primary").ID("login-"+id).Text("Sign in").OnClick(s.login(id)),
			app.Button().Class("btn").ID("popup-"+id).Text("Sign in with a popup").
				Title("The same flow in a popup window: this page stays").OnClick(s.loginPopup(id)),
		)
	}
	return app.Div().Class("actions").Body(
		app.Button().Class("btn").ID("renew-"+id).Text("Renew now").Disabled(st.Renewing).OnClick(s.renew(id)),
		app.Button().Class("btn").ID("revoke-"+id).Text("Revoke token").
			Title("RFC 7009: the provider forgets the token; the next use renews it").OnClick(s.revoke(id)),
		app.Button().Class("btn").ID("forget-"+id).Text("Revoke all").
			Title("Revoke the refresh and access tokens (RFC 7009), then sign out here and at the provider").OnClick(s.revokeAndForget(id)),
		// Another origin: go-app opens it in a new tab. Signing out there
		// signs every tab of this app out (front-channel logout).
		app.If(providerSignOut != "", func() app.UI {
			return app.A().Class("btn").ID("provider-signout-" + id).Href(providerSignOut).Target("_blank").Text("Sign out at the provider ↗").
				Title("The provider's own sign-out page: this app hears of it by front-channel logout, in every tab")
		}),
		app.Button().Class("btn", "btn-danger", "push-right").ID("logout-"+id).Text("Sign out").
			Title("End the session here and at the provider").OnClick(s.logout(id)),
	)
}

// sessionStatus is a config's one status, shown by the card's pill and the
// sidebar alike: a session whose access token expired or was revoked is
// still a session (the next use renews it), not "signed out".
func sessionStatus(st goapp.AuthState) (kind, label string) {
	switch {
	case !st.Ready:
		return "", "…"
	case st.Renewing:
		return "busy", "Renewing"
	case st.SignedIn:
		return "on", "Signed in"
	case st.Subject != "":
		return "warn", "Signed in · needs a new token"
	}
	return "off", "Signed out"
}

func statusPill(st goapp.AuthState) app.UI {
	kind, label := sessionStatus(st)
	if kind == "" {
		return app.Span().Class("pill").Text(label)
	}
	classes := []string{"pill"}
	if kind != "off" {
		classes = append(classes, "pill-"+kind)
	}
	return app.Span().Class(classes...).ID("pill-" + st.ConfigID).Title(statusHint(kind)).Text(label)
}

func statusHint(kind string) string {
	if kind == "warn" {
		return "The access token expired or was revoked; the next API call or renewal gets a new one"
	}
	return ""
}

func errorNote(st goapp.AuthState) app.UI {
	if st.ErrorCode == "" {
		return nil
	}
	return app.Div().Class("note-bad", "small").ID("error-"+st.ConfigID).Body(
		app.B().Text(st.ErrorCode), app.Text(" · "+st.Error))
}

func displayName(st goapp.AuthState) string {
	for _, k := range []string{"name", "preferred_username", "email"} {
		if v, ok := st.Claims[k].(string); ok && v != "" {
			return v
		}
	}
	return st.Subject
}

func initials(name string) string {
	var out []rune
	prev := ' '
	for _, r := range name {
		if prev == ' ' && r != ' ' && len(out) < 2 {
			out = append(out, r)
		}
		prev = r
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

func markOf(name string) string {
	if r := []rune(name); len(r) > 0 {
		return string(r[len(r)-1])
	}
	return "?"
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}

func joinUsers(users []string) string {
	out := ""
	for i, u := range users {
		if i > 0 {
			out += ", "
		}
		out += u
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func short(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%d s", int(d.Seconds()))
	}
	m := int(d.Minutes())
	sec := int(d.Seconds()) - 60*m
	if sec == 0 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d min %d s", m, sec)
}

func clock(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("15:04:05")
}
