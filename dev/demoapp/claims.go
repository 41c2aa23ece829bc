package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// claimsView is a table of claims per signed-in config.
func (s *shell) claimsView(set *settings) app.UI {
	var cards []app.UI
	for _, id := range s.status.ConfigIDs {
		st := s.state(id)
		p := set.provider(id)
		head := app.Div().Class("card-head").Body(
			app.Div().Class("provider").Body(
				app.Span().Class("provider-mark", "cfg-"+id).Text(markOf(p.Name)),
				app.H2().Text(p.Name),
			),
			statusPill(st),
		)
		if len(st.Claims) == 0 {
			cards = append(cards, app.Section().Class("card").ID("claims-"+id).Body(head,
				app.Div().Class("empty").Body(
					app.P().Text("No claims: not signed in to "+p.Name+"."),
					app.Button().Class("btn", "btn-primary").Text("Sign in").OnClick(s.login(id)),
				)))
			continue
		}
		keys := make([]string, 0, len(st.Claims))
		for k := range st.Claims {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, claimOrder)
		rows := make([]app.UI, 0, len(keys))
		for _, k := range keys {
			rows = append(rows, app.Tr().Body(
				app.Th().Class("mono").Text(k),
				app.Td().Body(claimValue(k, st.Claims[k])),
			))
		}
		cards = append(cards, app.Section().Class("card").ID("claims-"+id).Body(head,
			app.Table().Class("claims").Body(app.TBody().Body(rows...)),
			app.P().Class("muted", "small").Text("The ID token was verified (signature, iss, aud, exp, nonce) before any of this was stored."),
		))
	}
	return app.Div().Class("grid-2").Body(cards...)
}

// claimOrder puts the claims a person looks for first.
func claimOrder(a, b string) int {
	rank := func(k string) int {
		if i := slices.Index([]string{"name", "given_name", "family_name", "email", "email_verified", "preferred_username", "sub", "iss", "aud", "azp"}, k); i >= 0 {
			return i
		}
		return 100
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra - rb
	}
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// claimValue shows times as dates and everything else as JSON would.
func claimValue(k string, v any) app.UI {
	switch k {
	case "exp", "iat", "auth_time", "nbf", "updated_at":
		if f, ok := v.(float64); ok {
			t := time.Unix(int64(f), 0)
			return app.Span().Body(app.Text(t.Local().Format("2006-01-02 15:04:05")), app.Span().Class("muted", "small").Text(fmt.Sprintf("  %d", int64(f))))
		}
	}
	switch x := v.(type) {
	case string:
		return app.Text(x)
	case bool:
		if x {
			return app.Span().Class("yes").Text("true")
		}
		return app.Span().Class("no").Text("false")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return app.Text(fmt.Sprint(v))
	}
	return app.Code().Text(string(b))
}
