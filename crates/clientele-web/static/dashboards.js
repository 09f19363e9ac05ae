// Draws the dashboard charts: each [data-chart] holds an ECharts option as JSON. Runs on
// load and after htmx swaps a page in; resizes charts with the window.
(function () {
  "use strict";
  function draw(root) {
    if (typeof window.echarts === "undefined") return;
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      var option;
      try {
        option = JSON.parse(el.getAttribute("data-chart"));
      } catch (e) {
        return;
      }
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option, true);
    });
  }
  function resize() {
    if (typeof window.echarts === "undefined") return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var c = window.echarts.getInstanceByDom(el);
      if (c) c.resize();
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { draw(); });
  } else {
    draw();
  }
  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });
  window.addEventListener("resize", resize);
})();
