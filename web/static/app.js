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

  // The warning map: county outlines, the warning's areas on top, and the
  // exposed villages shaded by the households they hold.
  function drawWarningMap() {
    var el = document.getElementById("warning-map");
    var dataEl = document.getElementById("warning-map-data");
    if (!el || !dataEl) return;
    if (!window.echarts) { el.textContent = el.getAttribute("data-missing") || (document.documentElement.lang === "en" ? "The map component is not built into this binary." : "地图组件未打包进本程序，地图暂不显示。"); return; }
    var d = JSON.parse(dataEl.textContent);
    echarts.registerMap("warning", { type: "FeatureCollection", features: d.features });
    var labels = {};
    d.features.forEach(function (f) { labels[f.properties.name] = f.properties.label || ""; });
    var regions = (d.areas || []).map(function (name) {
      return { name: name, itemStyle: { areaColor: "rgba(180,35,24,0.12)", borderColor: "#b42318", borderWidth: 2 }, label: { show: false } };
    });
    d.features.forEach(function (f) {
      if (f.properties.kind === "county") regions.push({ name: f.properties.name, itemStyle: { areaColor: "#f5f7fa", borderColor: "#616e7c", borderWidth: 1.2 },
        label: { show: true, formatter: f.properties.label || "", color: "#52606d", fontSize: 11 } });
      if (f.properties.kind === "township") regions.push({ name: f.properties.name, itemStyle: { areaColor: "rgba(0,0,0,0)", borderColor: "#9aa5b1", borderWidth: 0.8, borderType: "dashed" },
        label: { show: true, formatter: f.properties.label || "", color: "#616e7c", fontSize: 10 } });
    });
    var villages = d.villages || [];
    var maxV = villages.reduce(function (m, v) { return Math.max(m, v.value); }, 1);
    var chart = echarts.init(el);
    // On a release page villages are shaded by the share of key-group
    // persons confirmed: red for few, green for all.
    var confirmation = d.mode === "confirmation";
    // A campaign's map shades villages by the share of visits done; an
    // event's by the households that reported a loss.
    var visits = d.mode === "visits", losses = d.mode === "losses";
    var tip = confirmation
      ? function (p) { var v = p.data; return (labels[p.name] || p.name) + (v ? "：已确认 " + v.confirmed + " / " + v.total + " 人（" + v.value + "%）" : ""); }
      : visits ? function (p) { var v = p.data; return (labels[p.name] || p.name) + (v ? "：已走访 " + v.confirmed + " / " + v.total + " 户（" + v.value + "%）" : ""); }
      : losses ? function (p) { var v = p.data; return (labels[p.name] || p.name) + (v ? "：报告受灾 " + v.value + " 户" : ""); }
      : function (p) { var v = p.data; return (labels[p.name] || p.name) + (v ? "：" + v.value + " 户 / " + v.people + " 人" : ""); };
    var visual = confirmation || visits
      ? { min: 0, max: 100, left: 8, bottom: 8, text: [visits ? "100% 已走访" : "100% 已确认", "0%"], calculable: true, seriesIndex: 0, inRange: { color: ["#b42318", "#f7c28a", "#1a7f37"] } }
      : { min: 0, max: maxV, left: 8, bottom: 8, text: ["户", ""], calculable: true, seriesIndex: 0, inRange: { color: ["#fff4e5", "#e07a10", "#b42318"] } };
    chart.setOption({
      tooltip: { formatter: tip },
      visualMap: visual,
      geo: { map: "warning", roam: true, regions: regions, itemStyle: { areaColor: "#fff", borderColor: "#bcccdc" }, emphasis: { label: { show: false } } },
      series: [{ type: "map", geoIndex: 0, data: villages }]
    });
    // A click on a village lists its households.
    chart.on("click", function (p) {
      if (p.data && p.data.name && /^\d{12}$/.test(p.data.name)) location.href = "/households?region=" + p.data.name;
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  // The home map: sub-regions shaded by the households that warnings in
  // force expose there; a click opens the region (or a village's list).
  function drawRegionMap() {
    var el = document.getElementById("region-map");
    var dataEl = document.getElementById("region-map-data");
    if (!el || !dataEl || !window.echarts) return;
    var d = JSON.parse(dataEl.textContent);
    echarts.registerMap("home", { type: "FeatureCollection", features: d.features });
    var labels = {};
    d.features.forEach(function (f) { labels[f.properties.name] = f.properties.label || ""; });
    var maxV = d.values.reduce(function (m, v) { return Math.max(m, v.value); }, 0);
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { formatter: function (p) { return (labels[p.name] || "") + "：" + (p.data ? p.data.value : 0) + " " + d.unit; } },
      visualMap: { min: 0, max: Math.max(maxV, 1), left: 8, bottom: 8, text: [d.unit, "0"], calculable: true, inRange: { color: ["#f5f7fa", "#f7c28a", "#b42318"] } },
      series: [{ type: "map", map: "home", roam: true, data: d.values,
        label: { show: true, formatter: function (p) { return labels[p.name] || ""; }, fontSize: 11, color: "#1f2933" },
        itemStyle: { borderColor: "#616e7c" }, emphasis: { label: { show: true } } }]
    });
    chart.on("click", function (p) {
      if (!p.data) return;
      location.href = p.data.village ? (d.villageHref || "/households?region=") + p.data.name : (d.href || "/?region=") + p.data.name;
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  // Key groups by sub-region: stacked bars.
  function drawGroupChart() {
    var el = document.getElementById("group-chart");
    var dataEl = document.getElementById("group-chart-data");
    if (!el || !dataEl || !window.echarts) return;
    var d = JSON.parse(dataEl.textContent);
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "value", name: d.unit },
      yAxis: { type: "category", data: d.regions, inverse: true },
      series: d.series.map(function (s) { return { name: s.name, type: "bar", stack: "g", data: s.data }; })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  // The loop's funnel (found → monitored → helped → cleared); a click opens
  // the stage's list.
  function drawLoopFunnel() {
    var el = document.getElementById("loop-funnel");
    var dataEl = document.getElementById("loop-funnel-data");
    if (!el || !dataEl || !window.echarts) return;
    var d = JSON.parse(dataEl.textContent);
    var chart = echarts.init(el);
    var data = d.stages.map(function (s) { return { name: s.Label, value: s.Value, href: s.Href }; });
    var top = data.length ? Math.max(data[0].value, 1) : 1;
    chart.setOption({
      tooltip: { formatter: function (p) { return p.name + "：" + p.value; } },
      series: [{ type: "funnel", sort: "none", min: 0, max: top, minSize: "8%", gap: 2, left: "10%", width: "80%",
        label: { show: true, position: "inside", formatter: function (p) { return p.name + " " + p.value; }, color: "#1f2933" },
        itemStyle: { borderColor: "#fff" }, data: data,
        color: ["#b42318", "#f79009", "#2e90fa", "#12b76a"] }]
    });
    chart.on("click", function (p) { if (p.data && p.data.href) location.href = p.data.href; });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  // Horizontal bars of named counts (data-bars names the JSON); a click
  // opens the bar's list.
  function drawBars() {
    if (!window.echarts) return;
    document.querySelectorAll("[data-bars]").forEach(function (el) {
      var dataEl = document.getElementById(el.getAttribute("data-bars"));
      if (!dataEl) return;
      var d = JSON.parse(dataEl.textContent);
      var chart = echarts.init(el);
      chart.setOption({
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return v + " " + d.unit; } },
        grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", inverse: true, data: d.items.map(function (i) { return i.name; }) },
        series: [{ type: "bar", data: d.items.map(function (i) { return { value: i.value, href: i.href }; }), itemStyle: { color: "#2e90fa" } }]
      });
      chart.on("click", function (p) { if (p.data && p.data.href) location.href = p.data.href; });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  // The region cascader: choosing a level fills the next from the server.
  function wireRegionPicks() {
    document.querySelectorAll("[data-regionpick]").forEach(function (box) {
      var labels = { township: box.getAttribute("data-all-township") || "全部乡镇", village: box.getAttribute("data-all-village") || "全部村" };
      var next = { county: "township", township: "village" };
      box.addEventListener("change", function (ev) {
        var sel = ev.target;
        if (sel.tagName !== "SELECT") return;
        // Levels below the changed one no longer apply.
        var after = false;
        Array.prototype.slice.call(box.querySelectorAll("select")).forEach(function (s) {
          if (after) s.remove();
          if (s === sel) after = true;
        });
        var lvl = next[sel.getAttribute("data-level")];
        if (!sel.value || !lvl || !window.fetch) return;
        fetch("/regions/options?parent=" + encodeURIComponent(sel.value), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (opts) {
            if (!opts.length) return;
            var s = document.createElement("select");
            s.name = box.getAttribute("data-name");
            s.setAttribute("data-level", lvl);
            var o = document.createElement("option");
            o.value = ""; o.textContent = labels[lvl];
            s.appendChild(o);
            opts.forEach(function (x) { var e = document.createElement("option"); e.value = x.code; e.textContent = x.name; s.appendChild(e); });
            box.appendChild(s);
          });
      });
    });
  }

  // Destructive actions ask once: forms with data-ask.
  function wireAsks() {
    document.querySelectorAll("form[data-ask]").forEach(function (f) {
      f.addEventListener("submit", function (ev) {
        if (!window.confirm(f.getAttribute("data-ask"))) ev.preventDefault();
      });
    });
  }

  // Selects that apply at once (page size).
  function wireAutosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
      s.addEventListener("change", function () { if (s.form) s.form.submit(); });
    });
  }

  // A dashboard that refreshes itself while there is something to watch,
  // unless the user is typing in it.
  function wireRefresh() {
    var el = document.querySelector("[data-refresh]");
    if (!el) return;
    var secs = parseInt(el.getAttribute("data-refresh"), 10) || 30;
    setInterval(function () {
      var a = document.activeElement;
      if (a && (a.tagName === "INPUT" || a.tagName === "TEXTAREA" || a.tagName === "SELECT")) return;
      location.reload();
    }, secs * 1000);
  }

  // Countdowns to deadlines, in the page's words.
  function fmt(ms) {
    var m = Math.floor(ms / 60000), h = Math.floor(m / 60), d = Math.floor(h / 24);
    if (d >= 2) return d + "天" + (h % 24) + "小时";
    if (h >= 1) return h + "小时" + (m % 60) + "分";
    if (m >= 1) return m + "分钟";
    return Math.max(0, Math.round(ms / 1000)) + "秒";
  }
  function wireCountdowns() {
    var els = document.querySelectorAll("[data-countdown]");
    if (!els.length || document.documentElement.lang !== "zh-CN") return;
    function tick() {
      var now = Date.now();
      els.forEach(function (el) {
        var due = Date.parse(el.getAttribute("data-countdown"));
        if (isNaN(due)) return;
        el.textContent = due > now ? "剩余 " + fmt(due - now) : "已超时 " + fmt(now - due);
        el.classList.toggle("bad", due <= now);
      });
    }
    tick();
    setInterval(tick, 30000);
  }

  // Sortable tables: a click on a header sorts the rows shown.
  function wireSortable() {
    document.querySelectorAll("table[data-sortable]").forEach(function (t) {
      var heads = t.querySelectorAll("thead th");
      heads.forEach(function (th, i) {
        th.classList.add("sortable");
        th.addEventListener("click", function () {
          var body = t.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          var asc = th.getAttribute("data-dir") !== "asc";
          heads.forEach(function (h) { h.removeAttribute("data-dir"); });
          th.setAttribute("data-dir", asc ? "asc" : "desc");
          var val = function (r) { var c = r.cells[i]; return c ? c.textContent.trim() : ""; };
          rows.sort(function (a, b) {
            var x = val(a), y = val(b);
            var nx = parseFloat(x.replace(/[,%]/g, "")), ny = parseFloat(y.replace(/[,%]/g, ""));
            var c = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y, "zh-CN");
            return asc ? c : -c;
          });
          rows.forEach(function (r) { body.appendChild(r); });
        });
      });
    });
  }

  // Without htmx, poll the import progress by reloading the page.
  function pollWithoutHtmx() {
    var p = document.querySelector("[data-poll]");
    if (p && !window.htmx) setTimeout(function () { location.reload(); }, 1500);
  }

  // Confirmation pages on a weak connection: a tap is kept on the phone
  // (localStorage) until the server has it, and sent again when the
  // connection returns or the page is opened again.
  var QUEUE = "backstop.confirmations";
  function loadQueue() { try { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; } }
  function saveQueue(q) { try { localStorage.setItem(QUEUE, JSON.stringify(q)); } catch (e) { /* private mode: nothing kept */ } }
  function showQueued(q) {
    var note = document.getElementById("queue-note");
    if (note) note.hidden = q.length === 0;
  }
  // retryTimer sends the queue again while it is not empty: a phone's
  // "online" event is not reliable (it may fire before the connection is
  // usable, or not at all), so a kept tap never waits on it alone.
  var retryTimer = null;
  function retryLater() {
    if (retryTimer === null) retryTimer = setTimeout(function () { retryTimer = null; flushQueue(); }, 3000);
  }
  function flushQueue() {
    var q = loadQueue();
    showQueued(q);
    if (!q.length) return;
    if (!navigator.onLine) { retryLater(); return; }
    var item = q[0];
    fetch(item.action, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Requested-With": "fetch" }, body: item.body, credentials: "same-origin" })
      .then(function (res) {
        if (res.ok || (res.status >= 400 && res.status < 500)) {
          // Done, or refused for good (the page shows why on reload).
          q = loadQueue().filter(function (x) { return x.id !== item.id; });
          saveQueue(q);
          showQueued(q);
          var el = document.getElementById(item.el);
          if (el) {
            el.classList.remove("queued");
            if (res.ok) {
              var done = document.createElement("div");
              done.className = "done";
              done.textContent = "✔ 已记录";
              el.appendChild(done);
            }
          }
          if (q.length) flushQueue(); else if (res.ok) location.reload();
        }
      })
      .catch(function () { showQueued(loadQueue()); retryLater(); });
  }
  function wireConfirmations() {
    var forms = document.querySelectorAll("form[data-confirm]");
    if (!forms.length || !window.fetch) return;
    forms.forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var outcome = ev.submitter ? ev.submitter.value : "";
        var params = new URLSearchParams(new FormData(form));
        params.set("outcome", outcome);
        var person = form.closest(".person") || form.closest(".household");
        if (person) person.classList.add("queued");
        var q = loadQueue();
        q.push({ id: Date.now() + "-" + Math.random(), action: form.action, body: params.toString(), el: person ? person.id : "" });
        saveQueue(q);
        flushQueue();
      });
    });
    window.addEventListener("online", flushQueue);
    flushQueue();
  }

  // Loss forms on the phone: every keystroke is kept as a draft on the
  // phone (localStorage), so that a lost connection or a closed page loses
  // nothing; a submit goes into a queue that is sent when the connection
  // returns, and the draft is dropped only once the server has the report.
  var DRAFTS = "backstop.drafts";
  function loadDrafts() { try { return JSON.parse(localStorage.getItem(DRAFTS) || "{}"); } catch (e) { return {}; } }
  function saveDrafts(d) { try { localStorage.setItem(DRAFTS, JSON.stringify(d)); } catch (e) { /* private mode */ } }
  function formValues(form) {
    var out = {};
    new FormData(form).forEach(function (v, k) { out[k] = v; });
    return out;
  }
  function restore(form, values) {
    Object.keys(values).forEach(function (k) {
      var els = form.elements[k];
      if (!els) return;
      var list = els.length !== undefined && !els.tagName ? els : [els];
      Array.prototype.forEach.call(list, function (el) {
        if (el.type === "radio" || el.type === "checkbox") el.checked = el.value === values[k];
        else if (el.type !== "hidden" || !el.value) el.value = values[k];
      });
    });
  }
  function sendDraft(form, key) {
    var drafts = loadDrafts();
    var item = drafts[key];
    var errBox = document.getElementById("form-error");
    if (!item || !item.queued || !navigator.onLine) return;
    var body = new URLSearchParams(item.values).toString();
    fetch(form.action, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Requested-With": "fetch" }, body: body, credentials: "same-origin" })
      .then(function (res) {
        if (res.ok) {
          var d = loadDrafts(); delete d[key]; saveDrafts(d);
          location.href = form.getAttribute("data-done") || location.href;
          return;
        }
        if (res.status >= 400 && res.status < 500) {
          // Refused: the helper corrects it; the draft stays.
          var d2 = loadDrafts(); if (d2[key]) { d2[key].queued = false; saveDrafts(d2); }
          res.text().then(function (t) { if (errBox) { errBox.textContent = t; errBox.hidden = false; } });
        }
      })
      .catch(function () { /* offline: sent again when the connection returns */ });
  }
  function wireDrafts() {
    var form = document.querySelector("form[data-draft]");
    if (!form || !window.fetch || !window.URLSearchParams) return;
    var key = form.getAttribute("data-draft");
    var note = document.getElementById("draft-note");
    var drafts = loadDrafts();
    if (drafts[key] && !document.querySelector("[data-testid=error]")) {
      restore(form, drafts[key].values);
      if (note) note.hidden = false;
    }
    var keep = function () {
      var d = loadDrafts();
      d[key] = { values: formValues(form), queued: d[key] ? d[key].queued : false, at: Date.now() };
      saveDrafts(d);
    };
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var d = loadDrafts();
      d[key] = { values: formValues(form), queued: true, at: Date.now() };
      saveDrafts(d);
      if (note) { note.hidden = false; }
      sendDraft(form, key);
    });
    window.addEventListener("online", function () { sendDraft(form, key); });
    sendDraft(form, key);
    // Where the visit took place, if the phone may say.
    if (navigator.geolocation && form.elements.lon && !form.elements.lon.value) {
      navigator.geolocation.getCurrentPosition(function (p) {
        form.elements.lon.value = p.coords.longitude.toFixed(6);
        form.elements.lat.value = p.coords.latitude.toFixed(6);
        var g = document.getElementById("gps-note");
        if (g) g.textContent += " ✔";
        keep();
      }, function () { /* refused: the report goes without a position */ }, { timeout: 10000, maximumAge: 600000 });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawHouseholdMap();
    drawWarningMap();
    drawRegionMap();
    drawGroupChart();
    drawLoopFunnel();
    drawBars();
    wireRegionPicks();
    wireAsks();
    wireAutosubmit();
    wireRefresh();
    wireCountdowns();
    wireSortable();
    pollWithoutHtmx();
    wireConfirmations();
    wireDrafts();
  });
})();
