// The audience builder (served on the audience form only): typing counts the expression live
// (debounced) with a masked sample, or shows where it goes wrong, and lists the values that match
// nothing with the nearest that do (one click puts a suggestion in). Conditions are built by clicking:
// an attribute, a comparison and a value picked from what the console shows (C1–C5, tiers and
// genders by name, the caller's sub-branches by name), joined with and/or, negated, bracketed.
(function audienceBuilder() {
  const box = document.getElementById("expr");
  const out = document.getElementById("preview-count");
  if (!box || !out) return;
  const err = document.getElementById("expr-error");
  const warn = document.getElementById("expr-warnings");
  const canon = document.getElementById("preview-canonical");
  const body = document.querySelector("#preview-sample tbody");
  const checking = document.getElementById("preview").dataset.checking;
  const words = document.getElementById("builder").dataset;
  let timer = null;
  let seq = 0;
  const cell = (tr, text, cls) => { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); return td; };

  // A warning reads "中文 / English" until the messages move into the language tables: the viewer's half.
  const en = document.documentElement.lang.startsWith("en");
  const inViewersLanguage = (m) => { const i = m.indexOf(" / "); return i < 0 ? m : en ? m.slice(i + 3) : m.slice(0, i); };
  const showWarnings = (list) => {
    warn.replaceChildren();
    if (!list || !list.length) { warn.hidden = true; return; }
    const title = document.createElement("strong"); title.textContent = warn.dataset.title; warn.appendChild(title);
    list.forEach((w) => {
      const p = document.createElement("p"); p.className = "small"; p.textContent = inViewersLanguage(w.message);
      (w.suggestions || []).forEach((s) => {
        const b = document.createElement("button");
        b.type = "button"; b.className = "chip"; b.textContent = `${warn.dataset.use} ${s}`;
        // Replaces the value as typed, quotes included, with the suggestion.
        b.addEventListener("click", () => { box.value = box.value.split(JSON.stringify(w.value)).join(JSON.stringify(s)); count(); });
        p.appendChild(document.createTextNode(" ")); p.appendChild(b);
      });
      warn.appendChild(p);
    });
    warn.hidden = false;
  };

  const count = async () => {
    const text = box.value.trim();
    if (!text) { out.textContent = "—"; canon.textContent = ""; body.replaceChildren(); err.hidden = true; showWarnings([]); return; }
    const mine = ++seq;
    out.textContent = checking;
    const r = await fetch(`/api/v1/audiences/preview?expr=${encodeURIComponent(text)}`, { credentials: "same-origin" });
    if (mine !== seq) return; // a newer keystroke's answer will come
    const v = await r.json();
    if (!r.ok) {
      out.textContent = "—";
      canon.textContent = "";
      body.replaceChildren();
      showWarnings([]);
      err.textContent = v.error ? v.error.message : String(r.status);
      if (v.error && v.error.position != null) {
        const caret = document.createElement("code");
        caret.className = "caret";
        caret.textContent = `${text}\n${" ".repeat([...text].slice(0, v.error.position).length)}^`;
        err.appendChild(caret);
      }
      err.hidden = false;
      return;
    }
    err.hidden = true;
    showWarnings(v.warnings);
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

  // Whether the text before the cursor ends a condition (then a new one needs and/or before it).
  const connectives = [words.and, words.or, words.not, "and", "or", "not"];
  const endsCondition = (before) => before !== "" && !before.endsWith("(") && !before.endsWith("（")
    && !connectives.some((w) => before.endsWith(` ${w}`) || before === w);

  const insert = (condition) => {
    const at = box.selectionStart ?? box.value.length;
    const before = box.value.slice(0, at).trimEnd();
    const join = document.querySelector("input[name=builder-join]:checked").value === "or" ? words.or : words.and;
    const not = document.getElementById("builder-not").checked ? `${words.not} ` : "";
    const joiner = endsCondition(before) ? ` ${join} ` : before ? " " : "";
    const after = box.value.slice(at);
    box.value = `${before}${joiner}${not}${condition}${after && !after.startsWith(" ") ? " " : ""}${after}`;
    const end = (before + joiner + not + condition).length;
    box.focus();
    box.setSelectionRange(end, end);
    count();
  };

  // The picker of the chosen attribute; the comparison decides between one value, several, a range.
  const attr = document.getElementById("builder-attr");
  const picks = [...document.querySelectorAll(".builder-pick")];
  const current = () => picks.find((p) => p.dataset.attr === attr.value);
  const fit = () => {
    picks.forEach((p) => { p.hidden = p !== current(); });
    const p = current();
    const op = p.querySelector(".builder-op").value;
    const to = p.querySelector(".builder-to");
    if (to) to.hidden = op !== "between";
    const val = p.querySelector(".builder-val");
    if (val) {
      // Several values start from none chosen; one value from the first.
      const several = op === "in";
      if (val.multiple !== several) {
        val.multiple = several;
        [...val.options].forEach((o, i) => { o.selected = !several && i === 0; });
      }
      val.size = op === "in" ? Math.min(val.options.length, 5) : 1;
      p.querySelector(".builder-several").hidden = op !== "in";
    }
  };
  attr.addEventListener("change", fit);
  picks.forEach((p) => p.querySelector(".builder-op").addEventListener("change", fit));
  fit();

  document.getElementById("builder-add").addEventListener("click", () => {
    const p = current();
    const word = p.dataset.word;
    const op = p.querySelector(".builder-op").value;
    const val = p.querySelector(".builder-val");
    if (!val) {
      const a = p.querySelector(".builder-num").value || p.querySelector(".builder-num").min;
      const b = p.querySelector(".builder-num2").value || p.querySelector(".builder-num2").max;
      insert(op === "between" ? `${word} ${words.between} ${Math.min(a, b)} ${words.betweenAnd} ${Math.max(a, b)}` : `${word} ${op} ${a}`);
      return;
    }
    const chosen = [...val.selectedOptions].map((o) => o.value);
    if (!chosen.length) return;
    insert(op === "in" ? `${word} ${words.in} [${chosen.join(", ")}]` : `${word} ${op} ${chosen[0]}`);
  });

  // Brackets around the selection, or around everything when nothing is selected.
  document.getElementById("builder-group").addEventListener("click", () => {
    const [from, to] = box.selectionStart !== box.selectionEnd ? [box.selectionStart, box.selectionEnd] : [0, box.value.length];
    const inner = box.value.slice(from, to).trim();
    if (!inner) return;
    box.value = `${box.value.slice(0, from)}(${inner})${box.value.slice(to)}`;
    box.focus();
    count();
  });
  document.getElementById("builder-clear").addEventListener("click", () => { box.value = ""; box.focus(); count(); });

  document.querySelectorAll(".chip[data-insert]").forEach((chip) => chip.addEventListener("click", () => insert(chip.dataset.insert)));
  box.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(count, 250); });
  count();
})();
