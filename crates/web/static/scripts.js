// siyu console: the script library's copy buttons. A click copies the script's words (as filled in
// for this manager) and tells siyu of the use (POST /api/v1/scripts/{item}/used), then shows the new
// count. No build step.
"use strict";

(function scripts() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const list = document.getElementById("script-list");
  if (!meta || !list) return;
  const copy = (text) => {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    // Plain HTTP (a branch intranet): the old way, through a selection.
    const area = document.createElement("textarea");
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy"));
  };
  list.querySelectorAll(".script").forEach((card) => {
    const button = card.querySelector(".script-copy");
    const done = card.querySelector(".script-done");
    button.addEventListener("click", () => {
      const text = card.querySelector(".script-text").innerText;
      copy(text).catch(() => {}).then(() => fetch("/api/v1/scripts/" + card.dataset.item + "/used", {
        method: "POST",
        credentials: "same-origin",
        headers: { "x-csrf-token": meta.content },
      })).then((r) => {
        if (r && r.ok) {
          const uses = card.querySelector(".script-uses");
          uses.textContent = String(Number(uses.textContent) + 1);
          done.textContent = list.dataset.copied;
        } else {
          done.textContent = list.dataset.failed;
        }
        done.hidden = false;
      });
    });
  });
})();
