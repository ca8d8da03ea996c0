// Expected against collected (应收与实收): a bar chart drawn from a JSON script tag with ECharts.
// The page is readable without it: the figures are in the table under the chart.
(function () {
  "use strict";
  function draw() {
    var el = document.querySelector("[data-chart=expected]");
    var src = document.getElementById("expected-data");
    if (!el || !src || !window.echarts) return;
    var data = JSON.parse(src.textContent);
    var chart = window.echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: [data.labels.expected, data.labels.collected], top: 0 },
      grid: { left: 8, right: 8, top: 30, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.periods, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", axisLabel: { formatter: function (v) { return "¥" + (v >= 10000 ? (v / 10000) + "万" : v); } } },
      series: [
        { name: data.labels.expected, type: "bar", data: data.expected, itemStyle: { color: "#9fb3c8" } },
        { name: data.labels.collected, type: "bar", data: data.collected, itemStyle: { color: "#2f855a" } },
      ],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
