// A typed use of the bridge, compiled with tsc --strict by `make typecheck`:
// if oidc.d.ts stops describing the API an app writes, this stops compiling.

async function signIn(): Promise<void> {
  oidc.addEventListener("tokenRefreshed", (e) => console.log("renewed", e.detail.configId, e.detail.expiresAt));
  oidc.addEventListener("silentRenewFailed", (e) => console.log(e.detail.code, e.detail.resource ?? "login token"));
  const plain: EventListener = () => {};
  oidc.addEventListener("loggedOut", plain);
  oidc.removeEventListener("loggedOut", plain);
  oidc.addEventListener("loggedOut", (e) => {
    if (e.detail.reason === "provider") console.log("signed out at the provider", e.detail.configId);
  });
  oidc.addEventListener("checkSessionFailed", (e) => console.warn(e.detail.code, e.detail.message));
  await oidc.ready;
  await oidc.configure({
    authority: "https://login.example.com",
    clientId: "my-spa",
    redirectUrl: location.origin + "/",
    scope: "openid profile offline_access",
    useRefreshToken: true,
    frontchannelLogoutUrl: location.origin + "/frontchannel-logout.html",
    checkSession: true,
    checkSessionIntervalInSeconds: 5,
    secureRoutes: ["https://api.example.com/v1", { url: "https://api.example.com/v2", methods: ["POST"], followRedirects: true },
      { url: "https://orders.example.com/", resource: "https://orders.example.com", scope: "orders.read", tokenParams: { v: 2 }, anonymous: true }],
  });
  await oidc.configure([
    { configId: "vault", authority: "https://login.example.com", clientId: "vault", redirectUrl: location.origin + "/",
      custody: "worker", exposeAccessToken: false, secureRoutes: ["https://vault.example.com/"] },
    { configId: "plain", authority: "https://login.example.com", clientId: "plain", redirectUrl: location.origin + "/", custody: "page" },
  ]);
  try {
    const [state] = await oidc.checkAuth();
    if (!state.isAuthenticated) await oidc.authorize();
  } catch (e) {
    const err = e as OidcError;
    console.log(err.code, err.configId, err.field ?? "", err.message);
  }
  document.querySelector("#popup")?.addEventListener("click", async () => {
    const r: OidcLoginResponse = await oidc.authorizeWithPopUp(null, { width: 480, height: 640 }, "default");
    console.log(r.isAuthenticated);
  });
  await oidc.logoffAndRevokeTokens(undefined, { customParams: { ui_locales: "fr" } });
  const token: string = await oidc.getAccessToken();
  const ordersToken: string = await oidc.getAccessToken("a", { resource: "https://orders.example.com", scope: "orders.read" });
  console.log(token.length, ordersToken.length);
  const res: Response = await oidc.fetch("https://api.example.com/v1/orders", null);
  const res2: Response = await oidc.fetch(new Request("https://api.example.com/v1/orders"), { method: "POST", body: "{}" });
  const id: string | null = oidc.matchRoute(new URL("https://api.example.com/v1/x"), "POST");
  console.log(res.status, res2.status, id);
  await oidc.logoff("default");
}

void signIn();
