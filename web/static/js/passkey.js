// Secuird hosted pages: passkeys. No framework, no inline script (the
// pages' CSP allows scripts from this origin only).
//
// - Sign-in page: a form with data-passkey-login="<options URL>" signs in
//   without a password. Its [data-passkey-signin] button asks for any
//   passkey of this site (discoverable credentials: no email needed); with
//   data-passkey-conditional the page also offers passkeys in the email
//   field's autofill (conditional mediation), when the browser can. The
//   autofill request is aborted when the password form is submitted or the
//   button is used, so that only one ceremony runs.
// - Second step: a button with data-passkey-begin="<options URL>" signs the
//   pending login's challenge.
// - Security page: a button with data-passkey-register="<options URL>"
//   adds a passkey.
// - Step-up page: a button with data-passkey-reauth="<options URL>"
//   confirms a sensitive change with one of the user's passkeys.
// In every case the result goes into the enclosing form (fields
// credential and session_token), which is submitted. Messages come from
// the form's data-msg-unsupported and data-msg-failed (translated by the
// page), with English fallbacks.
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

  function message(form, name, fallback) {
    return (form && form.getAttribute("data-msg-" + name)) || fallback;
  }

  function showError(form, msg) {
    var el = form.querySelector("[data-passkey-error]");
    if (el) { el.textContent = msg; el.hidden = false; }
  }

  function supported() {
    return !!(window.PublicKeyCredential && navigator.credentials);
  }

  // assertionJSON is a login assertion in the server's JSON form.
  function assertionJSON(cred) {
    var r = cred.response;
    return JSON.stringify({
      id: cred.id, rawId: bufToB64url(cred.rawId), type: cred.type,
      response: {
        authenticatorData: bufToB64url(r.authenticatorData),
        clientDataJSON: bufToB64url(r.clientDataJSON),
        signature: bufToB64url(r.signature),
        userHandle: r.userHandle ? bufToB64url(r.userHandle) : null
      }
    });
  }

  // requestOptions decodes the server's assertion options.
  function requestOptions(opts) {
    var pk = opts.publicKey;
    pk.challenge = b64urlToBuf(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = b64urlToBuf(c.id); });
    return pk;
  }

  function submitAssertion(form, opts, cred) {
    form.elements.credential.value = assertionJSON(cred);
    form.elements.session_token.value = opts.session_token;
    form.submit();
  }

  // assertAndSubmit asks for a passkey answering opts and submits the
  // assertion with the form.
  async function assertAndSubmit(form, opts) {
    var cred = await navigator.credentials.get({ publicKey: requestOptions(opts) });
    submitAssertion(form, opts, cred);
  }

  // postOptions fetches a ceremony's options from url: body is posted as
  // a form when it is a URLSearchParams, as JSON otherwise.
  async function postOptions(url, body) {
    var asForm = body instanceof URLSearchParams;
    var resp = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": asForm ? "application/x-www-form-urlencoded" : "application/json" },
      body: asForm ? body : JSON.stringify(body)
    });
    if (!resp.ok) { throw new Error("begin failed"); }
    return resp.json();
  }

  // csrfBody is a form body holding the form's CSRF token.
  function csrfBody(form) {
    return new URLSearchParams({ csrf_token: form.elements.csrf_token.value });
  }

  // ceremony runs a passkey button's ceremony for form: begin(form)
  // fetches the options and complete(form, opts) asks the authenticator
  // and submits the form. The button is disabled meanwhile; on a failure
  // it is enabled again and the form shows its "failed" message (fallback:
  // the English text). Without passkeys in the browser, only the
  // "unsupported" message.
  async function ceremony(form, button, fallback, begin, complete) {
    if (!supported()) {
      showError(form, message(form, "unsupported", "This browser does not support passkeys."));
      return;
    }
    button.disabled = true;
    try {
      await complete(form, await begin(form));
    } catch (e) {
      button.disabled = false;
      showError(form, message(form, "failed", fallback));
    }
  }

  // Second step of a password login (the pending login's passkey).
  function run(button) {
    return ceremony(button.form, button, "The passkey was not accepted. Try again or use a code.", function (form) {
      return postOptions(button.getAttribute("data-passkey-begin"), { pending_token: form.elements.pending_token.value });
    }, assertAndSubmit);
  }

  // beginLogin fetches the options of a passwordless sign-in.
  function beginLogin(form, conditional) {
    var body = csrfBody(form);
    if (conditional) { body.set("conditional", "1"); }
    return postOptions(form.getAttribute("data-passkey-login"), body);
  }

  // The running autofill (conditional) request of the sign-in page.
  var conditional = null;

  function abortConditional() {
    if (conditional) {
      conditional.abort();
      conditional = null;
    }
  }

  // Passwordless sign-in from the button: any passkey of this site.
  function signIn(form, button) {
    abortConditional();
    return ceremony(form, button, "The passkey was not accepted. Try again.", function (f) {
      return beginLogin(f, false);
    }, assertAndSubmit);
  }

  // Passkeys in the email field's autofill. Quietly does nothing when the
  // browser cannot, and stops when aborted.
  async function startConditional(form) {
    if (!supported() || typeof PublicKeyCredential.isConditionalMediationAvailable !== "function") { return; }
    var ctl = new AbortController();
    conditional = ctl;
    try {
      if (!(await PublicKeyCredential.isConditionalMediationAvailable()) || ctl.signal.aborted) { return; }
      var opts = await beginLogin(form, true);
      if (ctl.signal.aborted) { return; }
      var cred = await navigator.credentials.get({ mediation: "conditional", publicKey: requestOptions(opts), signal: ctl.signal });
      if (ctl.signal.aborted || !cred) { return; }
      conditional = null;
      submitAssertion(form, opts, cred);
    } catch (e) {
      if (!ctl.signal.aborted && e && e.name !== "AbortError" && e.name !== "NotAllowedError") {
        showError(form, message(form, "failed", "The passkey was not accepted. Try again."));
      }
    }
  }

  // The autofill request starts when the user reaches for the email
  // field (a pointer on it), or by itself shortly after the page loads,
  // unless the user has started typing an email by then; typing a
  // password, submitting the password form or using the passkey button
  // ends it. (A virtual authenticator in automated tests answers an
  // autofill request at once, as if the user had picked a passkey: the
  // delay keeps a scripted password sign-in on the password path.)
  var autofillTimer = null, autofillDone = false;

  function stopAutofill() {
    autofillDone = true;
    if (autofillTimer) { clearTimeout(autofillTimer); autofillTimer = null; }
    abortConditional();
  }

  function armAutofill(form) {
    var pw = document.querySelector("[data-login-form]");
    var email = pw && pw.elements.email;
    var start = function () {
      if (autofillDone) { return; }
      autofillDone = true;
      if (autofillTimer) { clearTimeout(autofillTimer); autofillTimer = null; }
      startConditional(form);
    };
    if (pw) {
      pw.addEventListener("submit", stopAutofill);
      if (pw.elements.password) {
        pw.elements.password.addEventListener("input", stopAutofill);
        pw.elements.password.addEventListener("focus", stopAutofill);
      }
    }
    if (email) {
      email.addEventListener("pointerdown", start);
      email.addEventListener("input", function () {
        // Typing before the request started: the user chose the password path.
        if (!conditional && autofillTimer) { clearTimeout(autofillTimer); autofillTimer = null; autofillDone = true; }
      });
    }
    autofillTimer = setTimeout(start, 1500);
  }

  // reauth is the step-up: the options come from the endpoint named by
  // data-passkey-reauth (posted with the form's CSRF token), the assertion
  // goes into the enclosing form, which is submitted.
  function reauth(button) {
    return ceremony(button.form, button, "The passkey was not accepted. Try again.", function (form) {
      return postOptions(button.getAttribute("data-passkey-reauth"), csrfBody(form));
    }, assertAndSubmit);
  }

  // register adds a passkey: the options come from the endpoint named by
  // data-passkey-register (posted with the form's CSRF token), the
  // attestation goes into the enclosing form, which is submitted.
  function register(button) {
    return ceremony(button.form, button, "The passkey was not added. Try again.", function (form) {
      return postOptions(button.getAttribute("data-passkey-register"), csrfBody(form));
    }, async function (form, opts) {
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
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-passkey-begin]").forEach(function (b) {
      b.addEventListener("click", function (ev) { ev.preventDefault(); run(b); });
    });
    document.querySelectorAll("[data-passkey-register]").forEach(function (b) {
      b.addEventListener("click", function (ev) { ev.preventDefault(); register(b); });
    });
    document.querySelectorAll("[data-passkey-reauth]").forEach(function (b) {
      b.addEventListener("click", function (ev) { ev.preventDefault(); reauth(b); });
    });
    document.querySelectorAll("form[data-passkey-login]").forEach(function (form) {
      form.querySelectorAll("[data-passkey-signin]").forEach(function (b) {
        b.addEventListener("click", function (ev) { ev.preventDefault(); stopAutofill(); signIn(form, b); });
      });
      if (form.hasAttribute("data-passkey-conditional")) { armAutofill(form); }
    });
  });
})();
