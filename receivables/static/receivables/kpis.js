// The four attitudes (回款的四种态度): ECharts scatter of sales achieved against collection rate, one
// point per salesperson, the quadrant lines at the medians or targets. The table under it has the
// same figures (and the quadrant of each salesperson) for a phone or without JavaScript.
(function () {
  "use strict";
  var COLORS = { strategy_led: "#1a7f37", sales_led: "#b35900", collection_led: "#0b5cad", passive: "#b42318" };
  function draw() {
    var el = document.querySelector("[data-chart=attitudes]");
    var src = document.getElementById("attitudes-data");
    if (!el || !src || !window.echarts) return;
    var data = JSON.parse(src.textContent);
    var chart = window.echarts.init(el);
    var series = Object.keys(data.quadrants).map(function (q) {
      return {
        name: data.quadrants[q],
        type: "scatter",
        symbolSize: 14,
        itemStyle: { color: COLORS[q] },
        label: { show: true, position: "right", formatter: function (p) { return p.data[2]; }, fontSize: 11 },
        data: data.points.filter(function (p) { return p.quadrant === q; })
          .map(function (p) { return [p.sales_yuan, p.rate_pct, p.name]; }),
      };
    });
    var lines = [];
    if (data.sales_line !== null) lines.push({ xAxis: data.sales_line });
    if (data.rate_line !== null) lines.push({ yAxis: data.rate_line });
    if (series.length) {
      series[0].markLine = { silent: true, symbol: "none", lineStyle: { type: "dashed", color: "#888" }, label: { show: false }, data: lines };
    }
    chart.setOption({
      animation: false,
      grid: { left: 56, right: 24, top: 40, bottom: 48 },
      legend: { top: 0, type: "scroll" },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          return p.data[2] + "<br>" + data.labels.sales + ": " + p.data[0].toLocaleString() +
            "<br>" + data.labels.rate + ": " + p.data[1] + "%";
        },
      },
      xAxis: { type: "value", name: data.labels.sales, nameLocation: "middle", nameGap: 28, scale: true },
      yAxis: { type: "value", name: data.labels.rate, min: 0, max: function (v) { return Math.max(100, Math.ceil(v.max)); } },
      series: series,
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
