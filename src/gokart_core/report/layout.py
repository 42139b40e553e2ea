"""The graph laid out as a DAG by grandalf's Sugiyama layout (layers, crossing reduction,
coordinates, edge routes through the layers): upstream tasks on top, each edge from a
requirement down to the task that requires it.

grandalf's layering grows faster than linearly with the width of a layer (a 1,000-leaf fan-in
takes about half a second, 2,000 leaves four times that): the pages lay out every task only up
to :data:`TASK_GRAPH_LIMIT` tasks and draw larger graphs by class (:mod:`.model`). One round of
crossing reduction is enough for pipelines (wide, shallow) and keeps the cost down.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: Up to this many tasks, the page has a graph of every task; above, only the graph of classes.
TASK_GRAPH_LIMIT = 400

NODE_HEIGHT = 34
CHAR_WIDTH = 7.2  # of the page's 12px sans-serif, roughly
MIN_WIDTH, MAX_WIDTH = 90, 260
GAP = 60  # between the graph's separate parts


def node_width(label: str) -> int:
    return int(min(MAX_WIDTH, max(MIN_WIDTH, 24 + CHAR_WIDTH * len(label))))


class _View:
    """What grandalf reads (``w``, ``h``) and writes (``xy``) of a vertex."""

    def __init__(self, w: int, h: int) -> None:
        self.w, self.h = w, h
        self.xy: tuple[float, float] = (0.0, 0.0)


class _EdgeView:
    def __init__(self) -> None:
        self.points: list[tuple[float, float]] = []

    def setpath(self, points: list[tuple[float, float]]) -> None:
        self.points = list(points)


def lay_out(labels: Sequence[str], edges: Sequence[tuple[int, int]]) -> dict[str, Any]:
    """Coordinates of the nodes named ``labels`` and of ``edges`` (``(upstream, downstream)``
    indices): ``{"nodes": [[x, y, w, h]] (top left), "edges": [[[x, y], ...]], "width",
    "height"}``. Separate parts of the graph are placed side by side, largest first."""
    # imported only when a page is drawn
    from grandalf.graphs import Edge, Graph, Vertex
    from grandalf.layouts import SugiyamaLayout

    vertices = [Vertex(i) for i in range(len(labels))]
    for vertex, label in zip(vertices, labels):
        vertex.view = _View(node_width(label), NODE_HEIGHT)
    edge_views: list[tuple[int, _EdgeView]] = []
    grandalf_edges = []
    seen: set[tuple[int, int]] = set()
    for index, (a, b) in enumerate(edges):
        if a == b or (a, b) in seen:
            continue
        seen.add((a, b))
        edge = Edge(vertices[a], vertices[b])
        edge.view = _EdgeView()
        edge_views.append((index, edge.view))
        grandalf_edges.append(edge)
    graph = Graph(vertices, grandalf_edges)
    offset = 0.0
    height = 0.0
    shifts: dict[int, tuple[float, float]] = {}
    for part in sorted(graph.C, key=lambda c: -len(c.sV)):
        sugiyama = SugiyamaLayout(part)
        sugiyama.xspace, sugiyama.yspace = 24, 46
        sugiyama.init_all()
        sugiyama.draw(1)
        members = list(part.sV)
        left = min(v.view.xy[0] - v.view.w / 2 for v in members)
        top = min(v.view.xy[1] - v.view.h / 2 for v in members)
        right = max(v.view.xy[0] + v.view.w / 2 for v in members)
        bottom = max(v.view.xy[1] + v.view.h / 2 for v in members)
        for v in members:
            shifts[id(v)] = (offset - left, -top)
        offset += right - left + GAP
        height = max(height, bottom - top)
    nodes = []
    for v in vertices:
        dx, dy = shifts.get(id(v), (0.0, 0.0))
        x, y = v.view.xy
        nodes.append(
            [round(x + dx - v.view.w / 2, 1), round(y + dy - v.view.h / 2, 1), v.view.w, v.view.h]
        )
    routes: list[list[list[float]]] = [[] for _ in edges]
    for index, view in edge_views:
        a, _ = edges[index]
        dx, dy = shifts.get(id(vertices[a]), (0.0, 0.0))
        route = [[round(x + dx, 1), round(y + dy, 1)] for x, y in view.points]
        if len(route) >= 2:  # from the bottom of the requirement to the top of the task
            route[0][1] = nodes[a][1] + nodes[a][3]
            route[-1][1] = nodes[edges[index][1]][1]
        routes[index] = route
    return {
        "nodes": nodes,
        "edges": routes,
        "width": round(max(offset - GAP, 0.0), 1),
        "height": round(height, 1),
    }
