"""The trusted JavaScript evaluated in every isolate before the script: WSO2's functions over a journal.

Replay model. A login's script is run from the start on every request. The
input carries the journal of what already happened in this login, in order:
completed ``executeStep`` calls (with the step's subject and outcome) and host
calls with their results. Each ``executeStep`` or host call consumes the next
journal entry when it matches (same step / same function and arguments) and
returns at once (a completed step calls its ``onSuccess``/``onFail`` callback
synchronously). The first call without a matching entry stops the run: a step
the portal must show, or a host call that Python answers and appends before
running the script again. ``fail()``/``sendError()`` stop the run for good.

Once a run is stopped every later bridge call throws again, so a script that
catches the stop cannot carry on with made-up values; the driver reports the
first stop. ``__iamRun`` is a non-writable, non-configurable global."""

from __future__ import annotations

SCRIPT_SOURCE_NAME = "conditional-auth.js"

PRELUDE = r"""
(function () {
  "use strict";
  var g = globalThis;
  [
    "setTimeout", "clearTimeout", "__timer_manager", "__TimerManager", "WebAssembly", "SharedArrayBuffer",
    "Atomics", "ArrayBuffer", "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array",
    "Uint16Array", "Int32Array", "Uint32Array", "Float16Array", "Float32Array", "Float64Array",
    "BigInt64Array", "BigUint64Array", "FinalizationRegistry", "WeakRef"
  ].forEach(function (name) {
    try { delete g[name]; } catch (e) { /* not configurable: leave it */ }
  });

  var STOP = Object.freeze({ toString: function () { return "the login continues on the next request"; } });
  var MAX_LOGS = 100;
  var state = null;
  var ctx = null;

  function halt(outcome) {
    if (state.outcome === null) { outcome.cursor = state.cursor; state.outcome = outcome; }
    throw STOP;
  }
  function ensureRunning() { if (state.outcome !== null) { throw STOP; } }
  function plain(value) { return value === undefined ? null : JSON.parse(JSON.stringify(value)); }

  function userObject(id, federated) {
    var known = state.subjects[id];
    if (!known) { return null; }
    var user = plain(known.user);
    if (federated) {  // the federated identity; uniqueId and localClaims are those of the local user it resolved to
      user.isFederated = true;
      user.federatedIdPName = federated.idp;
      user.username = federated.subject;
      user.remoteClaims = plain(federated.claims || {});
    }
    return user;
  }
  function userRef(user) {
    if (user === null || user === undefined || typeof user !== "object") { return null; }
    var ref = { uniqueId: user.uniqueId === undefined || user.uniqueId === null ? null : String(user.uniqueId),
                username: user.username === undefined ? null : String(user.username) };
    if (user.isFederated) { ref.isFederated = true; ref.federatedIdPName = String(user.federatedIdPName || ""); }
    return ref;
  }
  function names(list) {
    if (typeof list === "string") { return [list]; }
    if (!Array.isArray(list)) { throw new TypeError("expected an array of names"); }
    return list.map(function (item) { return String(item); });
  }

  function hostCall(fn, args) {
    ensureRunning();
    var argsJson = JSON.stringify(args);
    var entry = state.journal[state.cursor];
    if (entry && entry.kind === "call" && entry.fn === fn && entry.args === argsJson) {
      state.cursor += 1;
      return entry.result;
    }
    halt({ kind: "call", fn: fn, args: argsJson });
  }
  function usersOf(result) {
    if (result === null || result === undefined) { return null; }
    return result.map(function (u) { return plain(u); });
  }

  function executeStep(stepId, second, third) {
    ensureRunning();
    var options = {}, callbacks = {};
    if (third !== undefined) { options = second || {}; callbacks = third || {}; }
    else if (second && (typeof second.onSuccess === "function" || typeof second.onFail === "function")) {
      callbacks = second;
    } else if (second) { options = second; }
    if (typeof stepId !== "number" || !Number.isInteger(stepId) || stepId < 1 || stepId > state.stepCount) {
      throw new RangeError("executeStep: this application has no step " + String(stepId));
    }
    var wanted = plain(options.authenticationOptions || null);
    var params = plain(options.authenticatorParams || null);
    var entry = state.journal[state.cursor];
    if (entry && entry.kind === "step" && entry.step === stepId &&
        JSON.stringify(entry.options) === JSON.stringify(wanted)) {
      state.cursor += 1;
      var subject = entry.subject ? userObject(entry.subject, entry.federated) : null;
      ctx.steps[stepId] = { subject: subject, authenticator: entry.authenticator || null, idp: entry.idp || "LOCAL" };
      if (entry.ok && subject) { ctx.currentKnownSubject = subject; }
      var callback = entry.ok ? callbacks.onSuccess : callbacks.onFail;
      if (typeof callback === "function") { callback(ctx, { reason: entry.reason || null }); }
      return;
    }
    halt({ kind: "step", step: stepId, options: wanted, params: params,
           onFail: typeof callbacks.onFail === "function" });
  }

  function hasAnyOfTheRoles(user, roles) {
    ensureRunning();
    var wanted = names(roles);
    var ref = userRef(user);
    var known = ref && ref.uniqueId ? state.subjects[ref.uniqueId] : null;
    if (known) { return wanted.some(function (r) { return known.roles.indexOf(r) >= 0; }); }
    return hostCall("hasAnyOfTheRoles", [ref, wanted]) === true;
  }
  function isMemberOfAnyOfGroups(user, groups) {
    ensureRunning();
    var wanted = names(groups);
    var ref = userRef(user);
    var known = ref && ref.uniqueId ? state.subjects[ref.uniqueId] : null;
    if (known) { return wanted.some(function (n) { return known.groups.indexOf(n) >= 0; }); }
    return hostCall("isMemberOfAnyOfGroups", [ref, wanted]) === true;
  }
  function getUsersWithClaimValues(claimMap) {
    return usersOf(hostCall("getUsersWithClaimValues", [plain(claimMap)]));
  }
  function getUniqueUserWithClaimValues(claimMap) {
    var found = hostCall("getUniqueUserWithClaimValues", [plain(claimMap)]);
    return found ? plain(found) : null;
  }
  function getAssociatedLocalUser(federatedUser) {
    var found = hostCall("getAssociatedLocalUser", [userRef(federatedUser)]);
    return found ? plain(found) : null;
  }
  function doAssociationWithLocalUser(federatedUser, username, third, fourth) {
    var userStore = fourth === undefined ? third : fourth;
    var tenant = fourth === undefined ? null : third;
    return hostCall("doAssociationWithLocalUser", [userRef(federatedUser), String(username),
      tenant === null || tenant === undefined ? null : String(tenant),
      userStore === null || userStore === undefined ? null : String(userStore)]) === true;
  }
  function removeAssociatedLocalUser(federatedUser) {
    return hostCall("removeAssociatedLocalUser", [userRef(federatedUser)]) === true;
  }

  function fail(params) { ensureRunning(); halt({ kind: "fail", params: plain(params || {}) }); }
  function sendError(url, params) {
    ensureRunning();
    var target = url === null || url === undefined ? null : String(url);
    halt({ kind: "sendError", url: target, params: plain(params || {}) });
  }
  function log(level) {
    return function () {
      if (state.logs.length >= MAX_LOGS) { return; }
      var text = Array.prototype.map.call(arguments, function (a) {
        if (typeof a === "string") { return a; }
        try { return JSON.stringify(a); } catch (e) { return String(a); }
      }).join(" ");
      state.logs.push([level, text.slice(0, 1000)]);
    };
  }
  var Log = Object.freeze({ info: log("info"), debug: log("debug"), warn: log("warn"), error: log("error") });

  function getCookieValue(request, name) {
    ensureRunning();
    var value = state.cookies[String(name)];
    return value === undefined ? null : value;
  }
  function setCookie(response, name, value, options) {
    ensureRunning();
    if (state.setCookies.length >= 5) { throw new RangeError("setCookie: at most 5 cookies per login"); }
    var o = options || {};
    state.setCookies.push({ name: String(name), value: String(value),
                            maxAge: o["max-age"] === undefined ? null : Number(o["max-age"]) });
  }

  function describe(e) {
    var text = (e && e.name ? e.name + ": " + e.message : String(e));
    var stack = e && typeof e.stack === "string" ? e.stack : "";
    var at = /conditional-auth\.js:(\d+)/.exec(stack);
    return { message: text.slice(0, 500), line: at ? Number(at[1]) : null };
  }

  var api = {
    executeStep: executeStep, hasAnyOfTheRoles: hasAnyOfTheRoles, isMemberOfAnyOfGroups: isMemberOfAnyOfGroups,
    getUsersWithClaimValues: getUsersWithClaimValues, getUniqueUserWithClaimValues: getUniqueUserWithClaimValues,
    getUserWithClaimValues: getUniqueUserWithClaimValues, getAssociatedLocalUser: getAssociatedLocalUser,
    doAssociationWithLocalUser: doAssociationWithLocalUser, removeAssociatedLocalUser: removeAssociatedLocalUser,
    fail: fail, sendError: sendError, Log: Log, getCookieValue: getCookieValue, setCookie: setCookie
  };
  Object.keys(api).forEach(function (name) {
    Object.defineProperty(g, name, { value: api[name], writable: true, enumerable: false, configurable: true });
  });

  Object.defineProperty(g, "__iamRun", {
    value: function (input, source) {
      state = JSON.parse(input);
      state.cursor = 0; state.outcome = null; state.logs = []; state.setCookies = [];
      ctx = plain(state.context);
      ctx.steps = {};
      ctx.currentKnownSubject = null;
      ctx.response = {};
      var error = null;
      try {
        (0, eval)(source);  // the script's top level, in the global scope (one isolate round trip per run)
        var entry = g.onLoginRequest;
        if (typeof entry !== "function") {
          error = { message: "The script does not define onLoginRequest(context).", line: null };
        } else {
          entry(ctx);
        }
      } catch (e) {
        if (e !== STOP && state.outcome === null) { error = describe(e); }
      }
      var outcome = state.outcome;
      if (outcome === null) {
        outcome = error ? { kind: "error", message: error.message, line: error.line } : { kind: "done" };
        outcome.cursor = state.cursor;
      }
      return JSON.stringify({ outcome: outcome, logs: state.logs, cookies: state.setCookies });
    },
    writable: false, enumerable: false, configurable: false
  });
})();
//# sourceURL=iam-bridge.js
"""
