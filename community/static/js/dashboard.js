/* Draws the dashboard charts from data-chart (JSON) with the vendored ECharts.
   The table beside each chart holds the same figures, so the page works without it. */
(function () {
  "use strict";
  if (!window.echarts) { return; }
  document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
    var spec;
    try { spec = JSON.parse(el.dataset.chart); } catch (e) { return; }
    if (!spec.labels || !spec.labels.length) { el.hidden = true; return; }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 40, bottom: 48 },
      xAxis: { type: "category", data: spec.labels, axisLabel: { interval: 0, rotate: spec.labels.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: spec.series.map(function (s) {
        return { name: s.name, type: spec.type, data: s.data, connectNulls: false, smooth: spec.type === "line" };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
}());
