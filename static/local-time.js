// Show every <time datetime> on the page in the person's own time zone; UTC without script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("time[datetime]").forEach((time) => {
    const when = new Date(time.dateTime);
    if (Number.isNaN(when.getTime())) return;
    time.textContent = when.toLocaleString([], {
      day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
    });
    time.title = when.toISOString();
  });
});
