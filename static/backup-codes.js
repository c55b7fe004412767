// Copy, download and print the backup codes without sending them anywhere.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const list = document.getElementById("backup-codes");
  const actions = document.getElementById("backup-actions");
  const status = document.getElementById("backup-status");
  if (!list || !actions) return;
  const codes = [...list.querySelectorAll("code")].map((code) => code.textContent);
  const text = `${list.dataset.title}\n\n${codes.join("\n")}\n\nEach code works once.\n`;
  actions.hidden = false;
  actions.addEventListener("click", (event) => {
    const action = event.target.dataset.action;
    if (action === "copy") {
      navigator.clipboard.writeText(text).then(
        () => { status.textContent = "Copied."; },
        () => { status.textContent = "Could not copy: select the codes and copy them."; });
    } else if (action === "download") {
      // A blob made here, in the page: the codes never travel in a request.
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
      link.download = list.dataset.filename;
      link.click();
      URL.revokeObjectURL(link.href);
      status.textContent = "Downloaded.";
    } else if (action === "print") {
      window.print();
    }
  });
});
