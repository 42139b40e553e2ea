// gokart-core run report: draws the graph from the laid-out data, shows a task or a class when
// clicked, finds tasks by name or parameter value. Text goes into the page as textContent only.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const tasks = data.tasks;
  const SVG = "http://www.w3.org/2000/svg";
  const STATES = ["cached", "ran", "failed", "blocked", "running", "pending"];
  const NAMES = { cached: "loaded from cache", ran: "ran", failed: "failed",
    blocked: "not run: upstream failed", running: "running", pending: "pending" };
  const PAGE = 500;
  const usedBy = tasks.map(() => []);
  tasks.forEach((t, i) => t.deps.forEach((d) => usedBy[d].push(i)));
  let view = data.layout.tasks ? data.default_view : "groups";

  function el(tag, attrs, text) {
    const e = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function bytes(n) {
    if (n === null || n === undefined) return "–";
    const u = ["B", "KiB", "MiB", "GiB", "TiB"]; let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + " " + u[i];
  }
  function secs(s) { return s === null || s === undefined ? "–" : s < 1 ? (s * 1000).toFixed(0) + " ms" : s.toFixed(2) + " s"; }
  function label(s, n) { return s.length > n ? s.slice(0, n - 1) + "…" : s; }

  // ---------------------------------------------------------------- header
  function header() {
    const top = document.getElementById("top");
    top.append(el("h1", {}, data.title));
    const chips = el("span", { class: "chips", id: "totals" });
    STATES.forEach((s) => {
      if (data.totals[s]) chips.append(el("span", { class: "chip s-" + s, "data-state": s, title: NAMES[s] }, NAMES[s] + ": " + data.totals[s]));
    });
    top.append(chips);
    const what = data.source === "workspace" ? "drawn from the workspace, nothing run" : data.finished ? "build finished" : "build in progress (reloads every 2 s)";
    top.append(el("span", { class: "meta", id: "tasks-count" }, tasks.length + " tasks"));
    top.append(el("span", { class: "meta", id: "wall-time" }, "wall time " + secs(data.wall_time)));
    top.append(el("span", { class: "meta", id: "bytes-written" }, "written " + bytes(data.bytes_written)));
    top.append(el("span", { class: "meta" }, what + " · " + data.generated));
    const bar = el("div", { class: "toolbar" });
    const search = el("input", { id: "search", type: "search", placeholder: "find a task by name, id or parameter value" });
    search.addEventListener("input", () => find(search.value));
    bar.append(search);
    [["tasks", "every task"], ["groups", "by class"]].forEach(([v, text]) => {
      const b = el("button", { id: "view-" + v, type: "button" }, text);
      if (v === "tasks" && !data.layout.tasks) { b.disabled = true; b.title = "too many tasks to draw one by one: see them by class"; }
      b.addEventListener("click", () => { view = v; draw(); });
      bar.append(b);
    });
    top.append(bar);
  }

  // ---------------------------------------------------------------- graph
  function draw() {
    const layout = view === "tasks" ? data.layout.tasks : data.layout.groups;
    document.getElementById("view-tasks").classList.toggle("on", view === "tasks");
    document.getElementById("view-groups").classList.toggle("on", view === "groups");
    const box = document.getElementById("graph");
    box.textContent = "";
    const pad = 16;
    const svg = el("svg:svg", { id: "dag", "data-view": view, width: layout.width + 2 * pad, height: layout.height + 2 * pad });
    const root = el("svg:g", { transform: "translate(" + pad + "," + pad + ")" });
    svg.append(root);
    const edges = el("svg:g", { class: "edges" });
    const nodes = el("svg:g", { class: "nodes" });
    root.append(edges, nodes);
    layout.edges.forEach((pts, n) => {
      if (!pts.length) return;
      const [a, b] = layout.edge_pairs[n];
      const d = "M" + pts.map((p) => p[0] + "," + p[1]).join(" L");
      const attrs = { class: "edge", d: d, "marker-end": "url(#arrow)" };
      if (view === "tasks") { attrs["data-from"] = tasks[a].id; attrs["data-to"] = tasks[b].id; }
      else { attrs["data-from"] = data.groups[a].family; attrs["data-to"] = data.groups[b].family; }
      edges.append(el("svg:path", attrs));
    });
    const defs = el("svg:defs");
    const marker = el("svg:marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" });
    marker.append(el("svg:path", { d: "M0,0 L10,5 L0,10 z", fill: "#8c959f" }));
    defs.append(marker); svg.prepend(defs);
    layout.nodes.forEach((box4, n) => {
      const [x, y, w, h] = box4;
      const g = el("svg:g", { class: "node", transform: "translate(" + x + "," + y + ")" });
      if (view === "tasks") {
        const t = tasks[n];
        g.setAttribute("data-task-id", t.id); g.setAttribute("data-state", t.state);
        g.append(el("svg:title", {}, t.family + " [" + t.unique_id + "] " + NAMES[t.state]));
        g.append(el("svg:rect", { width: w, height: h, class: "s-" + t.state }));
        g.append(el("svg:text", { x: w / 2, y: h / 2 + 4, "text-anchor": "middle" }, label(t.label, Math.floor((w - 12) / 6.5))));
        g.addEventListener("click", () => select(n));
      } else {
        const grp = data.groups[n];
        g.setAttribute("data-family", grp.family);
        g.append(el("svg:rect", { width: w, height: h, class: "s-pending" }));
        let left = 0;  // the class's tasks by state, as a bar along the bottom
        STATES.forEach((s) => {
          const k = grp.tasks.filter((i) => tasks[i].state === s).length;
          if (!k) return;
          const part = (w * k) / grp.tasks.length;
          g.append(el("svg:rect", { x: left, y: h - 8, width: part, height: 8, class: "s-" + s, "data-state": s, style: "rx:0;stroke:none" }));
          left += part;
        });
        g.append(el("svg:text", { x: w / 2, y: h / 2 + 1, "text-anchor": "middle" }, label(grp.family + " ×" + grp.tasks.length, Math.floor((w - 12) / 7))));
        g.addEventListener("click", () => showGroup(n));
      }
      nodes.append(g);
    });
    box.append(svg);
    if (current !== null) mark(current);
  }

  let current = null;
  function mark(i) {
    document.querySelectorAll(".node.selected").forEach((e) => e.classList.remove("selected"));
    document.querySelectorAll(".edge.near").forEach((e) => e.classList.remove("near"));
    if (i === null) return;
    const id = tasks[i].id;
    const sel = view === "tasks" ? '[data-task-id="' + CSS.escape(id) + '"]' : '[data-family="' + CSS.escape(tasks[i].family) + '"]';
    document.querySelectorAll(".node" + sel).forEach((e) => { e.classList.add("selected"); e.scrollIntoView({ block: "nearest", inline: "nearest" }); });
    if (view === "tasks") document.querySelectorAll('.edge[data-from="' + CSS.escape(id) + '"], .edge[data-to="' + CSS.escape(id) + '"]').forEach((e) => e.classList.add("near"));
  }

  // ---------------------------------------------------------------- panel
  function panel() { const p = document.getElementById("panel"); p.textContent = ""; return p; }
  function taskItem(i) {
    const t = tasks[i];
    const li = el("li", { "data-task-id": t.id });
    li.append(el("span", { class: "dot s-" + t.state, title: NAMES[t.state] }));
    const shown = Object.entries(t.params).map(([k, v]) => k + "=" + v).join(", ");
    li.append(document.createTextNode(t.family + " [" + t.unique_id + "]" + (shown ? " " + label(shown, 90) : "")));
    li.addEventListener("click", () => select(i));
    return li;
  }
  function taskList(parent, members) {
    const ul = el("ul", { class: "list" });
    parent.append(ul);
    let shown = 0;
    const more = el("a", { class: "more" });
    function page() {
      members.slice(shown, shown + PAGE).forEach((i) => ul.append(taskItem(i)));
      shown = Math.min(members.length, shown + PAGE);
      more.textContent = shown < members.length ? "show " + Math.min(PAGE, members.length - shown) + " more of " + (members.length - shown) : "";
    }
    more.addEventListener("click", page);
    page(); parent.append(more);
  }
  function table(parent, rows) {
    const tb = el("table"); rows.forEach(([k, v]) => { const tr = el("tr"); tr.append(el("td", {}, k), el("td", {}, v)); tb.append(tr); });
    parent.append(tb); return tb;
  }
  function select(i) {
    current = i; location.hash = "task=" + encodeURIComponent(tasks[i].id);
    const t = tasks[i]; const p = panel();
    p.setAttribute("data-task-id", t.id);
    p.append(el("h2", { id: "detail-family" }, t.family));
    table(p, [["state", NAMES[t.state]], ["task id", t.id], ["unique id", t.unique_id],
      ["run time", secs(t.duration)], ["processing time (log)", secs(t.processing_time)]]).id = "detail-summary";
    p.append(el("h3", {}, "parameters"));
    const params = Object.entries(t.params);
    if (params.length) table(p, params).id = "detail-params"; else p.append(el("div", { class: "muted", id: "detail-params" }, "none shown"));
    p.append(el("h3", {}, "outputs"));
    if (t.outputs.length) table(p, t.outputs.map((o) => [bytes(o.size), o.path])).id = "detail-outputs"; else p.append(el("div", { class: "muted", id: "detail-outputs" }, "none"));
    if (t.error) { p.append(el("h3", {}, "error")); p.append(el("pre", { class: "error", id: "detail-error" }, t.error)); }
    if (t.task_log && Object.keys(t.task_log).length) { p.append(el("h3", {}, "task_log")); p.append(el("pre", { id: "detail-task-log" }, JSON.stringify(t.task_log, null, 1))); }
    if (t.deps.length) { p.append(el("h3", {}, "requires")); taskList(p, t.deps); }
    if (usedBy[i].length) { p.append(el("h3", {}, "required by")); taskList(p, usedBy[i]); }
    mark(i);
  }
  function showGroup(n) {
    const g = data.groups[n]; const p = panel();
    p.setAttribute("data-family", g.family);
    p.append(el("h2", {}, g.family + " ×" + g.tasks.length));
    const cells = el("div", { class: "cells", id: "group-cells" });  // every task, one square each
    g.tasks.forEach((i) => { const c = el("span", { class: "s-" + tasks[i].state, title: tasks[i].id }); c.addEventListener("click", () => select(i)); cells.append(c); });
    p.append(cells);
    taskList(p, g.tasks);
  }
  function find(q) {
    q = q.trim().toLowerCase();
    const svg = document.getElementById("dag");
    document.querySelectorAll(".node.match").forEach((e) => e.classList.remove("match"));
    if (!q) { svg.classList.remove("dim"); summary(); return; }
    const hits = [];
    tasks.forEach((t, i) => {
      const text = (t.family + " " + t.id + " " + t.unique_id + " " + Object.values(t.params).join(" ")).toLowerCase();
      if (text.includes(q)) hits.push(i);
    });
    svg.classList.add("dim");
    hits.forEach((i) => {
      const sel = view === "tasks" ? '[data-task-id="' + CSS.escape(tasks[i].id) + '"]' : '[data-family="' + CSS.escape(tasks[i].family) + '"]';
      document.querySelectorAll(".node" + sel).forEach((e) => e.classList.add("match"));
    });
    const p = panel();
    p.append(el("h2", { id: "search-count" }, hits.length + " task" + (hits.length === 1 ? "" : "s") + " found"));
    taskList(p, hits);
  }
  function summary() {
    const p = panel();
    p.append(el("h2", {}, "tasks by class"));
    const ul = el("ul", { class: "list" });
    data.groups.forEach((g, n) => {
      const failed = g.tasks.filter((i) => tasks[i].state === "failed").length;
      const li = el("li", { "data-family": g.family }, g.family + " ×" + g.tasks.length + (failed ? " (" + failed + " failed)" : ""));
      li.addEventListener("click", () => showGroup(n)); ul.append(li);
    });
    p.append(ul);
    const failed = tasks.map((t, i) => i).filter((i) => tasks[i].state === "failed");
    if (failed.length) { p.append(el("h3", {}, "failed")); taskList(p, failed); }
    p.append(el("p", { class: "muted" }, "Click a task or a class; search by name, id or parameter value."));
  }

  header(); draw(); summary();
  const wanted = decodeURIComponent((location.hash.match(/task=([^&]*)/) || [])[1] || "");
  const at = tasks.findIndex((t) => t.id === wanted);
  if (at >= 0) select(at);
  document.body.setAttribute("data-ready", "1");
})();
