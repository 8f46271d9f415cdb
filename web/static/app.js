// backstop page behaviour: maps with ECharts (no tiles: GeoJSON only, works
// offline), and progress polling where htmx is not built in.
(function () {
  "use strict";

  function drawHouseholdMap() {
    var el = document.getElementById("map");
    var dataEl = document.getElementById("map-data");
    if (!el || !dataEl) return;
    if (!window.echarts) {
      el.textContent = el.getAttribute("data-missing") || "ECharts is not built into this binary.";
      return;
    }
    var d = JSON.parse(dataEl.textContent);
    var geo = { type: "FeatureCollection", features: [{ type: "Feature", properties: { name: d.name }, geometry: d.boundary }] };
    echarts.registerMap("area", geo);
    var chart = echarts.init(el);
    var series = [];
    if (d.point) {
      series.push({ type: "effectScatter", coordinateSystem: "geo", data: [{ name: "", value: d.point }], symbolSize: 12, itemStyle: { color: "#b42318" } });
    }
    chart.setOption({
      geo: { map: "area", roam: true, itemStyle: { areaColor: "#e6f0fa", borderColor: "#0b4f8a" }, label: { show: true, color: "#616e7c" } },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  // Without htmx, poll the import progress by reloading the page.
  function pollWithoutHtmx() {
    var p = document.querySelector("[data-poll]");
    if (p && !window.htmx) setTimeout(function () { location.reload(); }, 1500);
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawHouseholdMap();
    pollWithoutHtmx();
  });
})();
