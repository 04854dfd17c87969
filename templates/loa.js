// Loa's web desk: small progressive touches; every page works without them.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // forms that go back to this page
  for (const input of document.querySelectorAll("input[data-here]")) {
    input.value = location.pathname + location.search;
  }
  // buttons that ask first
  for (const b of document.querySelectorAll("button[data-confirm]")) {
    b.addEventListener("click", (e) => { if (!confirm(b.dataset.confirm)) e.preventDefault(); });
  }
  // live progress of the broadcasts in flight
  const bars = document.querySelectorAll("[data-broadcast]");
  if (bars.length > 0) {
    const tick = async () => {
      try {
        const r = await fetch("/progress.json", { credentials: "same-origin" });
        if (!r.ok) return;
        const all = await r.json();
        for (const el of bars) {
          const b = all.find((x) => String(x.pack_id) === el.dataset.broadcast);
          if (!b) { el.querySelector("[data-state]").textContent = el.dataset.done || ""; continue; }
          el.querySelector("progress").max = b.targeted;
          el.querySelector("progress").value = b.done;
          el.querySelector("[data-count]").textContent = b.done + " / " + b.targeted;
          el.querySelector("[data-state]").textContent = b.state_text;
        }
      } catch (_) { /* the next tick tries again */ }
    };
    setInterval(tick, 3000);
  }
  // the composer's live preview, exactly as Telegram will show the body
  const body = document.querySelector("textarea[data-preview]");
  if (body) {
    const out = document.getElementById(body.dataset.preview);
    const csrf = document.querySelector("input[name=csrf]").value;
    let timer = null;
    const show = async () => {
      const form = new URLSearchParams({ csrf, body: body.value });
      const r = await fetch("/preview", { method: "POST", body: form, credentials: "same-origin" });
      out.innerHTML = await r.text();
    };
    body.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(show, 300); });
  }
});
