// Passkey ceremonies on Latch's pages. A form marked data-passkey="create" or "get" carries the
// options the server made (data-options, WebAuthn's JSON form); where the browser has WebAuthn
// the form is shown, and its button runs the ceremony and posts the result as `credential`.
// Without JavaScript or WebAuthn the form stays hidden: every page works without it.
(function () {
  "use strict";
  var PK = window.PublicKeyCredential;
  if (!PK || !PK.parseCreationOptionsFromJSON || !PK.parseRequestOptionsFromJSON) { return; }
  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    form.hidden = false;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var status = form.querySelector("[role=status]");
      var options = JSON.parse(form.getAttribute("data-options")).publicKey;
      var ceremony = form.getAttribute("data-passkey") === "create"
        ? navigator.credentials.create({ publicKey: PK.parseCreationOptionsFromJSON(options) })
        : navigator.credentials.get({ publicKey: PK.parseRequestOptionsFromJSON(options) });
      ceremony.then(function (credential) {
        form.querySelector("input[name=credential]").value = JSON.stringify(credential.toJSON());
        form.submit();
      }, function () {
        if (status) { status.textContent = form.getAttribute("data-failed"); }
      });
    });
  });
})();
