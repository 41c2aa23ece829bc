// record.js keeps what the e2e tests read back from the page: every event of
// the bridge in order (listeners added before oidc.ready, as the contract
// allows), and how oidc.ready settled. It never stores a token.
"use strict";
(function () {
  var types = ["configLoaded", "authenticated", "silentRenewStarted", "tokenRefreshed",
    "silentRenewFailed", "tokenExpired", "loggedOut", "error"];
  var e2e = { events: [], ready: "pending", readyError: null, violations: window.__e2eViolations || [] };
  types.forEach(function (type) {
    oidc.addEventListener(type, function (ev) {
      e2e.events.push({ type: type, detail: JSON.parse(JSON.stringify(ev.detail || {})) });
    });
  });
  oidc.ready.then(function () { e2e.ready = "resolved"; }, function (e) {
    e2e.ready = "rejected";
    e2e.readyError = { name: e.name, code: e.code, configId: e.configId, message: e.message, isError: e instanceof Error };
  });
  // error turns a rejection into plain data the tests compare.
  e2e.error = function (e) {
    if (!e || typeof e !== "object") return { name: typeof e, message: String(e) };
    return { name: e.name, code: e.code, configId: e.configId, field: e.field, message: e.message, isError: e instanceof Error };
  };
  globalThis.e2e = e2e;
})();
