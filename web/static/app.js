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
    if (!window.echarts) { el.textContent = el.getAttribute("data-missing") || "ECharts is not built into this binary."; return; }
    var d = JSON.parse(dataEl.textContent);
    echarts.registerMap("warning", { type: "FeatureCollection", features: d.features });
    var labels = {};
    d.features.forEach(function (f) { labels[f.properties.name] = f.properties.label || ""; });
    var regions = (d.areas || []).map(function (name) {
      return { name: name, itemStyle: { areaColor: "rgba(180,35,24,0.12)", borderColor: "#b42318", borderWidth: 2 }, label: { show: false } };
    });
    d.features.forEach(function (f) {
      if (f.properties.kind === "county") regions.push({ name: f.properties.name, itemStyle: { areaColor: "#f5f7fa", borderColor: "#616e7c", borderWidth: 1.2 } });
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
    window.addEventListener("resize", function () { chart.resize(); });
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
  function flushQueue() {
    var q = loadQueue();
    showQueued(q);
    if (!q.length || !navigator.onLine) return;
    var item = q[0];
    fetch(item.action, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Requested-With": "fetch" }, body: item.body, credentials: "same-origin" })
      .then(function (res) {
        if (res.ok || (res.status >= 400 && res.status < 500)) {
          // Done, or refused for good (the page shows why on reload).
          q = loadQueue().filter(function (x) { return x.id !== item.id; });
          saveQueue(q);
          showQueued(q);
          var el = document.getElementById(item.el);
          if (el) el.classList.remove("queued");
          if (q.length) flushQueue(); else if (res.ok) location.reload();
        }
      })
      .catch(function () { showQueued(loadQueue()); });
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
        var person = form.closest(".person");
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
    pollWithoutHtmx();
    wireConfirmations();
    wireDrafts();
  });
})();
