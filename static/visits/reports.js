// Daily reports, analytics and the check-in map: charts (ECharts, from a JSON script tag) and the
// evening review's one-note-at-a-time pager on a phone. Every page is readable without this file:
// the numbers are in the tables under the charts, the notes are stacked.
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  var charts = [];
  function track(chart) {
    charts.push(chart);
    return chart;
  }
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });

  // --- close rate by number of visits: bars of the rate, won/lost in the tooltip ---------------------
  function closeRate(el, data) {
    var chart = track(window.echarts.init(el));
    chart.setOption({
      animation: false,
      grid: { left: 44, right: 12, top: 28, bottom: 40 },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        formatter: function (items) {
          var i = items[0].dataIndex;
          var rate = data.rates[i] === null ? "—" : data.rates[i] + "%";
          return data.buckets[i] + "<br>" + data.labels.rate + ": " + rate +
            "<br>" + data.labels.won + ": " + data.won[i] + " · " + data.labels.lost + ": " + data.lost[i];
        },
      },
      xAxis: { type: "category", data: data.buckets, name: data.labels.visits, nameLocation: "middle", nameGap: 26 },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{
        type: "bar",
        name: data.labels.rate,
        barMaxWidth: 64,
        data: data.rates.map(function (r) { return r === null ? 0 : r; }),
        itemStyle: { color: "#1f6feb", borderRadius: [4, 4, 0, 0] },
        label: {
          show: true,
          position: "top",
          formatter: function (p) {
            var i = p.dataIndex;
            return data.rates[i] === null ? "—" : data.rates[i] + "% (" + data.won[i] + "/" + (data.won[i] + data.lost[i]) + ")";
          },
        },
      }],
    });
  }

  // --- the day's check-ins: a scatter on longitude / latitude (no map tiles, no network) -------------
  function bounds(points, el) {
    var lngs = [], lats = [];
    points.forEach(function (p) {
      lngs.push(p.lng); lats.push(p.lat);
      if (p.flagged && p.customer_lat !== null && p.customer_lng !== null) { lngs.push(p.customer_lng); lats.push(p.customer_lat); }
    });
    var minLng = Math.min.apply(null, lngs), maxLng = Math.max.apply(null, lngs);
    var minLat = Math.min.apply(null, lats), maxLat = Math.max.apply(null, lats);
    var midLat = (minLat + maxLat) / 2, midLng = (minLng + maxLng) / 2;
    var cos = Math.max(0.2, Math.cos(midLat * Math.PI / 180));
    // at least ~2 km across, 10% margin; then widen one side so that a kilometre looks the same both ways
    var spanLat = Math.max(maxLat - minLat, 0.02) * 1.2;
    var spanLng = Math.max(maxLng - minLng, 0.02 / cos) * 1.2;
    var ratio = (el.clientWidth || 300) / (el.clientHeight || 300);
    if (spanLng * cos / spanLat < ratio) spanLng = spanLat * ratio / cos; else spanLat = spanLng * cos / ratio;
    return { minLng: midLng - spanLng / 2, maxLng: midLng + spanLng / 2, minLat: midLat - spanLat / 2, maxLat: midLat + spanLat / 2 };
  }

  function checkinMap(el, data) {
    var points = data.points.filter(function (p) { return p.lat !== null && p.lng !== null; });
    if (!points.length) return;
    var b = bounds(points, el);
    var L = data.labels;
    function row(p, i) { return [p.lng, p.lat, i]; }
    var ok = [], flagged = [], homes = [], links = [];
    points.forEach(function (p, i) {
      (p.flagged ? flagged : ok).push(row(p, i));
      if (p.flagged && p.customer_lat !== null && p.customer_lng !== null && p.placed === "checkin") {
        homes.push([p.customer_lng, p.customer_lat, i]);
        links.push([[p.lng, p.lat], [p.customer_lng, p.customer_lat]]);
      }
    });
    function tip(param) {
      var p = points[param.value[2]];
      var lines = ["<b>" + escapeHtml(p.customer) + "</b>", L.salesperson + ": " + escapeHtml(p.salesperson), L.time + ": " + p.time];
      if (p.distance_text) lines.push(L.distance + ": " + p.distance_text);
      if (p.manual) lines.push(L.manual);
      if (p.flagged && p.reason) lines.push("⚑ " + escapeHtml(p.reason));
      if (param.seriesId === "customer") lines.unshift(L.customer);
      return lines.join("<br>");
    }
    var chart = track(window.echarts.init(el));
    chart.setOption({
      animation: false,
      grid: { left: 56, right: 16, top: 16, bottom: 36 },
      tooltip: { trigger: "item", confine: true, formatter: tip },
      xAxis: { type: "value", name: L.lng, nameLocation: "middle", nameGap: 22, min: b.minLng, max: b.maxLng,
        axisLabel: { formatter: function (v) { return v.toFixed(2) + "°"; } }, splitLine: { lineStyle: { color: "#eef0f3" } } },
      yAxis: { type: "value", name: L.lat, nameLocation: "middle", nameGap: 44, min: b.minLat, max: b.maxLat,
        axisLabel: { formatter: function (v) { return v.toFixed(2) + "°"; } }, splitLine: { lineStyle: { color: "#eef0f3" } } },
      dataZoom: [{ type: "inside", xAxisIndex: 0, filterMode: "none" }, { type: "inside", yAxisIndex: 0, filterMode: "none" }],
      series: [
        { id: "links", type: "lines", coordinateSystem: "cartesian2d", silent: true, data: links.map(function (c) { return { coords: c }; }),
          lineStyle: { color: "#c8322b", type: "dashed", width: 1, opacity: 0.6 } },
        { id: "customer", name: L.customer, type: "scatter", data: homes, symbolSize: 10,
          itemStyle: { color: "#fff", borderColor: "#98a2b3", borderWidth: 2 } },
        { id: "ok", name: L.ok, type: "scatter", data: ok, symbolSize: 12, itemStyle: { color: "#1f6feb", opacity: 0.85 } },
        { id: "flagged", name: L.flagged, type: "scatter", data: flagged, symbolSize: 14, symbol: "diamond",
          itemStyle: { color: "#c8322b" } },
      ],
    });
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function initCharts() {
    if (!window.echarts) return; // the tables show the same numbers
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var data = readJson(el.getAttribute("data-source"));
      if (!data) return;
      var kind = el.getAttribute("data-chart");
      if (kind === "close-rate") closeRate(el, data);
      else if (kind === "checkin-map") checkinMap(el, data);
    });
  }

  // --- the evening review: one note at a time on a phone, swiped left and right ----------------------
  function initPager() {
    var grid = document.querySelector("[data-review]");
    var bar = document.querySelector("[data-pager]");
    if (!grid || !bar) return;
    var cards = Array.prototype.slice.call(grid.querySelectorAll(".note-card"));
    if (cards.length < 2) return;
    var phone = window.matchMedia("(max-width: 899px)");
    var pos = bar.querySelector("[data-position]");
    var index = 0;

    function show(i, from) {
      index = Math.max(0, Math.min(cards.length - 1, i));
      cards.forEach(function (c, k) {
        c.classList.toggle("current", k === index);
        c.classList.remove("from-left", "from-right");
      });
      if (from) cards[index].classList.add(from);
      pos.textContent = index + 1 + " / " + cards.length;
      bar.querySelector("[data-prev]").disabled = index === 0;
      bar.querySelector("[data-next]").disabled = index === cards.length - 1;
    }
    function apply() {
      var on = phone.matches;
      grid.classList.toggle("paged", on);
      bar.hidden = !on;
      if (on) show(index);
    }
    bar.querySelector("[data-prev]").addEventListener("click", function () { show(index - 1, "from-left"); });
    bar.querySelector("[data-next]").addEventListener("click", function () { show(index + 1, "from-right"); });

    var startX = null, startY = null;
    grid.addEventListener("touchstart", function (e) {
      if (!grid.classList.contains("paged") || e.touches.length !== 1) return;
      startX = e.touches[0].clientX; startY = e.touches[0].clientY;
    }, { passive: true });
    grid.addEventListener("touchend", function (e) {
      if (startX === null) return;
      var dx = e.changedTouches[0].clientX - startX, dy = e.changedTouches[0].clientY - startY;
      startX = null;
      if (Math.abs(dx) < 50 || Math.abs(dx) < Math.abs(dy) * 1.5) return; // a scroll, not a swipe
      if (dx < 0) show(index + 1, "from-right"); else show(index - 1, "from-left");
    }, { passive: true });
    document.addEventListener("keydown", function (e) {
      if (!grid.classList.contains("paged")) return;
      if (e.key === "ArrowRight") show(index + 1, "from-right");
      if (e.key === "ArrowLeft") show(index - 1, "from-left");
    });
    if (phone.addEventListener) phone.addEventListener("change", apply); else phone.addListener(apply);
    apply();
  }

  function init() {
    initCharts();
    initPager();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
