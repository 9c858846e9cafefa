// siyu console: the compliance word list page. Adds and removes words of HQ's list through
// PUT /api/v1/compliance/rules and checks a typed text through POST /api/v1/content/lint, marking each
// finding's characters (offsets are code points, as Array.from counts them). No build step.
"use strict";

(function compliance() {
  const root = document.getElementById("compliance");
  if (!root) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const call = (method, url, body) => fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: JSON.stringify(body),
  }).then(async (r) => ({ ok: r.ok, body: await r.json().catch(() => ({})) }));
  const showError = (body) => {
    const p = document.getElementById("rules-error");
    p.textContent = (body && body.error && body.error.message) || root.dataset.failed;
    p.hidden = false;
  };
  const listed = () => [...document.querySelectorAll("#listed tbody tr")].map((tr) => ({
    word: tr.dataset.word,
    class: tr.dataset.class,
    blocking: tr.dataset.blocking === "true",
    unless_followed_by: tr.dataset.unless || "",
  }));
  const save = (words) => call("PUT", "/api/v1/compliance/rules", { words }).then((r) => {
    if (r.ok) window.location.reload();
    else showError(r.body);
  });
  document.getElementById("word-add").addEventListener("click", () => {
    const word = document.getElementById("new-word").value.trim();
    if (!word) return;
    const cls = document.getElementById("new-class").value;
    const blocking = document.getElementById("new-blocking").value === "true";
    save(listed().concat([{ word, class: cls, blocking, unless_followed_by: "" }]));
  });
  document.querySelectorAll(".word-remove").forEach((b) => b.addEventListener("click", () => {
    const gone = b.closest("tr").dataset.word;
    save(listed().filter((w) => w.word !== gone));
  }));

  document.getElementById("lint-run").addEventListener("click", () => {
    const text = document.getElementById("lint-text").value;
    const marked = document.getElementById("lint-marked");
    const list = document.getElementById("lint-findings");
    call("POST", "/api/v1/content/lint", { text, product_ids: [] }).then((r) => {
      marked.replaceChildren();
      list.replaceChildren();
      if (!r.ok) {
        const li = document.createElement("li");
        li.textContent = (r.body.error && r.body.error.message) || root.dataset.failed;
        list.append(li);
        return;
      }
      const chars = Array.from(text);
      let at = 0;
      for (const f of r.body.findings) {
        if (f.start < at || f.end <= f.start) continue;
        marked.append(chars.slice(at, f.start).join(""));
        const mark = document.createElement("mark");
        mark.className = f.blocking ? "lint-block" : "lint-warn";
        mark.title = f.message;
        mark.textContent = chars.slice(f.start, f.end).join("");
        marked.append(mark);
        at = f.end;
      }
      marked.append(chars.slice(at).join(""));
      for (const f of r.body.findings) {
        const li = document.createElement("li");
        li.className = f.blocking ? "lint-block" : "lint-warn";
        li.textContent = f.message;
        list.append(li);
      }
      if (!r.body.findings.length) {
        const li = document.createElement("li");
        li.textContent = root.dataset.clean;
        list.append(li);
      }
    });
  });
})();
