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

// The audience builder: clicking a word inserts it; typing counts the expression live (debounced), with a
// masked sample, or shows where the expression goes wrong.
(function audienceBuilder() {
  const box = document.getElementById("expr");
  const out = document.getElementById("preview-count");
  if (!box || !out) return;
  const err = document.getElementById("expr-error");
  const canon = document.getElementById("preview-canonical");
  const body = document.querySelector("#preview-sample tbody");
  const checking = document.getElementById("preview").dataset.checking;
  let timer = null;
  let seq = 0;
  const cell = (tr, text, cls) => { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); return td; };
  const count = async () => {
    const text = box.value.trim();
    if (!text) { out.textContent = "—"; canon.textContent = ""; body.replaceChildren(); err.hidden = true; return; }
    const mine = ++seq;
    out.textContent = checking;
    const r = await fetch(`/api/v1/audiences/preview?expr=${encodeURIComponent(text)}`, { credentials: "same-origin" });
    if (mine !== seq) return; // a newer keystroke's answer will come
    const v = await r.json();
    if (!r.ok) {
      out.textContent = "—";
      canon.textContent = "";
      body.replaceChildren();
      err.textContent = v.error ? v.error.message : String(r.status);
      if (v.error && v.error.position != null) {
        const caret = document.createElement("code");
        caret.className = "caret";
        caret.textContent = `${text}\n${" ".repeat([...text.slice(0, v.error.position)].length)}^`;
        err.appendChild(caret);
        box.setSelectionRange(v.error.position, v.error.position);
      }
      err.hidden = false;
      return;
    }
    err.hidden = true;
    out.textContent = v.count.toLocaleString();
    canon.textContent = v.canonical;
    body.replaceChildren(...v.sample.map((c) => {
      const tr = document.createElement("tr");
      const a = document.createElement("a"); a.href = `/customers/${c.id}`; a.textContent = c.customer_no;
      cell(tr, "").appendChild(a);
      cell(tr, c.name); cell(tr, c.phone_masked || "", "mono"); cell(tr, String(c.aum_tier)); cell(tr, c.risk ? `C${c.risk.grade}` : "");
      return tr;
    }));
  };
  box.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(count, 250); });
  document.querySelectorAll(".chip[data-insert]").forEach((chip) => chip.addEventListener("click", () => {
    const word = chip.dataset.insert;
    const at = box.selectionStart ?? box.value.length;
    const before = box.value.slice(0, at).trimEnd();
    const joiner = before && !/(\(|and|or|not)$/.test(before) ? " and " : before ? " " : "";
    box.value = `${before}${joiner}${word}${box.value.slice(at)}`;
    box.focus();
    count();
  }));
  count();
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
