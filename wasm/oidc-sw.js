/*! oidcwasm service worker — worker custody (custody: "worker"): the tokens of such configs live
 * here, in the Go module's memory, and the requests of the pages this worker controls get them
 * here. oidc.js registers it (scope "/": serve it with `Service-Worker-Allowed: /`); a site with
 * its own worker sets self.oidcwasmWorker (below) and calls importScripts("/oidc/oidc-sw.js")
 * before its own listeners (go-app: web/goapp's ServiceWorkerTemplate). README, "Worker custody". */
"use strict";
(function () {
  // A site's own worker that imports this script says, before it does, in
  // self.oidcwasmWorker: base, the folder of oidc-sw.js, oidc.wasm and
  // wasm_exec.js (an imported script cannot know its own URL, and relative
  // URLs here resolve against the site's worker); fallback(request), what
  // answers a request held while this worker starts and then not ours to
  // send (go-app's cache: web/goapp's ServiceWorkerTemplate). A request
  // this worker answers is not handed to the site's own fetch listeners.
  var host = self.oidcwasmWorker || {};
  var base = new URL(host.base || ".", self.location.href);
  var passOn = typeof host.fallback === "function" ? host.fallback : function (req) { return fetch(req); };
  importScripts(new URL("wasm_exec.js", base).href);

  // Start-up moments in ms since the worker started (performance.timeOrigin),
  // for the figures in the README; an id per worker start, so a page can tell
  // that the browser stopped the worker and started a new one.
  var marks = { script: performance.now() };
  var instanceId = Math.random().toString(36).slice(2);
  function mark(name) { marks[name] = performance.now(); }

  var instance = null;
  var boot = {
    mark: mark,
    register: null,
    // Go's events (never a token: wasm eventDetail) to every page of the
    // scope; go is their Go form with the session after them, for a Go
    // page (web.CustodyWorker).
    emit: function (type, detail, go) {
      self.clients.matchAll({ type: "window" }).then(function (cs) {
        cs.forEach(function (c) { c.postMessage({ oidcwasm: "event", type: type, detail: detail, go: go }); });
      });
    },
  };
  self.__oidcwasm_sw = boot;

  // What a worker started after this one needs, in the worker's IndexedDB:
  // the worker-custody configs signed in here, by id only, and the last
  // configure() input (it holds no secret: the page has it too). Never a
  // token: a worker the browser stopped lost its memory and the tokens in
  // it, and the next one signs those configs in again silently or tells the
  // pages they ended (Go decides: boot.keep, boot.keepConfigs and
  // impl.resume, wasm/worker_js.go).
  function kept(mode, key, value) {
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open("oidcwasm-worker", 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("state"); };
      open.onerror = function () { reject(open.error); };
      open.onsuccess = function () {
        var db = open.result, tx = db.transaction("state", mode), store = tx.objectStore("state");
        var r = mode === "readonly" ? store.get(key) : store.put(value, key);
        tx.oncomplete = function () { db.close(); resolve(r.result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      };
    });
  }
  var writes = Promise.resolve(); // in the order Go made them
  function keep(key) {
    return function (value) {
      writes = writes.then(function () { return kept("readwrite", key, value); }).catch(function (e) {
        console.error("oidcwasm: the service worker cannot write " + key + ": " + (e && e.message));
      });
    };
  }
  boot.keep = keep("signedIn");
  boot.keepConfigs = keep("configs");
  // An iframe the worker needs (a silent sign-in, an iframe renewal), in
  // the window whose call or request led here (clientId), else in one of
  // the worker's windows, the focused first: Go there runs it and checks the
  // answer (wasm/custody_js.go, frame); the answer's URL comes back on a port.
  function windowFor(clientId) {
    return (clientId ? self.clients.get(clientId) : Promise.resolve(undefined)).then(function (c) {
      if (c) return c;
      return self.clients.matchAll({ type: "window" }).then(function (cs) {
        return cs.filter(function (w) { return w.focused; })[0] || cs[0];
      });
    });
  }
  boot.frame = function (clientId, url, state, timeoutMs) {
    return windowFor(clientId).then(function (client) {
      if (!client) throw new Error("no window of the service worker's is open to run the iframe in");
      return new Promise(function (resolve, reject) {
        var ch = new MessageChannel();
        ch.port1.onmessage = function (e) {
          ch.port1.close();
          if (e.data && typeof e.data.url === "string") resolve(e.data.url);
          else reject(new Error((e.data && e.data.error) || "the page gave no answer"));
        };
        client.postMessage({ oidcwasm: "frame", url: url, state: state, timeoutMs: timeoutMs }, [ch.port2]);
      });
    });
  };

  // Active: this worker handles the scope's pages (at once for a worker the
  // browser started again; after the activate event for a new one, while
  // the worker it replaces may still hold its sessions).
  var active = new Promise(function (resolve) {
    var me = self.serviceWorker, reg = self.registration;
    if (me ? me.state === "activated" : reg.active && !reg.installing && !reg.waiting) resolve();
    self.addEventListener("activate", function () { resolve(); });
  });

  var impl = null; // Go's object (wasm/worker_js.go) once it runs
  var ready = (async function () {
    var go = new self.Go();
    var url = new URL("oidc.wasm", base).href;
    var result;
    try {
      result = await WebAssembly.instantiateStreaming(fetch(url), go.importObject);
    } catch (e) {
      // A server that sends the wrong MIME type breaks streaming compilation.
      var resp = await fetch(url);
      if (!resp.ok) throw new Error("oidcwasm: the service worker cannot fetch " + url + ": HTTP " + resp.status);
      result = await WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject);
    }
    instance = result.instance;
    mark("instantiated");
    var registered = new Promise(function (resolve) {
      boot.register = function (i) { mark("registered"); resolve(i); };
    });
    go.run(instance).then(function () { console.error("oidcwasm: oidc.wasm exited in the service worker"); });
    impl = await registered;
    return impl;
  })();
  ready.catch(function (e) { console.error("oidcwasm: the service worker cannot run oidc.wasm: " + e.message); });
  // Resumed: active, and Go has read what the worker before it kept; calls
  // and requests wait for it (a worker started again by a request decides
  // that request with the kept configs).
  var settled = false;
  var resumed = ready.then(function (i) {
    return active.then(function () {
      return Promise.all([kept("readonly", "signedIn"), kept("readonly", "configs")]).catch(function (e) {
        console.error("oidcwasm: the service worker cannot read what the one before it kept: " + (e && e.message));
        return [null, null];
      });
    }).then(function (k) {
      return i.resume(Array.isArray(k[0]) ? k[0] : [], k[1] == null ? null : k[1]);
    }).then(function () {
      mark("resumed");
      settled = true;
      return i;
    });
  });

  // Activation waits for the module: a worker that controls pages can act.
  // A new build installing while the worker it replaces still runs takes
  // that worker's sessions over first (handover, worker to worker: Go's
  // impl.handover there, impl.adopt here), so an update loses none; a
  // worker that does not answer in 3 s leaves them to the silent sign-in
  // after a stop (impl.recover).
  self.addEventListener("install", function (e) {
    mark("install");
    e.waitUntil(ready.then(takeOver).then(function () { return self.skipWaiting(); }));
  });
  function takeOver(i) {
    var old = self.registration.active;
    if (!old || old === self.serviceWorker) return;
    return new Promise(function (resolve) {
      var ch = new MessageChannel();
      var timer = setTimeout(function () { ch.port1.close(); resolve(); }, 3000);
      ch.port1.onmessage = function (m) {
        clearTimeout(timer);
        ch.port1.close();
        if (m.data && m.data.value) {
          mark("adopted");
          i.adopt(m.data.value);
        }
        resolve();
      };
      old.postMessage({ oidcwasm: "handover" }, [ch.port2]);
    });
  }
  self.addEventListener("activate", function (e) {
    mark("activate");
    e.waitUntil(self.clients.claim());
  });

  // Why a message's call failed, as a plain object (structured clone keeps
  // only an Error's name and message).
  function plain(e) {
    var o = { name: "OidcError", code: (e && e.code) || "unknown", configId: e && e.configId != null ? e.configId : null,
      message: String(e && e.message) };
    if (e && e.field) o.field = e.field;
    if (e && e.description) o.description = e.description;
    return o;
  }

  // A page's call: {oidcwasm: "call", name, args, configs} with a port for
  // the answer. Only Go's calls object is reachable (nothing there hands
  // out a token unless the config says exposeAccessToken), and "stats".
  // configs is the page's last configure() input, for a worker that has
  // none (its IndexedDB refused). A config the worker lost when the browser
  // stopped the one before is recovered first, in the caller's page.
  self.addEventListener("message", function (e) {
    var d = e.data, port = e.ports && e.ports[0];
    // The handover asked by the worker of a new build (takeOver): only a
    // service worker of this origin can send it; a page's message comes
    // from a Client, and gets nothing.
    if (d && d.oidcwasm === "handover" && port) {
      if (typeof ServiceWorker === "function" && e.source instanceof ServiceWorker) {
        e.waitUntil(ready.then(function (i) { port.postMessage({ value: i.handover() }); }));
      }
      return;
    }
    if (!d || d.oidcwasm !== "call" || !port) return;
    if (d.name === "stats") {
      e.waitUntil(ready.then(function () {
        port.postMessage({ value: { instanceId: instanceId, startedAt: performance.timeOrigin, marks: marks,
          memoryBytes: instance.exports.mem.buffer.byteLength } });
      }));
      return;
    }
    e.waitUntil(resumed.then(async function (i) {
      if (!Object.prototype.hasOwnProperty.call(i.calls, d.name)) {
        throw { code: "invalid_request", configId: null,
          message: "oidcwasm: " + d.name + " is not supported with custody \"worker\" yet" };
      }
      if (d.name !== "configure" && d.configs != null && !i.configured()) await i.calls.configure(d.configs);
      if (d.name !== "configure" && i.lost()) await i.recover(e.source && e.source.id);
      return i.calls[d.name].apply(null, d.args || []);
    }).then(function (v) {
      port.postMessage({ value: v });
    }, function (err) {
      port.postMessage({ error: plain(err) });
    }));
  });

  // Every request of a controlled page: Go's route table decides (impl.route);
  // a request to no secure route of a worker-custody config is not touched
  // (no respondWith), nor one that has its own Authorization header, nor,
  // in this first version, a navigation or a no-cors request (<img>): those
  // go out without a token. A request that finds the worker starting (the
  // browser started it again for this request) waits until Go has resumed
  // with the kept configs, and is decided then.
  self.addEventListener("fetch", function (e) {
    var req = e.request;
    if (req.mode === "navigate" || req.mode === "no-cors") return;
    if (!settled) {
      answer(e, resumed.then(function () { return decide(req, e.clientId) || passOn(req); }, function () { return passOn(req); }));
      return;
    }
    var p = decide(req, e.clientId);
    if (p) answer(e, p);
  });
  // answer is e's response; the listeners after this one (a site's own
  // worker's) do not see e: a second respondWith would throw.
  function answer(e, p) {
    e.respondWith(p);
    e.stopImmediatePropagation();
  }

  // decide is the answer to req when Go puts it on a secure route of a
  // worker-custody config, else null (the request goes out untouched).
  function decide(req, clientId) {
    var r = impl.route(req.url, req.method);
    if (r === null || req.headers.has("Authorization")) return null;
    return withToken(req, r, clientId);
  }

  // withToken sends req with the Authorization (and DPoP proof) Go gives
  // for its route r ([configId, followRedirects, dpop]), or untouched when
  // Go gives none (no session, an anonymous entry), after a lost config's
  // recovery in the page that made the request. A token never follows a
  // redirect unless the entry says followRedirects: the request goes with
  // redirect "manual", and a redirect answer becomes a network error for
  // the page. Go's rule for the answer (impl.routeAnswer, the one oidc.fetch
  // follows): "nonce" sends a copy once more with a proof carrying the
  // DPoP nonce the server asked for, "renew" (a 401 refusing the token)
  // renews once and sends a copy once more; the last answer goes to the
  // page as it is.
  async function withToken(req, r, clientId) {
    if (impl.lost()) await impl.recover(clientId);
    var auth = await impl.routeHeaders(req.url, req.method, clientId, false);
    if (auth === null) return fetch(req);
    var copy = null;
    try { copy = req.clone(); } catch (e) { /* a body already read: no second send */ }
    var resp = await sendWith(req, r[1], auth);
    for (var nonced = false, renewed = false; copy !== null && !resp.redirected;) {
      var nonce = r[2] ? resp.headers.get("DPoP-Nonce") : null;
      if (resp.status !== 401 && nonce === null) return resp;
      var next = impl.routeAnswer(r[0], req.url, resp.status, resp.headers.get("WWW-Authenticate") || "", nonce || "");
      if (next === "" || (next === "nonce" ? nonced : renewed)) return resp;
      if (next === "nonce") nonced = true;
      else renewed = true;
      try {
        auth = await impl.routeHeaders(req.url, req.method, clientId, next === "renew");
      } catch (e) {
        return resp; // the renewal failed: silentRenewFailed says so
      }
      if (auth === null) return resp;
      resp = await sendWith(copy.clone(), r[1], auth);
    }
    return resp;
  }

  function sendWith(req, follow, auth) {
    var headers = new Headers(req.headers);
    headers.set("Authorization", auth[0]);
    if (auth[1]) headers.set("DPoP", auth[1]);
    var asked = req.redirect;
    return fetch(new Request(req, { headers: headers, redirect: asked === "follow" && !follow ? "manual" : asked })).then(function (resp) {
      if (resp.type === "opaqueredirect" && asked === "follow" && !follow) return Response.error();
      return resp;
    });
  }
})();
