/* Draws the dashboard charts from data-chart (JSON) with the vendored ECharts.
   The table beside each chart holds the same figures, so the page works without it.
   Every point carries its sample: {value, n, low, high, few}. A point or bar from fewer
   valid ratings than the minimum sample ("few") is drawn hollow and grey with its n, and
   the trend lines carry their 95% Wilson band, so one rating never looks like two hundred. */
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var GREY = "#9aa0a6";

  function item(point, type) {
    var out = { value: point.value, n: point.n, low: point.low, high: point.high, few: point.few };
    if (point.few && point.value != null) {
      out.itemStyle = type === "bar"
        ? { color: "transparent", borderColor: GREY, borderWidth: 1.5, borderType: "dashed" }
        : { color: "#fff", borderColor: GREY, borderWidth: 1.5 };
      out.symbol = "emptyCircle";
      out.label = { show: true, position: "top", color: GREY, formatter: "n=" + point.n };
    }
    return out;
  }

  function bands(spec) {
    // Per line: the band's floor (invisible) and its height stacked on it.
    var out = [];
    spec.series.forEach(function (s, i) {
      var stack = "band" + i;
      out.push({ name: s.name, type: "line", stack: stack, silent: true, symbol: "none",
                 lineStyle: { opacity: 0 }, tooltip: { show: false },
                 data: s.data.map(function (p) { return p.low; }) });
      out.push({ name: s.name, type: "line", stack: stack, silent: true, symbol: "none",
                 lineStyle: { opacity: 0 }, areaStyle: { opacity: 0.12 }, tooltip: { show: false },
                 data: s.data.map(function (p) { return p.low == null || p.high == null ? null : p.high - p.low; }) });
    });
    return out;
  }

  function tip(params) {
    var list = Array.isArray(params) ? params : [params];
    var lines = [];
    list.forEach(function (p) {
      var d = p.data || {};
      if (d.n === undefined) { return; }
      var text = p.marker + p.seriesName + " " + (d.value == null ? "—" : d.value + "%") + " · n=" + d.n;
      if (d.low != null) { text += " · 95% " + d.low + "–" + d.high + "%"; }
      if (d.few) { text += " ⚠"; }
      lines.push(text);
    });
    return (list[0] ? list[0].axisValueLabel || list[0].name : "") + "<br>" + lines.join("<br>");
  }

  document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
    var spec;
    try { spec = JSON.parse(el.dataset.chart); } catch (e) { return; }
    if (!spec.labels || !spec.labels.length) { el.hidden = true; return; }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    var series = spec.series.map(function (s) {
      return { name: s.name, type: spec.type, connectNulls: false, smooth: false,
               data: s.data.map(function (p) { return item(p, spec.type); }) };
    });
    if (spec.type === "line") { series = series.concat(bands(spec)); }
    chart.setOption({
      tooltip: { trigger: "axis", formatter: tip },
      legend: { top: 0, data: spec.series.map(function (s) { return s.name; }) },
      grid: { left: 48, right: 16, top: 40, bottom: 48 },
      xAxis: { type: "category", data: spec.labels, axisLabel: { interval: 0, rotate: spec.labels.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
}());
