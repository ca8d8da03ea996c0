// Receivables, ops part: the account's days-past-due chart (ECharts, from a JSON script tag) and the
// copy button of the pre-warning message. The page is readable without this file.
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function dpdChart(el, data) {
    if (!window.echarts || !data || !data.days.length) return;
    var chart = window.echarts.init(el);
    chart.setOption({
      animation: false,
      grid: { left: 40, right: 12, top: 16, bottom: 32 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.days, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", min: 0, minInterval: 1 },
      series: [{
        type: "line",
        step: "end",
        symbol: "none",
        data: data.dpd,
        areaStyle: { color: "rgba(209, 36, 47, 0.12)" },
        lineStyle: { color: "#d1242f" },
      }],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() {
    document.querySelectorAll('[data-chart="ops-dpd"]').forEach(function (el) {
      dpdChart(el, readJson(el.dataset.source));
    });
    document.querySelectorAll("[data-copy]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var field = document.querySelector(btn.dataset.copy);
        if (!field) return;
        var done = function () { btn.textContent = btn.dataset.copied || btn.textContent; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(done, function () { field.select(); document.execCommand("copy"); done(); });
        } else {
          field.select();
          document.execCommand("copy");
          done();
        }
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
