// oidcwasm bridge demo: configures the configs of ../demo.json, signs in,
// calls the APIs through oidc.fetch and logs the library's events.
// It never puts a token on the page or in the console: a token is shown as
// its fingerprint, the first 12 hex digits of its SHA-256 (as the APIs do).
"use strict";

const EVENT_TYPES = ["configLoaded", "authenticated", "silentRenewStarted", "tokenRefreshed",
  "silentRenewFailed", "tokenExpired", "loggedOut", "checkSessionFailed", "error"];

const state = {
  settings: null,
  ready: false,
  cards: new Map(),    // configId -> card element
  sessions: new Map(), // configId -> {expiresAt, seenAt, fingerprint}
};

// Custody of config b: "page" (the default: the page's module keeps its
// tokens) or "worker" (they stay in the service worker oidc-sw.js; README
// "Worker custody"). ?custody=worker or ?custody=page chooses, for this tab:
// the provider's redirect back drops the query.
const CUSTODY_KEY = "oidcwasm-bridge-demo:custody";
const WORKER_CONFIG = "b";
const custody = (() => {
  const q = new URLSearchParams(location.search).get("custody");
  if (q === "worker" || q === "page") sessionStorage.setItem(CUSTODY_KEY, q);
  return sessionStorage.getItem(CUSTODY_KEY) === "worker" ? "worker" : "page";
})();

// withCustody is the demo's configs with b in worker custody when chosen
// (without what worker custody refuses: DPoP, front-channel logout,
// check-session, a storage).
function withCustody(configs) {
  if (custody !== "worker") return configs;
  return configs.map((c) => {
    if (c.configId !== WORKER_CONFIG) return c;
    const w = Object.assign({}, c, { custody: "worker" });
    for (const k of ["dpop", "storage", "checkSession", "frontchannelLogoutUrl"]) delete w[k];
    return w;
  });
}

// Listeners go on before oidc.ready, so no event of the start is missed.
for (const type of EVENT_TYPES) {
  oidc.addEventListener(type, (ev) => onEvent(type, ev.detail || {}));
}

const $ = (sel, root = document) => root.querySelector(sel);

// The event log survives the redirects of sign-in and logoff in
// sessionStorage (it holds no token: only what the events tell).
const LOG_KEY = "oidcwasm-bridge-demo:events";
restoreLog();

main();

async function main() {
  const started = performance.now();
  let settings;
  try {
    const resp = await fetch("../demo.json", { cache: "no-cache" });
    if (!resp.ok) throw new Error("demo.json: HTTP " + resp.status);
    settings = await resp.json();
  } catch (e) {
    fail("Cannot load the demo settings (demo.json): " + e.message);
    return;
  }
  settings.bridge.configs = withCustody(settings.bridge.configs);
  state.settings = settings;
  renderCustody();
  renderProviders(settings);
  renderRequests(settings);

  try {
    await oidc.ready;
  } catch (e) {
    fail(describe(e));
    setLoader("error", "oidc.wasm did not load");
    return;
  }
  setLoader("ok", "oidc.wasm running · " + Math.round(performance.now() - started) + " ms");
  state.ready = true;

  try {
    await oidc.configure(settings.bridge.configs);
    // Completes a sign-in when this page is the redirect target, else restores
    // stored sessions; either way it removes code and state (also the state a
    // logoff brings back) from the address bar.
    const results = await oidc.checkAuth();
    for (const r of results) {
      showSession(r.configId, r.isAuthenticated, r.userData, r.errorMessage);
    }
  } catch (e) {
    fail(describe(e));
    for (const c of settings.bridge.configs) showSession(c.configId, false, null, null);
  }
  // Worker custody's first visit: the page is not controlled yet (b says
  // worker_unavailable) until the worker activates and takes it over.
  if (custody === "worker" && navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("controllerchange", async () => {
      try {
        await oidc.configure(settings.bridge.configs);
        const r = (await oidc.checkAuth()).find((x) => x.configId === WORKER_CONFIG);
        if (r) showSession(r.configId, r.isAuthenticated, r.userData, r.errorMessage);
      } catch (e) {
        fail(describe(e));
      }
    });
  }
  renderRoutes();
  $("#send-all").disabled = false;
  for (const b of document.querySelectorAll(".req-send")) b.disabled = false;
}

// ---- providers -----------------------------------------------------------

function renderProviders(settings) {
  const root = $("#providers");
  const tpl = $("#provider-template");
  for (const cfg of settings.bridge.configs) {
    const info = (settings.providers || []).find((p) => p.configId === cfg.configId) || {};
    const card = tpl.content.firstElementChild.cloneNode(true);
    card.dataset.config = cfg.configId;
    $(".provider-name", card).textContent = info.name || "Config " + cfg.configId;
    $(".issuer", card).textContent = cfg.authority;
    $(".client", card).textContent = cfg.clientId;
    $(".renewal", card).textContent = (cfg.useRefreshToken ? "refresh token" : "hidden iframe (prompt=none)") +
      (cfg.custody === "worker" ? " · tokens in the service worker" : "");
    $(".users", card).textContent = info.users && info.users.length ? "Demo users: " + info.users.join(", ") : "";
    $(".act-signin", card).addEventListener("click", () => act(cfg.configId, () => oidc.authorize(cfg.configId)));
    // authorizeWithPopUp opens the popup at the call: inside this click, before any await.
    $(".act-popup", card).addEventListener("click", () => act(cfg.configId, async () => {
      const r = await oidc.authorizeWithPopUp(null, null, cfg.configId);
      showSession(cfg.configId, r.isAuthenticated, r.userData, null);
    }));
    $(".act-renew", card).addEventListener("click", () => act(cfg.configId, async () => {
      const r = await oidc.forceRefreshSession(cfg.configId);
      showSession(cfg.configId, r.isAuthenticated, r.userData, null);
    }));
    $(".act-revoke", card).addEventListener("click", () => act(cfg.configId, async () => {
      await oidc.revokeAccessToken(cfg.configId);
      const s = state.sessions.get(cfg.configId);
      if (s) s.fingerprint = null;
      setTokenLine(card, "revoked", "— the next request renews it");
    }));
    $(".act-logoff", card).addEventListener("click", () => act(cfg.configId, () => oidc.logoff(cfg.configId)));
    // The provider's own sign-out page, in another tab: signing out there
    // signs this page (and every tab of it) out by front-channel logout.
    const out = $(".act-provider-signout", card);
    if (info.signOutUrl) out.href = info.signOutUrl;
    else out.remove();
    root.appendChild(card);
    state.cards.set(cfg.configId, card);
    setCardState(card, "loading");
  }
}

function setCardState(card, s) {
  card.dataset.state = s;
  const badge = $(".badge", card);
  badge.textContent = { loading: "Loading", in: "Signed in", out: "Signed out" }[s];
  badge.className = "badge badge-" + s;
  for (const b of card.querySelectorAll(".actions button")) b.disabled = s === "loading";
  $(".act-signin", card).hidden = s === "in";
  $(".act-popup", card).hidden = s === "in";
  for (const sel of [".act-renew", ".act-revoke", ".act-logoff", ".act-provider-signout"]) {
    const el = $(sel, card);
    if (el) el.hidden = s !== "in";
  }
}

async function showSession(configId, isAuthenticated, userData, errorMessage) {
  const card = state.cards.get(configId);
  if (!card) return;
  const err = $(".provider-error", card);
  err.hidden = !errorMessage;
  err.textContent = errorMessage || "";
  if (!isAuthenticated) {
    state.sessions.delete(configId);
    setCardState(card, "out");
    return;
  }
  setCardState(card, "in");
  const u = userData || {};
  const name = u.name || u.preferred_username || u.sub || "Signed in";
  $(".who-name", card).textContent = name;
  $(".who-email", card).textContent = u.email || "";
  $(".sub", card).textContent = u.sub || "—";
  $(".avatar", card).textContent = initials(name);
  await refreshFingerprint(configId);
}

// refreshFingerprint shows which access token the config holds now.
async function refreshFingerprint(configId) {
  const card = state.cards.get(configId);
  try {
    const fp = await fingerprint(await oidc.getAccessToken(configId));
    const s = state.sessions.get(configId) || {};
    s.fingerprint = fp;
    state.sessions.set(configId, s);
    setTokenLine(card, "#" + fp, "");
    tick();
  } catch (e) {
    if (e && e.code === "token_in_worker") setTokenLine(card, "in the service worker", "no page script can read it");
    else setTokenLine(card, "none", describe(e));
  }
}

function setTokenLine(card, fp, note) {
  $(".token-fp", card).textContent = fp;
  $(".expires", card).textContent = note;
}

async function fingerprint(token) {
  const sum = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(sum).slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
}

function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("");
}

// act runs a card action, showing its failure on the card.
async function act(configId, fn) {
  const card = state.cards.get(configId);
  const err = $(".provider-error", card);
  err.hidden = true;
  for (const b of card.querySelectorAll(".actions button")) b.disabled = true;
  try {
    await fn();
  } catch (e) {
    err.hidden = false;
    err.textContent = describe(e);
  } finally {
    for (const b of card.querySelectorAll(".actions button")) b.disabled = false;
  }
}

// Countdown of each access token's expiry, from the events' expiresAt.
function tick() {
  const now = Date.now();
  for (const [configId, s] of state.sessions) {
    const card = state.cards.get(configId);
    if (!card || !s.expiresAt || !s.fingerprint) continue;
    const left = Math.max(0, Math.round((s.expiresAt - now) / 1000));
    $(".expires", card).textContent = left > 0 ? "expires in " + formatSeconds(left) : "expired";
    const total = Math.max(1, s.expiresAt - s.seenAt);
    $(".lifetime-bar", card).style.width = Math.max(0, Math.min(100, ((s.expiresAt - now) / total) * 100)) + "%";
  }
}
setInterval(tick, 1000);

function formatSeconds(n) {
  const m = Math.floor(n / 60);
  return m ? m + " min " + String(n % 60).padStart(2, "0") + " s" : n + " s";
}

// ---- events --------------------------------------------------------------

function onEvent(type, detail) {
  logEvent(type, detail);
  const id = detail.configId;
  // A per-API token's renewal (detail.resource) leaves the login token as it was.
  if ((type === "authenticated" || type === "tokenRefreshed") && detail.expiresAt && !detail.resource) {
    state.sessions.set(id, Object.assign(state.sessions.get(id) || {}, { expiresAt: detail.expiresAt, seenAt: Date.now() }));
  }
  if (!state.ready || !state.cards.has(id)) return;
  if (type === "tokenRefreshed" && !detail.resource) refreshFingerprint(id);
  if (type === "loggedOut" || (type === "silentRenewFailed" && detail.code === "login_required")) {
    const why = detail.reason === "provider" ? "Signed out by the provider." : null;
    oidc.isAuthenticated(id).then((yes) => { if (!yes) showSession(id, false, null, detail.message || why); });
  }
}

function logEvent(type, detail) {
  const parts = [];
  if (detail.restored) parts.push("restored from storage");
  if (detail.method) parts.push("by " + detail.method.replace("_", " "));
  if (detail.resource) parts.push("token for " + detail.resource);
  if (detail.code) parts.push(detail.code);
  if (detail.reason === "provider") parts.push("ended by the provider");
  if (detail.message) parts.push(detail.message);
  if (detail.expiresAt) parts.push("token until " + clock(new Date(detail.expiresAt)));
  addLogEntry({ at: Date.now(), type, configId: detail.configId || "", facts: parts.join(" · ") }, true);
}

function addLogEntry(e, save) {
  const li = document.createElement("li");
  const d = new Date(e.at);
  const time = document.createElement("time");
  time.textContent = clock(d) + "." + String(d.getMilliseconds()).padStart(3, "0");
  const chip = document.createElement("span");
  chip.className = "chip chip-event chip-" + e.type;
  chip.textContent = e.type === "page" ? "page loaded" : e.type;
  const cfg = document.createElement("span");
  cfg.className = "mono small";
  cfg.textContent = e.configId ? "config " + e.configId : "";
  const facts = document.createElement("span");
  facts.className = "muted small";
  facts.textContent = e.facts;
  li.append(time, chip, cfg, facts);
  const list = $("#events");
  list.prepend(li);
  while (list.children.length > 200) list.lastElementChild.remove();
  $("#events-empty").hidden = true;
  if (save) {
    const saved = loadLog();
    saved.push(e);
    try { sessionStorage.setItem(LOG_KEY, JSON.stringify(saved.slice(-200))); } catch (_) { /* full: keep the page's copy */ }
  }
}

function loadLog() {
  try { return JSON.parse(sessionStorage.getItem(LOG_KEY) || "[]"); } catch (_) { return []; }
}

function restoreLog() {
  for (const e of loadLog()) addLogEntry(e, false);
  addLogEntry({ at: Date.now(), type: "page", configId: "", facts: location.pathname }, true);
}

function clock(d) {
  return d.toLocaleTimeString([], { hour12: false });
}

$("#clear-events").addEventListener("click", () => {
  sessionStorage.removeItem(LOG_KEY);
  $("#events").replaceChildren();
  $("#events-empty").hidden = false;
});

// ---- requests ------------------------------------------------------------

function renderRequests(settings) {
  const tbody = $("#requests");
  const tpl = $("#request-template");
  for (const target of settings.requests) {
    const row = tpl.content.firstElementChild.cloneNode(true);
    row.dataset.target = target.id;
    $(".req-label", row).textContent = target.label;
    $(".req-url", row).textContent = target.url;
    $(".req-note", row).textContent = target.note;
    $(".req-send", row).addEventListener("click", () => send(target, row));
    tbody.appendChild(row);
  }
  $("#send-all").addEventListener("click", async () => {
    const rows = Array.from(tbody.children);
    await Promise.all(settings.requests.map((t, i) => send(t, rows[i])));
  });
}

// renderRoutes asks the library which config's token each URL would carry.
function renderRoutes() {
  for (const row of $("#requests").children) {
    const target = state.settings.requests.find((t) => t.id === row.dataset.target);
    const configId = oidc.matchRoute(target.url);
    const cell = $(".req-route", row);
    cell.replaceChildren(configId
      ? chip("token of " + configId, "chip-route")
      : chip("no token", "chip-none"));
  }
}

async function send(target, row) {
  const cell = $(".req-result", row);
  cell.replaceChildren(chip("sending…", "chip-none"));
  let resp, body;
  try {
    resp = await oidc.fetch(target.url);
    body = await resp.json();
  } catch (e) {
    cell.replaceChildren(chip("not sent", "chip-bad"), text(" " + describe(e), "muted small"));
    return;
  }
  const carried = body.authorization === "none" ? null : body.fingerprint;
  const expected = target.configId
    ? body.authorization === "valid"
    : body.authorization === "none";
  const parts = [
    chip(String(resp.status), resp.ok ? "chip-ok" : expected ? "chip-none" : "chip-bad"),
    chip(body.authorization, { valid: "chip-ok", none: "chip-none" }[body.authorization] || "chip-bad"),
  ];
  const facts = [];
  if (carried) facts.push("token #" + carried);
  if (body.sub) facts.push("sub " + body.sub);
  if (body.aud) facts.push("aud " + [].concat(body.aud).join(", "));
  if (body.scope) facts.push("scope " + body.scope);
  if (body.dpopJkt) facts.push(body.scheme + " proof jti " + body.dpopJti + " by key " + body.dpopJkt); // which proof went along
  if (body.exp) facts.push("exp " + clock(new Date(body.exp * 1000)));
  if (body.authorization !== "valid" && body.reason) facts.push(body.reason);
  parts.push(text(" " + facts.join(" · "), "small"));
  parts.push(text(expected ? " ✓ as expected" : " ✗ unexpected", expected ? "verdict ok" : "verdict bad"));
  cell.replaceChildren(...parts);
  if (target.configId) refreshFingerprint(target.configId);
}

function chip(label, cls) {
  const s = document.createElement("span");
  s.className = "chip " + cls;
  s.textContent = label;
  return s;
}

function text(t, cls) {
  const s = document.createElement("span");
  s.className = cls;
  s.textContent = t;
  return s;
}

// ---- status --------------------------------------------------------------

function setLoader(kind, msg) {
  $("#loader").dataset.state = kind;
  $("#loader-text").textContent = msg;
}

function fail(msg) {
  const a = $("#alert");
  a.textContent = msg;
  a.hidden = false;
}

// describe turns an OidcError into a line a person can act on.
function describe(e) {
  if (e && e.name === "OidcError") return e.message + (e.code ? " [" + e.code + "]" : "");
  return String(e && e.message ? e.message : e);
}

// ---- a script on the page looking for tokens -----------------------------

function renderCustody() {
  const el = $("#custody-state");
  const a = document.createElement("a");
  a.href = "?custody=" + (custody === "worker" ? "page" : "worker");
  a.textContent = custody === "worker" ? "on for Provider B: turn off" : "off: turn on for Provider B";
  el.replaceChildren(a);
}

// attack reads what any script of this origin can, as an XSS would, and
// lists every token it finds (a JWT-shaped string) by fingerprint and where.
async function attack() {
  const places = [];
  for (const [name, st] of [["localStorage", localStorage], ["sessionStorage", sessionStorage]]) {
    for (let i = 0; i < st.length; i++) places.push([name + " " + st.key(i), st.getItem(st.key(i))]);
  }
  const dbs = indexedDB.databases ? await indexedDB.databases() : [];
  for (const d of dbs) {
    const db = await new Promise((ok, no) => { const r = indexedDB.open(d.name); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
    for (const store of db.objectStoreNames) {
      const all = await new Promise((ok) => { const r = db.transaction(store).objectStore(store).getAll(); r.onsuccess = () => ok(r.result); r.onerror = () => ok([]); });
      places.push(["IndexedDB " + d.name + "/" + store, JSON.stringify(all, (k, v) => (v && typeof v === "object" && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype ? String(v) : v))]);
    }
    db.close();
  }
  const seen = new Set();
  const walk = (v, path, depth) => {
    if (typeof v === "string") { places.push([path, v]); return; }
    if (v === null || (typeof v !== "object" && typeof v !== "function") || depth > 2 || seen.has(v)) return;
    seen.add(v);
    let keys = [];
    try { keys = Object.getOwnPropertyNames(v); } catch (_) { return; }
    for (const k of keys) {
      let x;
      try { x = v[k]; } catch (_) { continue; }
      walk(x, path + "." + k, depth + 1);
    }
  };
  walk(window, "window", 0);
  const calls = [];
  for (const c of state.settings.bridge.configs) {
    try {
      places.push(["oidc.getAccessToken(\"" + c.configId + "\")", await oidc.getAccessToken(c.configId)]);
      calls.push(c.configId + ": getAccessToken answered");
    } catch (e) {
      calls.push(c.configId + ": getAccessToken refused (" + (e.code || e.message) + ")");
    }
  }
  const found = new Map(); // fingerprint -> places
  for (const [where, value] of places) {
    for (const jwt of String(value).match(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g) || []) {
      const fp = await fingerprint(jwt);
      if (!found.has(fp)) found.set(fp, new Set());
      found.get(fp).add(where);
    }
  }
  const list = $("#findings");
  list.replaceChildren();
  for (const [fp, where] of found) {
    const li = document.createElement("li");
    li.dataset.fp = fp;
    li.append(chip("#" + fp, "chip-bad"), text(" in " + Array.from(where).slice(0, 4).join(", ") + (where.size > 4 ? ", …" : ""), "mono"));
    list.appendChild(li);
  }
  $("#attack-summary").textContent = "Searched " + places.length + " places. " +
    (found.size ? "Found " + found.size + " token" + (found.size > 1 ? "s" : "") + "." : "Found no token.") +
    " " + calls.join("; ") + ".";
}
$("#attack").addEventListener("click", () => attack().catch((e) => fail("The search failed: " + describe(e))));
