// Progressive enhancement: a "Show password" button below each password field.
// Without JavaScript the fields simply stay hidden; the forms work the same.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[type=password]").forEach((input) => {
    const label = document.querySelector(`label[for="${input.id}"]`);
    const button = document.createElement("button");
    button.type = "button"; // never submits the form
    button.className = "reveal";
    // The name stays the same and aria-pressed says whether it is on, as toggle buttons should.
    button.textContent = `Show ${(label ? label.textContent : "password").trim().toLowerCase()}`;
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-controls", input.id);
    button.addEventListener("click", () => {
      const show = input.type === "password";
      input.type = show ? "text" : "password";
      button.setAttribute("aria-pressed", String(show));
    });
    // Below the field and its error, so the error stays right under what it is about.
    (input.closest(".field") || input.parentElement).append(button);
    // Hidden again when sent, so password managers and form history treat it as a password.
    input.form.addEventListener("submit", () => {
      input.type = "password";
      button.setAttribute("aria-pressed", "false");
    });
  });
});
