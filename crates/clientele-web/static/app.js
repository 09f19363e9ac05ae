// Clientele — the UI's own small script. Everything works without it; it adds the mobile
// navigation drawer, confirmations, copy buttons and toast dismissal. No inline scripts
// anywhere (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  function closest(el, sel) { return el && el.closest ? el.closest(sel) : null; }

  document.addEventListener("click", function (ev) {
    var toggle = closest(ev.target, "[data-toggle-nav]");
    if (toggle) {
      var nav = document.getElementById("sidebar");
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    var copy = closest(ev.target, "[data-copy]");
    if (copy && navigator.clipboard) {
      navigator.clipboard.writeText(copy.getAttribute("data-copy"));
      copy.textContent = "✓";
      return;
    }
    // A click outside an open account menu closes it.
    document.querySelectorAll("details.user-menu[open]").forEach(function (d) {
      if (!d.contains(ev.target)) d.removeAttribute("open");
    });
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") {
      document.querySelectorAll("details.user-menu[open]").forEach(function (d) { d.removeAttribute("open"); });
      var nav = document.getElementById("sidebar");
      if (nav) nav.classList.remove("open");
    }
  });

  // Forms marked data-confirm ask first (works with and without htmx).
  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  }, true);

  // Toasts fade out after a few seconds.
  function arm(root) {
    (root || document).querySelectorAll(".toast:not([data-armed])").forEach(function (t) {
      t.setAttribute("data-armed", "1");
      setTimeout(function () { t.classList.add("leaving"); }, 4500);
      setTimeout(function () { t.remove(); }, 5000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { arm(); });
  document.addEventListener("htmx:afterSettle", function () { arm(); });
})();
