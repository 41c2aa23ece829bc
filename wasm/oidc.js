/*! oidcwasm bridge loader — defines globalThis.oidc at once; the work runs in oidc.wasm. */
(function () {
  "use strict";
  if (globalThis.oidc && globalThis.oidc.__oidcwasm) return;

  // Everything is fetched relative to this script's own URL.
  var script = document.currentScript;
  var base = new URL(".", script && script.src ? script.src : location.href);

  var oidc = new EventTarget();
  Object.defineProperty(oidc, "__oidcwasm", { value: true });

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = function () { resolve(); };
      s.onerror = function () { reject(new Error("oidcwasm: cannot load " + src)); };
      document.head.appendChild(s);
    });
  }

  function loadError(message) {
    var e = new Error("oidcwasm: " + message);
    e.name = "OidcError";
    e.code = "network";
    e.configId = null;
    return e;
  }

  // Fast paths that never cross into wasm (a call into Go costs ~50 µs):
  // tokens[configId] = {token, renewAt} is pushed by oidc.wasm whenever a
  // session changes, and used only before its renewal point; routes memoises
  // matchRoute per absolute URL until the next configure.
  var tokens = new Map();
  var routes = new Map();
  var defaultConfigId = null;

  var boot = {
    // Called by oidc.wasm with its implementation object.
    register: null,
    // Called by oidc.wasm to fire an event on oidc.
    emit: function (type, detail) {
      oidc.dispatchEvent(new CustomEvent(type, { detail: detail }));
    },
    // Called by oidc.wasm when a config's session changes: token is null when
    // there is none, or when its lifetime is unknown (then every call asks Go).
    session: function (configId, token, renewAt) {
      if (token) tokens.set(configId, { token: token, renewAt: renewAt });
      else tokens.delete(configId);
    },
    // Called by oidc.wasm after configure: the set changed.
    configured: function (firstConfigId) {
      defaultConfigId = firstConfigId;
      tokens.clear();
      routes.clear();
    },
  };
  globalThis.__oidcwasm_boot = boot;

  // The three downloads never wait on each other: oidc.wasm is fetched and
  // compiled (streaming) while wasm_exec.js loads, so the module is usually
  // compiled by the time the Go runtime exists.
  var wasmURL = new URL("oidc.wasm", base).href;
  var compiled = compileModule(wasmURL);
  compiled.catch(function () {}); // handled below, after wasm_exec.js
  var runtime = typeof globalThis.Go === "function" ? Promise.resolve() :
    loadScript(new URL("wasm_exec.js", base).href);

  async function compileModule(url) {
    try {
      return await WebAssembly.compileStreaming(fetch(url));
    } catch (streamErr) {
      // A server that sends the wrong MIME type breaks streaming compilation: fall back.
      var resp;
      try {
        resp = await fetch(url);
      } catch (e) {
        throw loadError("cannot fetch " + url + ": " + e.message);
      }
      if (!resp.ok) throw loadError("cannot fetch " + url + ": HTTP " + resp.status);
      try {
        return await WebAssembly.compile(await resp.arrayBuffer());
      } catch (e) {
        throw loadError(url + " is not a valid WebAssembly module: " + e.message);
      }
    }
  }

  var ready = (async function () {
    await runtime;
    var go = new globalThis.Go();
    var instance = await WebAssembly.instantiate(await compiled, go.importObject);
    var registered = new Promise(function (resolve) { boot.register = resolve; });
    go.run(instance).then(function () {
      console.error("oidcwasm: oidc.wasm exited");
    });
    return registered;
  })();
  ready.catch(function (e) { console.error(e.message); });

  var impl = null;
  oidc.ready = ready.then(function (i) { impl = i; });

  function method(name) {
    return function () {
      var args = arguments;
      if (impl) return impl[name].apply(null, args);
      return oidc.ready.then(function () { return impl[name].apply(null, args); });
    };
  }
  [
    "configure", "checkAuth", "authorize", "getAccessToken", "getIdToken", "getUserData",
    "isAuthenticated", "forceRefreshSession", "revokeAccessToken", "revokeRefreshToken",
    "logoff", "logoffLocal", "logoffAndRevokeTokens",
  ].forEach(function (name) { oidc[name] = method(name); });

  var askGoForToken = oidc.getAccessToken;
  oidc.getAccessToken = function (configId) {
    var id = configId == null ? defaultConfigId : configId;
    var c = typeof id === "string" ? tokens.get(id) : undefined;
    if (c && Date.now() < c.renewAt) return Promise.resolve(c.token);
    return askGoForToken.apply(null, arguments);
  };

  // The config whose token the absolute URL abs may carry, or null.
  function route(abs) {
    var id = routes.get(abs);
    if (id === undefined) {
      id = impl.matchRoute(abs);
      if (routes.size >= 512) routes.clear();
      routes.set(abs, id);
    }
    return id;
  }

  // Synchronous: before oidc.ready settles no route is known, so no URL gets a
  // token. The URL is resolved as the browser's fetch would resolve it.
  oidc.matchRoute = function (url) {
    if (!impl) return null;
    var abs;
    try {
      abs = new URL(String(url), document.baseURI).href;
    } catch (e) {
      return null;
    }
    return route(abs);
  };

  // A body fetch can send twice: none, string, URLSearchParams, Blob, ArrayBuffer(View), FormData.
  function replayable(body) {
    return body == null || typeof body === "string" || body instanceof URLSearchParams ||
      body instanceof Blob || body instanceof ArrayBuffer || ArrayBuffer.isView(body) ||
      body instanceof FormData;
  }

  // RFC 6750 §3: a Bearer challenge, with error="invalid_token" or no error at all.
  function bearerChallenge(resp) {
    if (resp.status !== 401) return false;
    var h = resp.headers.get("WWW-Authenticate") || "";
    var m = /(^|,)\s*Bearer\b([^]*)/i.exec(h);
    if (!m) return false;
    var err = /\berror\s*=\s*"?([^",\s]*)/i.exec(m[2]);
    return !err || err[1] === "invalid_token";
  }

  // window.fetch plus Authorization: Bearer for secure routes only. A request
  // whose URL matches no secure route goes out untouched.
  oidc.fetch = async function (input, init) {
    await oidc.ready;
    // The URL only: building a Request here would lock a stream body.
    var url = input instanceof Request ? input.url : new URL(String(input), document.baseURI).href;
    var configId = route(url);
    var own = new Headers(input instanceof Request ? input.headers : undefined);
    new Headers(init && init.headers).forEach(function (v, k) { own.set(k, v); });
    // No route, no token; a caller's own Authorization header is left alone.
    if (configId === null || own.has("Authorization")) return globalThis.fetch(input, init);
    var canReplay = input instanceof Request ? input.body === null : replayable(init && init.body);
    async function send() {
      var token = await oidc.getAccessToken(configId);
      var headers = new Headers(own);
      headers.set("Authorization", "Bearer " + token);
      var next = Object.assign({}, init, { headers: headers });
      return globalThis.fetch(input instanceof Request && canReplay ? input.clone() : input, next);
    }
    var resp = await send();
    if (!canReplay || !bearerChallenge(resp)) return resp;
    await impl.forceRefreshSession(configId);
    return send();
  };

  globalThis.oidc = oidc;
})();
