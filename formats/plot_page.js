/* plot_page.js: the charts of an edbx HTML plot.  plot_html.c puts this file, uPlot and
 * the data (a JSON script element, id "edbx-data") into one page; docs/plots.md says what
 * the page shows.  One uPlot chart per panel, on one UTC time axis: zooming or panning
 * one moves them all, and the pointer shows the values of every chart at its time.
 *
 * The page holds each line's samples (every one of them up to the writer's max-points)
 * and draws, for the visible time window, at most the first, minimum, maximum and last
 * sample of each pixel column (M4), so that a zoom brings back every sample as soon as
 * they fit.  When everything has been drawn the body gets data-edbx-charts (the number of
 * charts) and data-edbx-points (the samples embedded): the tests read them. */
(function () {
  "use strict";

  // A script error shows on the page too (and, as every error does, on the console).
  window.addEventListener("error", function (e) {
    var p = document.createElement("p");
    p.className = "error";
    p.textContent = String(e.message);
    document.body.appendChild(p);
  });

  var data = JSON.parse(document.getElementById("edbx-data").textContent);
  var root = document.getElementById("edbx-plots");
  var T0 = data.t0_us / 1e6;
  var X0 = T0, X1 = T0 + data.span_us / 1e6;
  var charts = [];
  var syncing = false;

  function pad2(n) { return (n < 10 ? "0" : "") + n; }

  // "2021-01-26 02:30:00.123" in UTC
  function isoTime(s) {
    if (s == null) return "";
    var d = new Date(Math.round(s * 1000));
    var ms = d.getUTCMilliseconds();
    return d.getUTCFullYear() + "-" + pad2(d.getUTCMonth() + 1) + "-" + pad2(d.getUTCDate()) +
      " " + pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes()) + ":" + pad2(d.getUTCSeconds()) +
      "." + (ms < 10 ? "00" : ms < 100 ? "0" : "") + ms;
  }

  // Time labels in UTC, 24 hours, ISO dates; the date under a time where it changes.
  function timeValues(u, splits, axisIdx, space, incr) {
    var prev = null;
    return splits.map(function (s) {
      var d = new Date(Math.round(s * 1000));
      var ymd = d.getUTCFullYear() + "-" + pad2(d.getUTCMonth() + 1) + "-" + pad2(d.getUTCDate());
      if (incr >= 365 * 86400) return String(d.getUTCFullYear());
      if (incr >= 28 * 86400) return ymd.slice(0, 7);
      if (incr >= 86400) return ymd;
      var t = pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes());
      if (incr < 60) t += ":" + pad2(d.getUTCSeconds());
      if (incr < 1) {
        var dec = incr >= 0.1 ? 1 : incr >= 0.01 ? 2 : 3;
        t += "." + String(1000 + d.getUTCMilliseconds()).slice(1, 1 + dec);
      }
      var label = ymd !== prev ? t + "\n" + ymd : t;
      prev = ymd;
      return label;
    });
  }

  function lowerBound(xs, v) {
    var lo = 0, hi = xs.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (xs[mid] < v) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  // The rows of aligned data worth drawing on `cols` pixel columns of [a, b]: all of them
  // when they fit, else per column and line the first, minimum, maximum and last, and
  // every row where a line breaks.  One row beyond each end keeps lines running to the
  // edges.
  function reduce(full, a, b, cols) {
    var x = full[0], n = x.length;
    var i0 = Math.max(0, lowerBound(x, a) - 1);
    var i1 = Math.min(n, lowerBound(x, b) + 2);
    if (i1 - i0 <= 4 * cols) {
      return full.map(function (arr) { return arr.slice(i0, i1); });
    }
    var keep = new Uint8Array(i1 - i0);
    var w = (b - a) / cols;
    for (var s = 1; s < full.length; s++) {
      var ys = full[s], col = -1, first = -1, last = -1, imin = -1, imax = -1;
      var flush = function () {
        if (first >= 0) { keep[first - i0] = keep[last - i0] = keep[imin - i0] = keep[imax - i0] = 1; }
      };
      for (var i = i0; i < i1; i++) {
        var v = ys[i];
        if (v === undefined) continue;
        if (v === null) { keep[i - i0] = 1; continue; }
        var c = Math.floor((x[i] - a) / w);
        if (c !== col) {
          flush();
          col = c; first = last = imin = imax = i;
        } else {
          last = i;
          if (v < ys[imin]) imin = i;
          if (v > ys[imax]) imax = i;
        }
      }
      flush();
    }
    keep[0] = keep[keep.length - 1] = 1;
    var out = full.map(function () { return []; });
    for (var k = 0; k < keep.length; k++) {
      if (!keep[k]) continue;
      for (var q = 0; q < full.length; q++) out[q].push(full[q][k + i0]);
    }
    return out;
  }

  // A tick of an axis whose ticks are incr apart: as few digits as tell them apart (the
  // pictures' rule, plot_model.c).
  function fmtTick(v, incr, big) {
    if (Math.abs(v) < incr * 1e-6) v = 0;
    var e = Math.floor(Math.log10(incr) + 1e-9);
    var quarter = Math.abs(incr / Math.pow(10, e) - 2.5) < 1e-9 ? 1 : 0;
    if (big >= 1e6 || (big > 0 && big < 1e-3)) {
      var digits = Math.floor(Math.log10(big)) - e + 1 + quarter;
      return v.toExponential(Math.min(16, Math.max(0, digits - 1)));
    }
    return v.toFixed(Math.min(17, Math.max(0, -e + quarter)));
  }

  function tickValues(u, splits, axisIdx, space, incr) {
    var big = splits.reduce(function (m, v) { return Math.max(m, Math.abs(v)); }, 0);
    return splits.map(function (v) { return fmtTick(v, incr, big); });
  }

  // Room for the widest tick label and the turned axis label, the same on every chart so
  // that their time axes line up (each asks again once all are drawn).
  var widestY = 0;
  function axisSize(u, values) {
    var n = (values || []).reduce(function (m, v) { return Math.max(m, String(v).length); }, 1);
    widestY = Math.max(widestY, 24 + 7.5 * n);
    return widestY;
  }

  function fmtNumber(v) {
    if (v == null) return "\u2013";
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e7 || a < 1e-4)) return v.toExponential(6);
    return String(+v.toPrecision(10));
  }

  // The value axis of a panel of numbers: the data, limits that lie within one span of it
  // (as in the pictures), 5% margins; -O ymin/ymax win.
  function numberRange(panel) {
    return function (u, min, max) {
      if (min == null || max == null) { min = 0; max = 1; }
      var lo = min, hi = max;
      if (panel.limits) {
        var span = max - min;
        if (!(span > 0)) span = Math.abs(max) > 0 ? Math.abs(max) : 1;
        [panel.yellow[0], panel.yellow[1], panel.red[0], panel.red[1], panel.nominal].forEach(function (L) {
          if (L != null && L >= min - span && L <= max + span) {
            lo = Math.min(lo, L); hi = Math.max(hi, L);
          }
        });
      }
      var d = hi - lo;
      if (d > 0) { lo -= d * 0.05; hi += d * 0.05; }
      else { var e = Math.abs(lo) > 0 ? Math.abs(lo) * 0.01 : 1; lo -= e; hi += e; }
      if (panel.limits && data.ymin != null) lo = data.ymin;
      if (panel.limits && data.ymax != null) hi = data.ymax;
      return [lo, hi];
    };
  }

  // Limit bands under everything, limit lines and markers over the lines.
  function limitHooks(panel, lineSeries) {
    var Y = panel.yellow, R = panel.red;
    function breaks(v) {
      if ((R[0] != null && v < R[0]) || (R[1] != null && v > R[1])) return 2;
      if ((Y[0] != null && v < Y[0]) || (Y[1] != null && v > Y[1])) return 1;
      return 0;
    }
    function ypos(u, v) { return u.valToPos(v, "y", true); }
    function band(u, from, to, colour) {
      var bb = u.bbox, yA = ypos(u, from), yB = ypos(u, to);
      var top = Math.max(bb.top, Math.min(yA, yB)), bot = Math.min(bb.top + bb.height, Math.max(yA, yB));
      if (bot <= top) return;
      u.ctx.fillStyle = colour;
      u.ctx.fillRect(bb.left, top, bb.width, bot - top);
    }
    return {
      drawClear: [function (u) {
        var s = u.scales.y, lo = s.min, hi = s.max;
        u.ctx.save();
        if (R[0] != null && R[0] > lo) band(u, lo, R[0], "#fabebe");
        if (R[1] != null && R[1] < hi) band(u, R[1], hi, "#fabebe");
        if (Y[0] != null && Y[0] > lo) band(u, R[0] != null ? Math.max(lo, R[0]) : lo, Y[0], "#ffec99");
        if (Y[1] != null && Y[1] < hi) band(u, Y[1], R[1] != null ? Math.min(hi, R[1]) : hi, "#ffec99");
        u.ctx.restore();
      }],
      draw: [function (u) {
        var ctx = u.ctx, bb = u.bbox;
        ctx.save();
        ctx.beginPath();
        ctx.rect(bb.left, bb.top, bb.width, bb.height);
        ctx.clip();
        function hline(v, colour, dash) {
          if (v == null) return;
          var y = ypos(u, v);
          ctx.strokeStyle = colour;
          ctx.lineWidth = 1.5 * devicePixelRatio;
          ctx.setLineDash(dash ? [6 * devicePixelRatio, 4 * devicePixelRatio] : []);
          ctx.beginPath(); ctx.moveTo(bb.left, y); ctx.lineTo(bb.left + bb.width, y); ctx.stroke();
        }
        hline(Y[0], "#d6a000"); hline(Y[1], "#d6a000");
        hline(R[0], "#cc141e"); hline(R[1], "#cc141e");
        hline(panel.nominal, "#008c3c", true);
        ctx.setLineDash([]);
        var x = u.data[0], r = 3 * devicePixelRatio;
        lineSeries.forEach(function (si) {
          if (!u.series[si].show) return;
          var ys = u.data[si];
          for (var i = 0; i < x.length; i++) {
            var v = ys[i];
            if (v == null) continue;
            var level = breaks(v);
            if (!level) continue;
            ctx.fillStyle = level === 2 ? "#cc141e" : "#d6a000";
            ctx.beginPath();
            ctx.arc(u.valToPos(x[i], "x", true), ypos(u, v), r, 0, 2 * Math.PI);
            ctx.fill();
          }
        });
        ctx.restore();
      }]
    };
  }

  function rgba(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + a + ")";
  }

  function chartWidth() {
    if (data.width) return data.width;
    return Math.max(400, Math.min(root.clientWidth || 1200, 2400) - 10);
  }

  function panelHeight(panel) {
    var per = panel.kind === "count" ? 170 : 300;
    if (!data.height) return per;
    var weights = data.panels.reduce(function (s, p) { return s + (p.kind === "count" ? 0.45 : 1); }, 0);
    return Math.max(80, Math.round(data.height * (panel.kind === "count" ? 0.45 : 1) / weights) - 60);
  }

  function setAll(min, max, from) {
    syncing = true;
    charts.forEach(function (c) { if (c.u !== from) c.u.setScale("x", { min: min, max: max }); });
    syncing = false;
  }

  // Redraw a chart from its full data for the window it now shows.
  function redraw(c) {
    var u = c.u, s = u.scales.x;
    if (s.min == null) return;
    c.busy = true;
    u.setData(reduce(c.full, s.min, s.max, Math.max(50, Math.round(u.bbox.width))), false);
    c.busy = false;
  }

  function makeChart(panel, div) {
    var tables = [], series = [{ value: function (u, v) { return isoTime(v); } }], bands = [];
    var lineSeries = [];
    var states = panel.states;
    panel.traces.forEach(function (tr) {
      var xs = tr.t.map(function (us) { return T0 + us / 1e6; });
      var v = tr.v.slice(), v2 = tr.v2 ? tr.v2.slice() : null;
      if (tr.hold_end && v.length && v[v.length - 1] != null) {
        xs.push(X1); v.push(v[v.length - 1]);
      }
      var paths = tr.step ? uPlot.paths.stepped({ align: 1 }) : uPlot.paths.linear();
      var fmt = panel.kind === "states"
        ? function (u, val) { return val == null ? "\u2013" : (states[val] || String(val)); }
        : function (u, val) { return fmtNumber(val); };
      if (v2) {
        tables.push([xs, v2, v]);
        var first = series.length;
        var std = tr.role === "std";
        series.push({ label: std ? "mean + std" : "max", stroke: rgba(tr.colour, 0.5), width: 0.5,
                      paths: paths, points: { show: false }, value: fmt });
        series.push({ label: std ? "mean \u2212 std" : "min", stroke: rgba(tr.colour, 0.5), width: 0.5,
                      paths: paths, points: { show: false }, value: fmt });
        bands.push({ series: [first, first + 1], fill: rgba(tr.colour, std ? 0.3 : 0.14) });
      } else {
        tables.push([xs, v]);
        if (tr.role === "line" || tr.role === "extra") lineSeries.push(series.length);
        // points: uPlot's own rule, shown once they are far enough apart (a lone sample too)
        series.push({ label: tr.label, stroke: tr.colour, width: tr.role === "extra" ? 1 : 1.5,
                      paths: paths, value: fmt });
      }
    });
    // Lines of one chart have samples at different times: joined on one time axis, a line
    // runs over the times where only others have samples, and a break (null) widens to
    // them, so that no line is drawn across a break (uPlot's NULL_EXPAND, 2).
    var full = uPlot.join(tables, tables.map(function (t) { return t.map(function () { return 2; }); }));
    var yscale = { auto: true };
    var yaxis = { label: panel.label, labelSize: 30, size: axisSize, values: tickValues };
    if (panel.kind === "states") {
      yscale = { auto: false, range: function () { return [-0.5, Math.max(0.5, states.length - 0.5)]; } };
      // every name while they fit, else every other one, every third...
      yaxis.splits = function (u) {
        var every = Math.max(1, Math.ceil(states.length * 16 / Math.max(1, u.bbox.height / devicePixelRatio)));
        var out = [];
        for (var i = 0; i < states.length; i += every) out.push(i);
        return out;
      };
      yaxis.values = function (u, splits) { return splits.map(function (v) { return states[v] || ""; }); };
    } else if (panel.kind === "count") {
      yscale = { range: function (u, min, max) { return [0, Math.max(1, (max || 0) * 1.08)]; } };
    } else {
      yscale = { range: numberRange(panel) };
    }
    var c = { full: full, busy: false, u: null };
    var hasLimits = panel.yellow.concat(panel.red, [panel.nominal]).some(function (v) { return v != null; });
    var hooks = panel.limits && panel.kind === "number" && hasLimits ? limitHooks(panel, lineSeries) : {};
    hooks.setScale = [function (u, key) {
      if (key !== "x" || c.busy) return;
      redraw(c);
      if (!syncing) setAll(u.scales.x.min, u.scales.x.max, u);
    }];
    var panning = null;
    var opts = {
      width: chartWidth(),
      height: panelHeight(panel),
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); },
      scales: { x: { time: true, auto: false, range: function (u, min, max) {
        return min == null ? [X0, X1] : [min, max];
      } }, y: yscale },
      series: series,
      bands: bands,
      padding: [12, 40, 0, 0], // room for the last time label
      axes: [{ space: 80, values: timeValues }, yaxis],
      legend: { live: true },
      cursor: {
        sync: { key: "edbx" },
        drag: { x: true, y: false },
        bind: {
          mousedown: function (u, targ, handler) {
            return function (e) {
              if (e.shiftKey) {
                panning = { x: e.clientX, min: u.scales.x.min, max: u.scales.x.max };
                e.preventDefault();
                return null;
              }
              return handler(e);
            };
          },
          dblclick: function () {
            return function () { c.u.setScale("x", { min: X0, max: X1 }); return null; };
          }
        }
      },
      hooks: hooks
    };
    var u = new uPlot(opts, reduce(full, X0, X1, opts.width), div);
    c.u = u;
    u.setScale("x", { min: X0, max: X1 });
    window.addEventListener("mousemove", function (e) {
      if (!panning) return;
      var dt = (e.clientX - panning.x) / u.bbox.width * devicePixelRatio * (panning.max - panning.min);
      u.setScale("x", { min: panning.min - dt, max: panning.max - dt });
    });
    window.addEventListener("mouseup", function () { panning = null; });
    u.over.addEventListener("wheel", function (e) {
      e.preventDefault();
      var s = u.scales.x, at = u.posToVal(e.offsetX, "x");
      var k = e.deltaY < 0 ? 0.8 : 1.25;
      u.setScale("x", { min: at - (at - s.min) * k, max: at + (s.max - at) * k });
    }, { passive: false });
    charts.push(c);
  }

  var points = 0;
  data.panels.forEach(function (panel) {
    var box = document.createElement("section");
    box.className = "panel";
    if (panel.description) {
      var d = document.createElement("p");
      d.className = "description";
      d.textContent = panel.description;
      box.appendChild(d);
    }
    root.appendChild(box);
    var n = 0;
    panel.traces.forEach(function (tr) { n += tr.v.filter(function (v) { return v != null; }).length; });
    points += n;
    if (n === 0) {
      var e = document.createElement("div");
      e.className = "nodata";
      e.textContent = panel.label + ": no data in range";
      box.appendChild(e);
      return;
    }
    var div = document.createElement("div");
    box.appendChild(div);
    makeChart(panel, div);
  });
  window.addEventListener("resize", function () {
    if (data.width) return;
    charts.forEach(function (c) { c.u.setSize({ width: chartWidth(), height: c.u.height }); redraw(c); });
  });
  charts.forEach(function (c) { c.u.redraw(false, true); });
  document.body.setAttribute("data-edbx-charts", String(charts.length));
  document.body.setAttribute("data-edbx-points", String(points));
})();
