// without.js runs before oidc.js on the test page and takes away the
// browser features named in the page's ?without= parameter (comma
// separated), as an engine that lacks them would be:
//   locks             navigator.locks (Web Locks)
//   broadcastchannel  BroadcastChannel
// A page without the parameter keeps everything.
"use strict";
(function () {
  var without = new URLSearchParams(location.search).get("without");
  if (!without) return;
  without.split(",").forEach(function (f) {
    switch (f) {
      case "locks":
        delete Navigator.prototype.locks;
        if ("locks" in navigator) throw new Error("without.js: navigator.locks survived");
        break;
      case "broadcastchannel":
        delete globalThis.BroadcastChannel;
        break;
      default:
        throw new Error("without.js: unknown feature " + f);
    }
  });
})();
