// Security keys and passkeys: runs the browser's WebAuthn prompt for a form and sends the answer.
//
// The form:  <form method="post" data-webauthn="register" (or "authenticate")
//                  data-webauthn-options="{...}"  (the options JSON from the server), or
//                  data-webauthn-options-url="/..."  (POSTed to, with the form's CSRF token)>
//   <input type="hidden" name="credential">   filled with the answer as JSON, then submitted
//   <p data-webauthn-error role="alert" hidden></p>   where a failure is explained
// Without WebAuthn the error says so and the form is not sent.
"use strict";
(() => {
  const toBytes = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(base64 + "===".slice((base64.length + 3) % 4)),
      (c) => c.charCodeAt(0)).buffer;
  };
  const toText = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const withIds = (list) => (list || []).map((c) => ({ ...c, id: toBytes(c.id) }));

  // Browsers before the JSON helpers (Chrome 129, Safari 18, Firefox 119) get these instead.
  const creationOptions = (json) => (PublicKeyCredential.parseCreationOptionsFromJSON
    ? PublicKeyCredential.parseCreationOptionsFromJSON(json)
    : { ...json, challenge: toBytes(json.challenge), user: { ...json.user, id: toBytes(json.user.id) },
        excludeCredentials: withIds(json.excludeCredentials) });
  const requestOptions = (json) => (PublicKeyCredential.parseRequestOptionsFromJSON
    ? PublicKeyCredential.parseRequestOptionsFromJSON(json)
    : { ...json, challenge: toBytes(json.challenge),
        allowCredentials: withIds(json.allowCredentials) });
  const answer = (credential) => {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    const r = credential.response;
    const response = r.attestationObject
      ? { attestationObject: toText(r.attestationObject),
          transports: r.getTransports ? r.getTransports() : [] }
      : { authenticatorData: toText(r.authenticatorData), signature: toText(r.signature),
          userHandle: r.userHandle ? toText(r.userHandle) : null };
    return { id: credential.id, rawId: toText(credential.rawId), type: credential.type,
             authenticatorAttachment: credential.authenticatorAttachment || null,
             response: { clientDataJSON: toText(r.clientDataJSON), ...response },
             clientExtensionResults: credential.getClientExtensionResults() };
  };

  // Words for what the browser reports; anything else gets the last one.
  const MESSAGES = {
    NotAllowedError: "The security key did not answer, or the request was cancelled. Try again.",
    InvalidStateError: "This security key is already registered.",
    SecurityError: "Security keys do not work on this address of the site.",
    unsupported: "This browser cannot use security keys. Use your phone instead.",
    other: "The security key could not be used. Try again.",
  };

  const csrfToken = (form) => {
    const field = form.querySelector("input[name=csrf_token]");
    const meta = document.querySelector("meta[name=csrf-token]");
    return field ? field.value : meta ? meta.content : "";
  };

  const options = async (form) => {
    if (form.dataset.webauthnOptions) return JSON.parse(form.dataset.webauthnOptions);
    const response = await fetch(form.dataset.webauthnOptionsUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(form), Accept: "application/json" } });
    if (!response.ok) throw new Error(`options: HTTP ${response.status}`);
    return response.json();
  };

  const ceremony = async (form) => {
    const json = await options(form);
    if (form.dataset.webauthn === "register") {
      return navigator.credentials.create({ publicKey: creationOptions(json) });
    }
    return navigator.credentials.get({ publicKey: requestOptions(json) });
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-webauthn]").forEach((form) => {
      const field = form.querySelector("input[name=credential]");
      const error = form.querySelector("[data-webauthn-error]");
      const say = (words) => {
        if (error) { error.textContent = words; error.hidden = false; }
      };
      form.addEventListener("submit", (event) => {
        event.preventDefault(); // form.submit() below sends it once the key has answered
        if (!window.PublicKeyCredential) { say(MESSAGES.unsupported); return; }
        const buttons = form.querySelectorAll("button");
        buttons.forEach((b) => { b.disabled = true; });
        if (error) error.hidden = true;
        ceremony(form)
          .then((credential) => {
            field.value = JSON.stringify(answer(credential));
            form.submit();
          })
          .catch((failure) => {
            say(MESSAGES[failure.name] || MESSAGES.other);
            buttons.forEach((b) => { b.disabled = false; });
          });
      });
    });
  });
})();
