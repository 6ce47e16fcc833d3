// mdsec — our own progressive enhancement. Every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Ask before destructive actions (forms marked data-confirm).
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  // Apply list filters as soon as a drop-down changes.
  const filter = document.getElementById("device-filter");
  if (filter) {
    for (const select of filter.querySelectorAll("select")) {
      select.addEventListener("change", () => filter.requestSubmit());
    }
  }
});

// The network diagram: search and priority filter hide device nodes; zoom changes the view box.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("diagram");
  const svg = box && box.querySelector("svg");
  if (!svg) return;
  const search = document.getElementById("diagram-search");
  const band = document.getElementById("diagram-priority");
  const count = document.getElementById("diagram-count");
  const nodes = Array.from(svg.querySelectorAll("g.device, g.device-group"));
  const texts = nodes.map((g) => (g.textContent + " " + Object.values(g.dataset).join(" ")).toLowerCase());
  const apply = () => {
    const q = search.value.trim().toLowerCase();
    const b = band.value;
    let shown = 0;
    nodes.forEach((g, i) => {
      const ok = (!q || texts[i].includes(q)) && (!b || g.dataset.priority === b);
      g.classList.toggle("dimmed", !ok);
      if (ok) shown += 1;
    });
    count.textContent = q || b ? shown + " / " + nodes.length : "";
  };
  search.addEventListener("input", apply);
  band.addEventListener("change", apply);
  const initial = (svg.getAttribute("viewBox") || "0 0 1000 1000").split(/[ ,]+/).map(Number);
  let view = initial.slice();
  const set = () => svg.setAttribute("viewBox", view.join(" "));
  const zoom = (f) => {
    const [x, y, w, h] = view;
    const nw = w * f, nh = h * f;
    view = [x + (w - nw) / 2, y + (h - nh) / 2, nw, nh];
    set();
  };
  document.getElementById("diagram-zoom-in").addEventListener("click", () => zoom(0.8));
  document.getElementById("diagram-zoom-out").addEventListener("click", () => zoom(1.25));
  document.getElementById("diagram-zoom-reset").addEventListener("click", () => { view = initial.slice(); set(); });
});
