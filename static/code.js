// Progressive enhancement for the code page; the page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const input = document.querySelector("input[autocomplete='one-time-code']");
  // WebOTP: fill the code from the SMS's "@host #code" line where the browser supports it.
  if (input && "OTPCredential" in window) {
    const abort = new AbortController();
    input.form.addEventListener("submit", () => abort.abort());
    navigator.credentials.get({ otp: { transport: ["sms"] }, signal: abort.signal })
      .then((otp) => { if (otp) { input.value = otp.code; input.form.requestSubmit(); } })
      .catch(() => {});
  }
  // Show when the code expires in the person's own time zone rather than UTC.
  document.querySelectorAll("p.sent time[datetime]").forEach((time) => {
    time.textContent = new Date(time.dateTime)
      .toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  });
  // Count down to when a new code may be asked for.
  const wait = document.getElementById("resend-wait");
  if (wait && wait.dataset.wait) {
    let left = Number(wait.dataset.wait);
    const tick = () => {
      wait.textContent = left > 0
        ? `You can ask for a new code in ${left} second${left === 1 ? "" : "s"}.`
        : "You can ask for a new code now.";
      // Screen readers hear the moment a new code may be asked for, not every second.
      if (left === 1) wait.setAttribute("aria-live", "polite");
      if (left-- > 0) setTimeout(tick, 1000);
    };
    tick();
  }
  // Delivery status: ask the server until Twilio reports how the text or call ended.
  const delivery = document.getElementById("delivery");
  if (delivery && delivery.dataset.final !== "true") {
    let polls = 100; // about five minutes, the life of a code
    const poll = () => {
      fetch(delivery.dataset.url, { headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : null))
        .then((state) => {
          if (!state) return;
          const words = document.getElementById("delivery-words");
          words.textContent = state.words;
          words.classList.toggle("error", state.failed);
          document.getElementById("delivery-fallback").hidden = !state.failed;
          if (!state.final && --polls > 0) setTimeout(poll, 3000);
        })
        .catch(() => {});
    };
    setTimeout(poll, 3000);
  }
});
