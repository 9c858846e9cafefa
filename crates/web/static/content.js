// siyu console: the content library's editor and review pages. Saves through the JSON API
// (POST /api/v1/content/items, POST …/items/{id}/versions, PUT …/versions/{id}), acts on a version
// (POST …/versions/{id}/{step}), and lints the body as it is typed through POST /api/v1/content/lint,
// marking each finding's characters (offsets are code points, as Array.from counts them). No build step.
"use strict";

(function content() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta) return;
  const csrf = meta.content;
  const call = (method, url, body) => fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: JSON.stringify(body),
  }).then(async (r) => ({ ok: r.ok, body: await r.json().catch(() => ({})) }));
  const val = (id) => { const el = document.getElementById(id); return el ? el.value : ""; };
  const showError = (root, body) => {
    const p = document.getElementById("editor-error");
    p.textContent = (body && body.error && body.error.message) || root.dataset.failed;
    p.hidden = false;
    p.scrollIntoView({ block: "center" });
  };

  const editor = document.getElementById("content-editor");
  if (editor) {
    const products = () => [...document.querySelectorAll(".f-product:checked")].map((c) => c.value);
    const kind = () => val("f-kind") || editor.dataset.kind;
    const showKind = () => document.querySelectorAll(".kind-field").forEach((f) => {
      f.hidden = !f.dataset.kinds.split(",").includes(kind());
    });
    showKind();
    const kindSelect = document.getElementById("f-kind");
    if (kindSelect) kindSelect.addEventListener("change", showKind);
    const draft = () => {
      const expires = val("f-expires");
      return {
        title: val("f-title"),
        body: val("f-body"),
        link_url: val("f-link-url"),
        link_desc: val("f-link-desc"),
        mini_appid: val("f-mini-appid"),
        mini_page: val("f-mini-page"),
        // Only the kinds that show the field send it (a text keeps no picture from a kind switch).
        media_id: (!document.getElementById("f-media").closest(".kind-field").hidden && val("f-media").trim()) || null,
        stage: val("f-stage") || null,
        channels: [...document.querySelectorAll(".f-channel:checked")].map((c) => c.value),
        // The bank's time (UTC+8), as the field shows it.
        expires_at: expires ? Date.parse(expires + ":00+08:00") : null,
        product_ids: products(),
      };
    };
    const marked = document.getElementById("lint-marked");
    const list = document.getElementById("lint-findings");
    const lint = () => {
      const text = val("f-body");
      call("POST", "/api/v1/content/lint", { text, product_ids: products() }).then((r) => {
        marked.replaceChildren();
        list.replaceChildren();
        if (!r.ok) {
          const li = document.createElement("li");
          li.textContent = (r.body.error && r.body.error.message) || editor.dataset.failed;
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
        if (r.body.findings.length) marked.append(chars.slice(at).join(""));
        for (const f of r.body.findings) {
          const li = document.createElement("li");
          li.className = f.blocking ? "lint-block" : "lint-warn";
          li.textContent = f.message;
          list.append(li);
        }
        if (!r.body.findings.length && text.trim()) {
          const li = document.createElement("li");
          li.textContent = editor.dataset.clean;
          list.append(li);
        }
      });
    };
    let timer = null;
    const later = () => { clearTimeout(timer); timer = setTimeout(lint, 400); };
    document.getElementById("f-body").addEventListener("input", later);
    document.querySelectorAll(".f-product").forEach((c) => c.addEventListener("change", later));
    if (val("f-body").trim()) lint();
    const save = document.getElementById("content-save");
    if (save) save.addEventListener("click", () => {
      const isNew = editor.dataset.new === "true";
      const body = isNew
        ? { kind: val("f-kind"), category: val("f-category"), variant_of: editor.dataset.variant || null, draft: draft() }
        : draft();
      call(editor.dataset.method, editor.dataset.url, body).then((r) => {
        if (r.ok) window.location.href = "/content/" + r.body.item_id;
        else showError(editor, r.body);
      });
    });
    document.querySelectorAll(".content-step").forEach((b) => b.addEventListener("click", () => {
      call("POST", "/api/v1/content/versions/" + editor.dataset.version + "/" + b.dataset.step, {}).then((r) => {
        if (r.ok) window.location.reload();
        else showError(editor, r.body);
      });
    }));
  }

  // The item page's "get a tracked link": for Moments, a group or one customer; the address shown
  // whole, ready to copy into WeCom.
  const linker = document.getElementById("content-link");
  if (linker) {
    const channel = document.getElementById("link-channel");
    const who = document.getElementById("link-customer-field");
    channel.addEventListener("change", () => { who.hidden = channel.value !== "one_to_one"; });
    document.getElementById("link-make").addEventListener("click", () => {
      const body = { version_id: linker.dataset.version };
      if (channel.value === "one_to_one") body.customer_id = val("link-customer").trim();
      else body.channel = channel.value;
      call("POST", "/api/v1/content/links", body).then((r) => {
        const err = document.getElementById("link-error");
        if (!r.ok) {
          err.textContent = (r.body && r.body.error && r.body.error.message) || linker.dataset.failed;
          err.hidden = false;
          return;
        }
        err.hidden = true;
        document.getElementById("link-url").value = window.location.origin + r.body.path;
        document.getElementById("link-made").hidden = false;
      });
    });
    document.getElementById("link-copy").addEventListener("click", () => {
      const input = document.getElementById("link-url");
      input.select();
      const done = () => { document.getElementById("link-copied").hidden = false; };
      if (navigator.clipboard) navigator.clipboard.writeText(input.value).then(done, () => document.execCommand("copy") && done());
      else if (document.execCommand("copy")) done();
    });
  }

  const review = document.getElementById("content-review");
  if (review) {
    document.querySelectorAll(".review-step").forEach((b) => b.addEventListener("click", () => {
      const step = b.dataset.step;
      // `seen`: the submission this page shows; one changed since is refused, not approved unread.
      const seen = Number(review.dataset.seen);
      const body = step === "reject"
        ? { reason: val("r-reason"), seen: seen }
        : { override_reason: val("r-override") || null, seen: seen,
            overriding: review.dataset.overriding.split(" ").filter(Boolean) };
      call("POST", "/api/v1/content/versions/" + review.dataset.version + "/" + step, body).then((r) => {
        if (r.ok) window.location.href = "/content/review";
        else showError(review, r.body);
      });
    }));
  }
})();
