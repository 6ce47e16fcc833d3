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
