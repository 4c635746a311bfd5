/* The leaders' dashboard: the choropleth of the chosen indicator (layers/evaluation.py) and its monthly trend. */
(function () {
  "use strict";

  var esc = gridmap.escapeHtml;
  var T = gridmap.strings.dashboard;
  var options = gridmap.pageOptions();
  var layer = options.layer;  // the declaration: URL, base style, a style per class
  var state = { map: window[options.map], drawn: null, chart: null, indicator: options.indicator };

  function $(id) { return document.getElementById(id); }

  function query(changes) {
    var params = new URLSearchParams(options.query);
    Object.keys(changes).forEach(function (key) {
      if (changes[key] === null || changes[key] === "") params.delete(key); else params.set(key, changes[key]);
    });
    return params.toString();
  }

  function text(indicator) { return options.texts[indicator]; }

  /* A figure as the page shows it; the server formats the tables the same way (templates/dashboard/_format.html). */
  function figure(value, unit) {
    if (value === null || value === undefined) return "—";
    if (unit === "percent") return value.toFixed(2) + " %";
    if (unit === "hours") return value.toFixed(1) + " h";
    if (unit === "count") return String(Math.round(value));
    return value.toFixed(2);
  }

  function valueOf(properties, indicator) {
    return indicator === "score" ? properties.score : properties.values[indicator];
  }

  function popup(properties) {
    var rows = options.popup.map(function (field) {
      var value = properties[field.prop];
      return "<tr><th>" + esc(field.label) + "</th><td>" + esc(value === null || value === undefined || value === "" ? "—" : value) + "</td></tr>";
    });
    Object.keys(properties.values).forEach(function (indicator) {
      var t = text(indicator);
      rows.push("<tr><th title=\"" + esc(t.formula) + "\">" + esc(t.name) + "</th><td>" + esc(figure(properties.values[indicator], t.unit)) + "</td></tr>");
    });
    var drill = "<a class=\"drill\" href=\"?" + esc(query({ grid: properties.code, level: null, indicator: state.indicator })) + "\">" + esc(T.drill) + " ›</a>";
    return "<b>" + esc(properties.name_zh) + "</b>" + (properties.demo ? " (" + esc(T.demo) + ")" : "") +
      "<table class=\"popup\">" + rows.join("") + "</table>" + drill;
  }

  function legend(data) {
    var box = $("choropleth-legend");
    var items;
    if (data.indicator === "score") {
      items = ["A", "B", "C", "D", "E"].map(function (grade) { return { cls: grade, label: grade }; });
      box.innerHTML = "<b>" + esc(T.legendGrade) + "</b> ";
    } else {
      var unit = text(data.indicator).unit;
      var bounds = [null].concat(data.breaks, [null]);
      var better = text(data.indicator).higher_is_better;
      items = [1, 2, 3, 4, 5].map(function (k) {
        var low = bounds[k - 1], high = bounds[k];
        var range = (low === null ? "<" : figure(low, unit) + " –") + " " + (high === null ? "" : figure(high, unit));
        if (high === null) range = "≥ " + figure(low, unit);
        return { cls: "q" + (better ? k : 6 - k), label: range };
      });
      box.innerHTML = "<b>" + esc(T.legendQuantile) + "</b> ";
    }
    items.push({ cls: "none", label: T.noFigure });
    box.innerHTML += items.map(function (item) {
      var colour = gridmap.styleOf(layer, { class: item.cls }).fillColor;
      return "<span class=\"swatch\" data-class=\"" + esc(item.cls) + "\"><i style=\"background:" + esc(colour) + "\"></i>" + esc(item.label) + "</span>";
    }).join(" ");
  }

  function loadChoropleth() {
    $("map-status").textContent = gridmap.strings.gridmap.loading;
    return fetch(layer.url + "?" + query({ indicator: state.indicator }), { credentials: "same-origin" })
      .then(function (response) { return response.json().then(function (data) { return { ok: response.ok, data: data }; }); })
      .then(function (r) {
        if (!r.ok) { $("map-status").textContent = r.data.error; return; }
        $("map-status").textContent = "";
        if (state.drawn) state.map.removeLayer(state.drawn);
        state.drawn = L.geoJSON(r.data, {
          style: function (feature) { return gridmap.styleOf(layer, feature.properties); },
          onEachFeature: function (feature, shape) {
            var p = feature.properties;
            shape.bindTooltip(esc(p.name_zh) + ": " + esc(figure(valueOf(p, state.indicator), text(state.indicator).unit)), { sticky: true });
            shape.bindPopup(popup(p));
          },
        }).addTo(state.map);
        document.body.dataset.choropleth = r.data.indicator;  // what the map shows now, for tests and screen readers
        legend(r.data);
      });
  }

  function drawTrend() {
    var t = text(state.indicator);
    $("trend-title").textContent = t.name;
    var series = options.trend.series[state.indicator];
    var data = {
      labels: options.trend.months,
      datasets: [{ label: t.name, data: series || [], borderColor: "#2166ac", backgroundColor: "#4393c3", spanGaps: false, tension: 0.2 }],
    };
    if (state.chart) { state.chart.data = data; state.chart.update(); return; }
    state.chart = new Chart($("trend-chart"), {
      type: "line",
      data: data,
      options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } } },
    });
  }

  $("choropleth-indicator").addEventListener("change", function (event) {
    state.indicator = event.target.value;
    $("choropleth-formula").textContent = text(state.indicator).formula;
    options.query.indicator = state.indicator;
    history.replaceState(null, "", "?" + query({}));
    loadChoropleth();
    drawTrend();
  });
  $("choropleth-level").addEventListener("change", function (event) {
    window.location.search = query({ level: event.target.value, indicator: state.indicator });
  });

  loadChoropleth();
  drawTrend();
})();
