// Makes the report's SVG charts explorable; inlined into report.html (no network).
// Hover: a crosshair at the same second on every chart and a tooltip with the time
// and each series' value there. Drag across a chart: zoom every chart to that time
// range (x ticks and event labels are redrawn; lines keep their width). Double-click,
// Escape or the "Show all" button: back to the whole run.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var charts = Array.prototype.slice.call(document.querySelectorAll("svg.chart"));
  var tip = document.getElementById("chart-tooltip");
  var reset = document.getElementById("zoom-reset");
  var NS = "http://www.w3.org/2000/svg";
  var view = { from: 0, to: data.seconds };
  var drag = null;

  function geometry(svg) {
    return {
      left: Number(svg.dataset.left),
      width: Number(svg.dataset.plotWidth),
      seconds: Number(svg.dataset.seconds),
    };
  }
  function toX(g, second) {
    return g.left + (g.width * (second - view.from)) / (view.to - view.from);
  }
  function svgX(svg, event) {
    var point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    return point.matrixTransform(svg.getScreenCTM().inverse()).x;
  }
  function secondAt(svg, event) {
    var g = geometry(svg);
    var t = view.from + ((svgX(svg, event) - g.left) / g.width) * (view.to - view.from);
    return Math.min(Math.max(t, view.from), view.to);
  }
  function format(value) {
    if (value === null || value === undefined) return "no data";
    return Math.abs(value) >= 10 ? value.toFixed(0) : value.toFixed(2).replace(/\.?0+$/, "");
  }

  function showAt(svg, second, event) {
    var index = Math.min(Math.floor(second), data.seconds - 1);
    charts.forEach(function (chart) {
      var line = chart.querySelector(".crosshair");
      var x = toX(geometry(chart), index + 0.5);
      line.setAttribute("x1", x);
      line.setAttribute("x2", x);
      line.setAttribute("visibility", "visible");
    });
    var spec = data.charts[svg.id];
    var rows = spec.series.map(function (s) {
      return "<tr><th scope='row'>" + s.name + "</th><td>" + format(s.values[index]) +
        (spec.unit ? " " + spec.unit : "") + "</td></tr>";
    });
    tip.innerHTML = "<b>" + index + "-" + (index + 1) + " s</b><table>" + rows.join("") +
      "</table>";
    tip.hidden = false;
    tip.style.left = event.pageX + 14 + "px";
    tip.style.top = event.pageY + 14 + "px";
  }
  function hide() {
    tip.hidden = true;
    charts.forEach(function (chart) {
      chart.querySelector(".crosshair").setAttribute("visibility", "hidden");
    });
  }

  function drawTicks(chart, g) {
    var group = chart.querySelector(".xticks");
    var y = group.firstElementChild ? group.firstElementChild.getAttribute("y") : 0;
    var span = view.to - view.from;
    var raw = span / 8;
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (f) { return f * power; })
      .find(function (s) { return raw <= s; });
    step = Math.max(step, span < 8 ? 0.5 : 1);
    while (group.firstChild) group.removeChild(group.firstChild);
    for (var t = Math.ceil(view.from / step) * step; t <= view.to + 1e-9; t += step) {
      var text = document.createElementNS(NS, "text");
      text.setAttribute("x", toX(g, t).toFixed(1));
      text.setAttribute("y", y);
      text.setAttribute("class", "xtick");
      text.textContent = (Math.round(t * 10) / 10) + "s";
      group.appendChild(text);
    }
  }

  function zoom(from, to) {
    view.from = Math.max(0, from);
    view.to = Math.min(data.seconds, to);
    charts.forEach(function (chart) {
      var g = geometry(chart);
      var scale = g.seconds / (view.to - view.from);
      // x' = a + scale * x maps the drawn seconds onto the visible range
      chart.querySelector(".zoom").setAttribute(
        "transform",
        "translate(" + (toX(g, 0) - g.left * scale) + " 0) scale(" + scale + " 1)"
      );
      chart.querySelectorAll(".marker-label").forEach(function (label) {
        var second = Number(label.dataset.second);
        var inside = second >= view.from && second <= view.to;
        label.setAttribute("visibility", inside ? "visible" : "hidden");
        label.setAttribute("x", (toX(g, second) + 3).toFixed(1));
      });
      drawTicks(chart, g);
    });
    var whole = view.from === 0 && view.to === data.seconds;
    reset.hidden = whole;
    document.getElementById("zoom-range").textContent = whole ? "whole run" :
      view.from.toFixed(1) + "-" + view.to.toFixed(1) + " s";
  }

  charts.forEach(function (svg) {
    var hit = svg.querySelector(".hit");
    var selection = svg.querySelector(".selection");
    hit.addEventListener("mousemove", function (event) {
      var second = secondAt(svg, event);
      showAt(svg, second, event);
      if (drag && drag.svg === svg) {
        var g = geometry(svg);
        var a = toX(g, Math.min(drag.from, second));
        var b = toX(g, Math.max(drag.from, second));
        selection.setAttribute("x", a);
        selection.setAttribute("width", Math.max(0, b - a));
        selection.setAttribute("visibility", "visible");
      }
    });
    hit.addEventListener("mouseleave", hide);
    hit.addEventListener("mousedown", function (event) {
      drag = { svg: svg, from: secondAt(svg, event) };
      event.preventDefault();
    });
    hit.addEventListener("mouseup", function (event) {
      if (!drag) return;
      var from = Math.min(drag.from, secondAt(svg, event));
      var to = Math.max(drag.from, secondAt(svg, event));
      drag = null;
      selection.setAttribute("visibility", "hidden");
      if (to - from >= 0.5) zoom(from, to);
    });
    hit.addEventListener("dblclick", function () { zoom(0, data.seconds); });
  });
  reset.addEventListener("click", function () { zoom(0, data.seconds); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") zoom(0, data.seconds);
  });
  window.drydockReport = { zoom: zoom, view: view };
})();
