// siyu console: the few behaviours plain HTML lacks. No framework, no build step.
"use strict";

// Forms with data-confirm ask before submitting.
document.addEventListener("submit", (e) => {
  const msg = e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) e.preventDefault();
});

// Below 720 px a wide table is shown as one card per row (app.css): each cell is labelled here with its
// column's heading, and again when a script replaces the rows (the audience preview's sample).
(function tableCards() {
  const label = (table, heads) => table.querySelectorAll("tbody tr").forEach((tr) => {
    let col = 0;
    for (const td of tr.children) {
      td.dataset.label = td.colSpan > 1 ? "" : heads[col] || "";
      col += td.colSpan || 1;
    }
  });
  document.querySelectorAll("table.list").forEach((table) => {
    const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    if (!heads.length) return;
    label(table, heads);
    table.classList.add("cards");
    const body = table.querySelector("tbody");
    if (body) new MutationObserver(() => label(table, heads)).observe(body, { childList: true });
  });
})();

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

// The staff form offers only the units the chosen role may belong to (a customer manager: a
// sub-branch); when the unit chosen no longer fits, the first that does is chosen. The server checks
// the pair again.
(function unitsFollowRole() {
  const role = document.getElementById("staff-role");
  const unit = document.getElementById("staff-unit");
  if (!role || !unit) return;
  const apply = () => {
    const kinds = (role.selectedOptions[0]?.dataset.kinds || "").split(" ");
    let first = null;
    for (const o of unit.options) {
      const fits = kinds.includes(o.dataset.kind);
      o.hidden = !fits;
      o.disabled = !fits;
      if (fits && !first) first = o;
    }
    if (unit.selectedOptions[0]?.disabled && first) first.selected = true;
  };
  role.addEventListener("change", apply);
  apply();
})();

// A hand-over under way shows WeCom's latest results: its page reloads itself while the tab is open.
(function watchHandover() {
  const box = document.getElementById("handover-status");
  const secs = box && Number(box.dataset.running);
  if (!secs) return;
  setInterval(() => { if (document.visibilityState === "visible") window.location.reload(); }, secs * 1000);
})();

// A hand-over's "successor for all" fills every customer row still set to follow it.
(function handoverBulk() {
  const bulk = document.getElementById("handover-bulk");
  if (!bulk) return;
  const sync = () => {
    for (const s of document.querySelectorAll("select[data-follows-bulk]")) {
      const hint = s.querySelector("option[value='bulk']");
      if (hint) hint.textContent = `${hint.dataset.label} · ${bulk.selectedOptions[0]?.textContent || ""}`;
    }
  };
  bulk.addEventListener("change", sync);
  sync();
})();
