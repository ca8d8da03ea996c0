// The sales funnel chart (ECharts, from a JSON script tag). The page is readable without it: the
// figures are in the table under the chart.
(function () {
  "use strict";
  function draw() {
    var el = document.querySelector("[data-chart=funnel]");
    var src = document.getElementById("funnel-data");
    if (!el || !src || !window.echarts) return;
    var data = JSON.parse(src.textContent);
    var chart = window.echarts.init(el);
    var max = Math.max.apply(null, data.counts.concat([1]));
    chart.setOption({
      animation: false,
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var c = data.conversion[p.dataIndex];
          return p.name + "<br>" + data.labels.deals + ": " + p.value +
            (c === null ? "" : "<br>" + data.labels.conversion + ": " + c + "%");
        },
      },
      series: [{
        type: "funnel",
        sort: "none",
        min: 0,
        max: max,
        minSize: "8%",
        left: "5%", right: "5%", top: 10, bottom: 10,
        gap: 2,
        label: { show: true, position: "inside", formatter: "{b} {c}" },
        data: data.stages.map(function (name, i) { return { name: name, value: data.counts[i] }; }),
      }],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
