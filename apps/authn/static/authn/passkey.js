// Passkeys: a form with data-passkey="get" or "create" asks the browser for a WebAuthn
// credential (options from the #passkey-options JSON block), puts it in the hidden
// "credential" field as JSON (binary members base64url) and submits the form.
(function () {
  "use strict";

  function fromB64url(value) {
    var text = value.replace(/-/g, "+").replace(/_/g, "/");
    while (text.length % 4) { text += "="; }
    var raw = atob(text), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer), text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) { return Object.assign({}, item, { id: fromB64url(item.id) }); });
  }

  function encode(credential) {
    var response = credential.response, out = {};
    ["clientDataJSON", "attestationObject", "authenticatorData", "signature", "userHandle"].forEach(function (name) {
      if (response[name]) { out[name] = toB64url(response[name]); }
    });
    if (response.getTransports) { out.transports = response.getTransports(); }
    return JSON.stringify({
      id: credential.id, rawId: toB64url(credential.rawId), type: credential.type, response: out,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {}
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var mode = form.getAttribute("data-passkey");
    if (!mode || form.elements.credential.value) { return; }
    event.preventDefault();
    var options = JSON.parse(document.getElementById("passkey-options").textContent);
    options.challenge = fromB64url(options.challenge);
    var request;
    if (mode === "create") {
      options.user.id = fromB64url(options.user.id);
      options.excludeCredentials = descriptors(options.excludeCredentials);
      request = navigator.credentials.create({ publicKey: options });
    } else {
      options.allowCredentials = descriptors(options.allowCredentials);
      request = navigator.credentials.get({ publicKey: options });
    }
    request.then(function (credential) {
      form.elements.credential.value = encode(credential);
      form.submit();
    }).catch(function () {
      form.elements.credential.value = "";
      var note = form.querySelector("[data-passkey-error]");
      if (note) { note.hidden = false; }
    });
  });
})();
