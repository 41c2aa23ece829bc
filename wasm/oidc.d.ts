// Type declarations of the oidcwasm JS bridge (globalThis.oidc), loaded by oidc.js.
// Names follow angular-auth-oidc-client so that a migration is a search-and-replace.

export {};

declare global {
  /** One OpenID Provider configuration. */
  interface OidcConfig {
    /** Required when there are several configs; a config without one is "default". Methods called
     * without a configId mean the only config, or the first one given to configure. */
    configId?: string;
    /** The provider's issuer URL. */
    authority: string;
    clientId: string;
    redirectUrl: string;
    postLogoutRedirectUri?: string;
    /** Default "openid profile"; add "offline_access" to get a refresh token. */
    scope?: string;
    /** Only "code" (authorization code flow with PKCE). */
    responseType?: "code";
    /** URLs whose requests carry this config's access token (see the README's matching rules). */
    secureRoutes?: (string | OidcRouteEntry)[];
    useRefreshToken?: boolean;
    /** Automatic renewal; default true. */
    silentRenew?: boolean;
    /** Default `<origin>/silent-refresh.html`. */
    silentRenewUrl?: string;
    /** Redirect URI of authorizeWithPopUp; default silentRenewUrl (silent-refresh.html serves both). */
    popupRedirectUrl?: string;
    /** Default 20. */
    silentRenewTimeoutInSeconds?: number;
    /** Fraction of the access token's lifetime after which it is renewed; default 0.75. */
    timeoutFactor?: number;
    /** Default "session". */
    storage?: "session" | "local" | "memory";
    /** Allowed on the ID token's time claims; default 60. */
    clockSkewInSeconds?: number;
    /** Default true. */
    autoUserInfo?: boolean;
    customParamsAuthRequest?: Record<string, string | number | boolean>;
    customParamsRefreshTokenRequest?: Record<string, string | number | boolean>;
    customParamsEndSessionRequest?: Record<string, string | number | boolean>;
    /** DPoP (RFC 9449): tokens bound to a non-extractable key of this browser, kept in IndexedDB;
     * every token request and secure-route request carries a proof. Default false. */
    dpop?: boolean;
    /** Pushed authorization requests (RFC 9126): the browser navigates with client_id and
     * request_uri only. Default false; on by itself when the provider requires it. */
    usePushedAuthorisationRequests?: boolean;
    /** OpenID Connect Front-Channel Logout 1.0: the app's frontchannel-logout.html (copy it beside
     * silent-refresh.html), registered at the provider as frontchannel_logout_uri with
     * frontchannel_logout_session_required. When the user's session there ends, the provider loads it
     * with iss and sid, and this config's session ends in every tab of the origin whose session has
     * that sid (loggedOut, reason "provider"); any other load changes nothing and says why in the
     * console. Must be on redirectUrl's origin. Default: off. */
    frontchannelLogoutUrl?: string;
    /** OpenID Connect Session Management 1.0, where discovery names a check_session_iframe: ask it
     * every checkSessionIntervalInSeconds whether the session changed; "changed" renews once with
     * prompt=none, which ends the session when the provider's is over (loggedOut, reason
     * "provider"); "error" or no answer stops with checkSessionFailed. Default false. */
    checkSession?: boolean;
    /** Default 3. */
    checkSessionIntervalInSeconds?: number;
    /** Where the tokens live. "page" (default): in the page's module. "worker": only in the
     * service worker oidc/oidc-sw.js, which adds them to the requests of the pages it controls;
     * getAccessToken and getIdToken reject with token_in_worker (getUserData has the ID token's
     * claims), and a page the worker does not control reports
     * worker_unavailable and sends no token. storage must be left out (the worker's memory), and
     * dpop, checkSession and frontchannelLogoutUrl are not supported with it yet. */
    custody?: "page" | "worker";
    /** With custody "worker": let getAccessToken hand the access token to the page. Default false;
     * invalid_config with custody "page". */
    exposeAccessToken?: boolean;
  }

  /** One config's state after checkAuth (angular-auth-oidc-client's LoginResponse). */
  interface OidcLoginResponse {
    configId: string;
    isAuthenticated: boolean;
    userData: Record<string, unknown> | null;
    errorMessage: string | null;
    /** The return URL given to authorize, after a completed callback. */
    returnUrl?: string | null;
  }

  /** A secure route with options. Its identity is the normalised url plus its methods; two configs
   * claiming one identity (or one method of it) is invalid_config. The most specific entry wins:
   * the longer path, then an entry with methods over one without. resource, scope and tokenParams
   * say which access token the entry's requests carry (see OidcTokenOptions); without them, the
   * login's own. */
  interface OidcRouteEntry extends OidcTokenOptions {
    url: string;
    /** Only these HTTP methods get the token (case-insensitive); every method when left out. */
    methods?: string[];
    /** While the config has no session, send the request without a token instead of rejecting
     * with login_required. */
    anonymous?: boolean;
    /** Let the browser follow redirects with the token. Off: a redirect answer rejects with
     * redirect_blocked, since a same-origin hop would carry the token out of the route. */
    followRedirects?: boolean;
  }

  /** Which access token: one per API (RFC 8707). The authorization request names every resource of
   * a config's entries; the token comes from the refresh token (grant_type=refresh_token with
   * resource and scope), else from the hidden iframe (prompt=none with them). Cached per config and
   * options, renewed at timeoutFactor, revoked and dropped with the session. A provider that refuses
   * the resource rejects with its code, e.g. invalid_target; the login token is left alone. */
  interface OidcTokenOptions {
    /** The API's resource indicator: an absolute URI without fragment (RFC 8707 §2). */
    resource?: string;
    /** Space-separated; each value must be in the config's scope (a refresh narrows, never widens). */
    scope?: string;
    /** Extra token-request parameters, e.g. { audience: "https://orders" } for providers that use
     * that name. Names the library sets itself (grant_type, resource, scope, …) are refused. */
    tokenParams?: Record<string, string | number | boolean>;
  }

  /** Every rejection is an OidcError, except oidc.fetch's network failures (a TypeError, as window.fetch). */
  interface OidcError extends Error {
    name: "OidcError";
    /** invalid_config, login_required, state_mismatch, nonce_mismatch, iss_mismatch,
     * invalid_id_token, invalid_response, invalid_request, redirect_blocked, timeout, network,
     * popup_blocked, popup_closed, token_in_worker (getAccessToken or getIdToken of a config
     * with custody "worker"), worker_unavailable (a custody "worker" config on a page its worker does not control),
     * storage_error (a storage write was refused), unsupported_by_provider (discovery lacks the
     * endpoint), or the provider's OAuth error code. */
    code: string;
    configId: string | null;
    /** invalid_config: the config field at fault, e.g. "secureRoutes[1]" or "clientId". */
    field?: string;
    /** The provider's error_description, when it sent one. */
    description?: string;
  }

  interface OidcEventDetail {
    configId: string;
    /** authenticated: restored from storage rather than a callback. */
    restored?: boolean;
    /** silentRenewStarted: how. */
    method?: "refresh_token" | "iframe";
    /** silentRenewFailed, error, checkSessionFailed, loggedOut: why. */
    code?: string;
    /** loggedOut: "provider" when the provider ended the session (front-channel logout,
     * check-session, a renewal answered login_required or invalid_grant, a userinfo 401, another
     * user there); "worker_restarted" when the browser stopped the service worker that kept a
     * custody "worker" config's tokens (its memory went with it; sign in again); absent when this
     * app ended it (logoff, logoffLocal, a failed check). */
    reason?: "provider" | "worker_restarted";
    message?: string;
    /** authenticated, tokenRefreshed: when the new access token expires (ms since the epoch). */
    expiresAt?: number;
    /** tokenRefreshed, silentRenewFailed: the per-API token's resource (absent for the login token). */
    resource?: string;
    /** authenticated: a mistake that did not stop sign-in, e.g. useRefreshToken without a refresh
     * token in the answer (also logged with console.warn). */
    warning?: string;
  }

  type OidcEventType =
    | "authenticated" | "tokenRefreshed" | "silentRenewStarted" | "silentRenewFailed"
    | "tokenExpired" | "loggedOut" | "configLoaded" | "error"
    /** The check_session_iframe answered "error" or nothing, or the renewal after "changed" failed
     * on its way: the session is not watched until it has a new session_state (detail.code). */
    | "checkSessionFailed";

  interface OidcBridge extends EventTarget {
    /** Settles when oidc.wasm runs (and has taken over the calls answered before it: see
     * configure); rejects with an OidcError when it cannot load. */
    readonly ready: Promise<void>;
    /** On a reload with the same argument (the same JSON data) as when the session was stored,
     * configure, checkAuth (on a URL that is no authorization response), getAccessToken() without
     * options, isAuthenticated and getUserData may resolve before oidc.ready, with what the module
     * wrote down for this moment (README, "Before the module runs"); every other call waits. */
    configure(configs: OidcConfig | OidcConfig[]): Promise<void>;
    checkAuth(url?: string): Promise<OidcLoginResponse[]>;
    authorize(configId?: string, options?: { customParams?: Record<string, string>; returnUrl?: string }): Promise<void>;
    /** Sign-in in a popup; call it from a click handler (the popup opens at the call). The page does
     * not navigate. Rejects with popup_blocked, popup_closed, or any callback error. */
    authorizeWithPopUp(authOptions?: { customParams?: Record<string, string> } | null,
      popupOptions?: { width?: number; height?: number; left?: number; top?: number } | null,
      configId?: string): Promise<OidcLoginResponse>;
    /** The login's access token; with options, the per-API token a route with those options gets
     * (the same cached token). */
    getAccessToken(configId?: string, options?: OidcTokenOptions | null): Promise<string>;
    getIdToken(configId?: string): Promise<string>;
    getUserData(configId?: string): Promise<Record<string, unknown> | null>;
    isAuthenticated(configId?: string): Promise<boolean>;
    forceRefreshSession(configId?: string): Promise<OidcLoginResponse>;
    /** window.fetch plus Authorization: Bearer for secure routes only, with the entry's token. (input, init) are read once,
     * at the call, into one Request, which is what is sent. A token-bearing request never follows a
     * redirect: it rejects with code redirect_blocked (the caller's own redirect: "manual" or "error"
     * is kept); mode "no-cors" on a secure route rejects with invalid_request. Network failures
     * reject with a TypeError, as window.fetch does. */
    fetch(input: RequestInfo | URL, init?: RequestInit | null): Promise<Response>;
    /** The configId whose token a request to url would carry, or null. */
    matchRoute(url: string | URL, method?: string): string | null;
    revokeAccessToken(configId?: string, token?: string): Promise<void>;
    /** Without a token: revokes the session's refresh token and ends the session (in every tab). */
    revokeRefreshToken(configId?: string, token?: string): Promise<void>;
    /** Ends the local session (in every tab), then navigates to the provider's end_session_endpoint;
     * without one it resolves and the page stays. */
    logoff(configId?: string, options?: { customParams?: Record<string, string> }): Promise<void>;
    logoffLocal(configId?: string): Promise<void>;
    /** Revokes the refresh then the access token, then logoff. A failed revocation is an error event;
     * it rejects the call only when there is no end-session page to navigate to. */
    logoffAndRevokeTokens(configId?: string, options?: { customParams?: Record<string, string> }): Promise<void>;
    addEventListener(type: OidcEventType, listener: (ev: CustomEvent<OidcEventDetail>) => void, options?: boolean | AddEventListenerOptions): void;
    addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
    removeEventListener(type: OidcEventType, listener: (ev: CustomEvent<OidcEventDetail>) => void, options?: boolean | EventListenerOptions): void;
    removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
  }

  var oidc: OidcBridge;
}
