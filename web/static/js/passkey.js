// Secuird hosted pages: the passkey step of a sign-in and adding a
// passkey on the security page. No framework, no
// inline script (the pages' CSP allows scripts from this origin only).
// A button with data-passkey-begin starts the ceremony: the options come
// from the JSON endpoint named by the attribute, the browser signs, and the
// assertion goes into the enclosing form, which is submitted.
(function () {
  "use strict";

  function b64urlToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }

  function bufToB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function showError(form, msg) {
    var el = form.querySelector("[data-passkey-error]");
    if (el) { el.textContent = msg; el.hidden = false; }
  }

  async function run(button) {
    var form = button.form;
    if (!window.PublicKeyCredential || !navigator.credentials) {
      showError(form, "This browser does not support passkeys.");
      return;
    }
    button.disabled = true;
    try {
      var resp = await fetch(button.getAttribute("data-passkey-begin"), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ pending_token: form.elements.pending_token.value })
      });
      if (!resp.ok) { throw new Error("begin failed"); }
      var opts = await resp.json();
      var pk = opts.publicKey;
      pk.challenge = b64urlToBuf(pk.challenge);
      (pk.allowCredentials || []).forEach(function (c) { c.id = b64urlToBuf(c.id); });
      var cred = await navigator.credentials.get({ publicKey: pk });
      var r = cred.response;
      form.elements.credential.value = JSON.stringify({
        id: cred.id, rawId: bufToB64url(cred.rawId), type: cred.type,
        response: {
          authenticatorData: bufToB64url(r.authenticatorData),
          clientDataJSON: bufToB64url(r.clientDataJSON),
          signature: bufToB64url(r.signature),
          userHandle: r.userHandle ? bufToB64url(r.userHandle) : null
        }
      });
      form.elements.session_token.value = opts.session_token;
      form.submit();
    } catch (e) {
      button.disabled = false;
      showError(form, "The passkey was not accepted. Try again or use a code.");
    }
  }

  // register adds a passkey: the options come from the endpoint named by
  // data-passkey-register (posted with the form's CSRF token), the
  // attestation goes into the enclosing form, which is submitted.
  async function register(button) {
    var form = button.form;
    if (!window.PublicKeyCredential || !navigator.credentials) {
      showError(form, "This browser does not support passkeys.");
      return;
    }
    button.disabled = true;
    try {
      var resp = await fetch(button.getAttribute("data-passkey-register"), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ csrf_token: form.elements.csrf_token.value })
      });
      if (!resp.ok) { throw new Error("begin failed"); }
      var opts = await resp.json();
      var pk = opts.publicKey;
      pk.challenge = b64urlToBuf(pk.challenge);
      pk.user.id = b64urlToBuf(pk.user.id);
      (pk.excludeCredentials || []).forEach(function (c) { c.id = b64urlToBuf(c.id); });
      var cred = await navigator.credentials.create({ publicKey: pk });
      var r = cred.response;
      var out = { id: cred.id, rawId: bufToB64url(cred.rawId), type: cred.type,
        response: { attestationObject: bufToB64url(r.attestationObject), clientDataJSON: bufToB64url(r.clientDataJSON) } };
      if (r.getTransports) { out.response.transports = r.getTransports(); }
      form.elements.credential.value = JSON.stringify(out);
      form.elements.session_token.value = opts.session_token;
      form.submit();
    } catch (e) {
      button.disabled = false;
      showError(form, "The passkey was not added. Try again.");
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-passkey-begin]").forEach(function (b) {
      b.addEventListener("click", function (ev) { ev.preventDefault(); run(b); });
    });
    document.querySelectorAll("[data-passkey-register]").forEach(function (b) {
      b.addEventListener("click", function (ev) { ev.preventDefault(); register(b); });
    });
  });
})();
