// siyu console: the few behaviours plain HTML lacks. No framework, no build step.
"use strict";

// Forms with data-confirm ask before submitting.
document.addEventListener("submit", (e) => {
  const msg = e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) e.preventDefault();
});

// An import still running polls its status and moves the progress bar; the page reloads when done.
(function watchImport() {
  const box = document.getElementById("import-status");
  if (!box) return;
  const running = ["validating", "committing"];
  if (!running.includes(box.dataset.status)) return;
  const id = box.dataset.import;
  const zh = document.documentElement.lang !== "en";
  const tick = async () => {
    try {
      const r = await fetch(`/api/v1/imports/${id}`, { credentials: "same-origin" });
      if (!r.ok) return;
      const imp = await r.json();
      if (!running.includes(imp.status)) { window.location.reload(); return; }
      const bar = document.getElementById("progress-bar");
      const text = document.getElementById("progress-text");
      if (imp.status === "committing" && imp.good_rows > 0) {
        bar.style.width = `${Math.floor((imp.rows_committed * 100) / imp.good_rows)}%`;
        text.textContent = zh ? `正在写入 ${imp.rows_committed} / ${imp.good_rows} 行` : `Writing ${imp.rows_committed} of ${imp.good_rows} rows`;
      } else if (imp.rows_read != null) {
        text.textContent = zh ? `正在检查… 已读 ${imp.rows_read} 行` : `Checking rows… ${imp.rows_read} read`;
      }
    } catch (_) { /* the next tick tries again */ }
    setTimeout(tick, 700);
  };
  setTimeout(tick, 500);
})();
