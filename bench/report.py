"""The report of a bench run: ``bench/results/latest.md`` (tables), ``scale-curve-<db>.svg``
(the same pages' p95 at each scale), ``summary-<db>.json`` (the figures, compact), and a
one-screen summary for the terminal.

A run covers one database; ``latest.md`` shows every database whose summary is in the results
folder, so a SQLite run followed by a PostgreSQL run leaves both side by side.
"""

import json
import math
from pathlib import Path

# The budgets of issue 8, judged at the largest scale of a run with the day's 20 staff.
PAGE_P95_MS = 100  # every page and fragment
ACTION_P95_MS = 50  # htmx actions
MAX_QUERIES = 10  # per request, and the same at every scale
EVENT_P95_MS = 1000  # a change on one screen shows on the others within a second (issue 20)
FRAGMENT_BYTES = 5 * 1024
PAGE_BYTES = 60 * 1024
KINDS = ("page", "fragment", "action", "signin", "baseline")
LEGEND = {"page": "full pages", "fragment": "htmx fragments", "action": "htmx actions",
          "baseline": "bare-Flask baseline"}
KIND_LABELS = {"page": "full page", "fragment": "htmx fragment", "action": "htmx action",
               "signin": "sign-in (argon2id)", "baseline": "bare Flask"}


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0..100) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def endpoint_stats(samples: list, since: float = 0.0) -> dict:
    """n, errors, p50/p95/p99, rps, bytes, queries of one endpoint's samples (latencies from
    ``since`` seconds on; errors over the whole run)."""
    measured = [s for s in samples if s[0] >= since] or samples
    ok = [s for s in measured if s[4]]
    times = [s[1] for s in ok]
    span = max((s[0] for s in samples), default=0) - since
    queries = [s[3] for s in samples if s[3] is not None and s[4]]
    sizes = [s[2] for s in samples if s[4]]
    return {
        "n": len(measured), "total": len(samples),
        "errors": sum(1 for s in samples if not s[4]),
        "p50": percentile(times, 50), "p95": percentile(times, 95),
        "p99": percentile(times, 99), "max": max(times, default=float("nan")),
        "rps": len(measured) / span if span > 0 else 0.0,
        "bytes": round(percentile(sizes, 50)) if sizes else 0,
        "max_bytes": max(sizes, default=0),
        "queries": max(queries, default=None), "min_queries": min(queries, default=None),
    }


def timed_from(results: dict, phase: str, data: dict) -> float:
    """The day's latencies count from ``warmup`` seconds on, and not before every virtual
    user has signed in (argon2id is slow on purpose); the burst is timed whole."""
    if phase != "mixed":
        return 0.0
    signed_in = [s[0] for name, samples in data["samples"].items() if kind_of(name) == "signin"
                 for s in samples]
    since = max([float(results["warmup"])] + [t + 2 for t in signed_in])
    last = max((s[0] for samples in data["samples"].values() for s in samples), default=0.0)
    return since if since < last else 0.0  # a run too short to leave any out (the smoke)


def kind_of(name: str) -> str:
    """page, fragment, action, signin or baseline (the sign-in page is part of signing in)."""
    return "signin" if name == "page /login" else name.split(" ", 1)[0]


def summarize(results: dict) -> dict:
    """The figures of a run without its raw samples."""
    scales = []
    for entry in results["scales"]:
        phases = {}
        for phase, data in entry["phases"].items():
            since = timed_from(results, phase, data)
            endpoints = {name: endpoint_stats(samples, since)
                         for name, samples in sorted(data["samples"].items())}
            by_kind = {}
            for kind in KINDS:
                start = 0.0 if kind == "signin" else since  # sign-ins are the warm-up
                times = [s[1] for name, samples in data["samples"].items()
                         if kind_of(name) == kind and (kind != "signin" or "POST" in name)
                         for s in samples if s[0] >= start and s[4]]
                if times:
                    by_kind[kind] = {"p50": percentile(times, 50), "p95": percentile(times, 95),
                                     "n": len(times)}
            phases[phase] = {"endpoints": endpoints, "kinds": by_kind,
                             "errors": {k: v for k, v in data.get("errors", {}).items() if v}}
        scales.append({"scale": entry["scale"], "build_seconds": entry["build_seconds"],
                       "phases": phases})
    keep = ("database", "machine", "workers", "users", "burst_users", "think", "duration",
            "burst_duration", "warmup", "smoke", "started", "total_seconds", "streams")
    return {**{k: results.get(k) for k in keep}, "scales": scales}


def error_count(results: dict) -> int:
    return sum(1 for entry in results["scales"] for data in entry["phases"].values()
               for samples in data["samples"].values() for s in samples if not s[4])


# --- budgets -------------------------------------------------------------------------------


def judge(summary: dict) -> list[dict]:
    """Each budget with the worst measured figure and whether it was met."""
    top = max(summary["scales"], key=lambda s: s["scale"])
    day = top["phases"].get("mixed", {}).get("endpoints", {})
    every = [(s["scale"], phase, name, stats) for s in summary["scales"]
             for phase, data in s["phases"].items() for name, stats in data["endpoints"].items()]

    def worst(items, key):
        items = [i for i in items if not _nan(key(i))]
        return max(items, key=key) if items else None

    rows = []
    for label, kinds, limit in (("page and fragment p95", ("page", "fragment"), PAGE_P95_MS),
                                ("htmx action p95", ("action",), ACTION_P95_MS)):
        bad = worst([(n, s) for n, s in day.items() if kind_of(n) in kinds],
                    lambda i: i[1]["p95"])
        rows.append({"budget": f"{label} ≤ {limit} ms (scale {top['scale']:g}, "
                               f"{summary['users']} staff)",
                     "worst": f"{bad[1]['p95']:.0f} ms {bad[0]}" if bad else "—",
                     "met": bad is None or bad[1]["p95"] <= limit,
                     "misses": sorted(n for n, s in day.items() if kind_of(n) in kinds
                                      and s["p95"] > limit)})
    portal = [i for i in every if kind_of(i[2]) in ("page", "fragment", "action")]
    bad = worst(portal, lambda i: i[3]["queries"] or 0)
    rows.append({"budget": f"SQL queries per request ≤ {MAX_QUERIES}",
                 "worst": f"{bad[3]['queries']} {bad[2]}" if bad else "—",
                 "met": bad is None or (bad[3]["queries"] or 0) <= MAX_QUERIES,
                 "misses": sorted({i[2] for i in portal if (i[3]["queries"] or 0) > MAX_QUERIES})})
    growing = sorted(name for name, counts in queries_by_scale(summary).items()
                     if grows(counts))
    rows.append({"budget": "queries do not grow with the data (the same at every scale)",
                 "worst": ", ".join(growing[:4]) + (" …" if len(growing) > 4 else "")
                          if growing else "constant",
                 "met": not growing, "misses": growing})
    for label, kinds, limit in (("htmx fragment and action", ("fragment", "action"),
                                 FRAGMENT_BYTES),
                                ("full page", ("page",), PAGE_BYTES)):
        items = [i for i in every if kind_of(i[2]) in kinds]
        bad = worst(items, lambda i: i[3]["max_bytes"])
        rows.append({"budget": f"{label} ≤ {limit // 1024} KB of HTML",
                     "worst": f"{bad[3]['max_bytes'] / 1024:.1f} KB {bad[2]}" if bad else "—",
                     "met": bad is None or bad[3]["max_bytes"] <= limit,
                     "misses": sorted({i[2] for i in items if i[3]["max_bytes"] > limit})})
    live = live_figures(top)
    if live["events"]:
        rows.append({"budget": f"event to screen p95 ≤ {EVENT_P95_MS} ms "
                               f"({live['streams']} open streams)",
                     "worst": f"{live['events']['p95']:.0f} ms", "met":
                     live["events"]["p95"] <= EVENT_P95_MS, "misses": []})
    errors = sum(s["errors"] for *_rest, s in every)
    rows.append({"budget": "zero errors (the day and the shift-change burst)",
                 "worst": str(errors), "met": errors == 0,
                 "misses": sorted({f"{i[1]} {i[2]}" for i in every if i[3]["errors"]})})
    return rows


def live_figures(entry: dict) -> dict:
    """The day's live updates at one scale: the streams opened, the "event to screen"
    latency (published by the portal -> read from a stream), and the polls answered 304
    (nothing changed: not rendered) against those rendered."""
    day = entry["phases"].get("mixed", {}).get("endpoints", {})
    opened = day.get("sse open")
    polls = {name: s for name, s in day.items() if "(poll)" in name}
    not_modified = [s for name, s in polls.items() if name.endswith(" 304")]
    rendered = [s for name, s in polls.items() if not name.endswith(" 304")]
    return {"streams": opened.get("total", opened["n"]) - opened["errors"] if opened else 0,
            "stream_errors": opened["errors"] if opened else 0,
            "events": day.get("sse event-to-screen"),
            "polls_304": sum(s["n"] for s in not_modified),
            "polls_200": sum(s["n"] for s in rendered),
            "poll_304_p95": max((s["p95"] for s in not_modified), default=None),
            "poll_200_p95": max((s["p95"] for s in rendered), default=None)}


def live_lines(entry: dict) -> list[str]:
    """One line on the streams and event-to-screen latency, one on the polls."""
    live = live_figures(entry)
    lines = []
    if live["streams"] or live["stream_errors"]:
        events = live["events"]
        figure = (f"p50 {_ms(events['p50'])} ms, p95 {_ms(events['p95'])} ms over "
                  f"{events['n']} events") if events else "no event arrived"
        lines.append(f"event to screen: {figure} ({live['streams']} streams opened, "
                     f"{live['stream_errors']} refused)")
    total = live["polls_304"] + live["polls_200"]
    if total:
        lines.append(f"polls: {live['polls_304']} of {total} answered 304 "
                     f"({100 * live['polls_304'] / total:.0f} %), worst p95 "
                     f"{_ms(live['poll_304_p95'])} ms (304) vs "
                     f"{_ms(live['poll_200_p95'])} ms (rendered)")
    return lines


def queries_by_scale(summary: dict) -> dict[str, dict[float, tuple[int, int]]]:
    """{endpoint: {scale: (fewest, most) queries seen}} over both phases."""
    result: dict[str, dict[float, tuple[int, int]]] = {}
    for entry in summary["scales"]:
        for data in entry["phases"].values():
            for name, stats in data["endpoints"].items():
                if kind_of(name) not in ("page", "fragment", "action") or \
                        stats["queries"] is None:
                    continue
                seen = result.setdefault(name, {})
                low, high = seen.get(entry["scale"], (stats["min_queries"], stats["queries"]))
                seen[entry["scale"]] = (min(low, stats["min_queries"]),
                                        max(high, stats["queries"]))
    return result


def grows(counts: dict[float, tuple[int, int]]) -> bool:
    """True when even the cheapest request at the largest scale sends more queries than the
    dearest at the smallest: the count follows the data. (Requests of one endpoint may take
    different paths, a query more or less, at any scale.)"""
    if len(counts) < 2:
        return False
    smallest, largest = counts[min(counts)], counts[max(counts)]
    return largest[0] > smallest[1]


def _range(pair: tuple[int, int] | None) -> str:
    if pair is None:
        return "—"
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}–{pair[1]}"


# --- writing -------------------------------------------------------------------------------


def _nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _ms(value) -> str:
    return "—" if value is None or _nan(value) else f"{value:.0f}" if value >= 10 \
        else f"{value:.1f}"


def _kb(value: int) -> str:
    return f"{value / 1024:.1f}"


def _baseline(phase: dict) -> dict | None:
    return phase["endpoints"].get("baseline GET /")


def endpoint_table(phase: dict) -> list[str]:
    base = _baseline(phase)
    lines = ["| kind | endpoint | n | rps | p50 ms | p95 ms | p99 ms | p95 × baseline "
             "| queries | KB | errors |",
             "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    order = {k: i for i, k in enumerate(KINDS)}
    for name, s in sorted(phase["endpoints"].items(),
                          key=lambda item: (order.get(kind_of(item[0]), 9), item[0])):
        kind, endpoint = kind_of(name), name.partition(" ")[2]
        ratio = s["p95"] / base["p95"] if base and base["p95"] and not _nan(s["p95"]) else None
        queries = "—" if s["queries"] is None else (
            str(s["queries"]) if s["queries"] == s["min_queries"]
            else f"{s['min_queries']}–{s['queries']}")
        lines.append(f"| {kind} | `{endpoint}` | {s['n']} | {s['rps']:.2f} | {_ms(s['p50'])} "
                     f"| {_ms(s['p95'])} | {_ms(s['p99'])} | "
                     f"{'—' if ratio is None else f'{ratio:.1f}'} | {queries} "
                     f"| {_kb(s['max_bytes'])} | {s['errors']} |")
    return lines


def kind_table(summary: dict) -> list[str]:
    lines = ["| scale | build s | " + " | ".join(
        f"{KIND_LABELS[k]} p50 / p95 ms" for k in KINDS) + " |",
        "|--:|--:|" + "--:|" * len(KINDS)]
    for entry in summary["scales"]:
        kinds = entry["phases"].get("mixed", {}).get("kinds", {})
        cells = [f"{_ms(kinds[k]['p50'])} / {_ms(kinds[k]['p95'])}" if k in kinds else "—"
                 for k in KINDS]
        lines.append(f"| {entry['scale']:g} | {entry['build_seconds']:.0f} | "
                     + " | ".join(cells) + " |")
    return lines


def curve_table(summary: dict) -> list[str]:
    scales = [e["scale"] for e in summary["scales"]]
    lines = ["| endpoint | " + " | ".join(f"p95 ms at {s:g}" for s in scales)
             + " | queries at each scale |", "|---|" + "--:|" * len(scales) + "---|"]
    names = sorted({n for e in summary["scales"] for n in e["phases"].get("mixed", {})
                    .get("endpoints", {}) if kind_of(n) in ("page", "fragment", "action")})
    counts = queries_by_scale(summary)
    for name in names:
        cells = []
        for entry in summary["scales"]:
            stats = entry["phases"].get("mixed", {}).get("endpoints", {}).get(name)
            cells.append(_ms(stats["p95"]) if stats else "—")
        seen = counts.get(name, {})
        lines.append(f"| `{name}` | " + " | ".join(cells) + " | "
                     + " / ".join(_range(seen.get(s)) for s in scales) + " |")
    return lines


def svg_chart(summary: dict) -> str:
    """p95 of every page (thin) and of pages, fragments, actions and the baseline (bold) at
    each scale, with the budgets."""
    width, height, left, right, top, bottom = 720, 360, 60, 170, 20, 40
    entries = summary["scales"]
    scales = [e["scale"] for e in entries]
    series = {}
    for kind in ("page", "fragment", "action", "baseline"):
        series[kind] = [e["phases"].get("mixed", {}).get("kinds", {}).get(kind, {}).get("p95")
                        for e in entries]
    thin = {}
    for entry_index, entry in enumerate(entries):
        for name, stats in entry["phases"].get("mixed", {}).get("endpoints", {}).items():
            if kind_of(name) == "page":
                thin.setdefault(name, [None] * len(entries))[entry_index] = stats["p95"]
    values = [v for line in list(series.values()) + list(thin.values()) for v in line
              if v is not None and not _nan(v)]
    y_max = max([PAGE_P95_MS * 1.2] + values)
    x_low, x_high = math.log10(min(scales)), math.log10(max(scales))

    def x(scale):
        if x_high == x_low:
            return left + (width - left - right) / 2
        return left + (math.log10(scale) - x_low) / (x_high - x_low) * (width - left - right)

    def y(ms):
        return top + (1 - ms / y_max) * (height - top - bottom)

    colours = {"page": "#1f5fa8", "fragment": "#2e8b57", "action": "#c0392b",
               "baseline": "#555555"}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<title>p95 latency by data scale ({summary["database"]})</title>',
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>']
    step = 10 ** math.floor(math.log10(y_max / 4)) if y_max > 0 else 10
    tick = 0.0
    while tick <= y_max:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" '
                   f'y2="{y(tick):.1f}" stroke="#eeeeee"/>')
        out.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">'
                   f'{tick:g}</text>')
        tick += step * (2 if y_max / step > 12 else 1)
    for scale in scales:
        out.append(f'<text x="{x(scale):.1f}" y="{height - bottom + 18}" '
                   f'text-anchor="middle">{scale:g}</text>')
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - 6}" text-anchor="middle">'
               'data scale (1 = full: 1M handover items, 1M orders, …)</text>')
    out.append(f'<text x="14" y="{(top + height - bottom) / 2}" text-anchor="middle" '
               f'transform="rotate(-90 14 {(top + height - bottom) / 2})">p95 ms</text>')
    for limit, label in ((PAGE_P95_MS, "page budget"), (ACTION_P95_MS, "action budget")):
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(limit):.1f}" '
                   f'y2="{y(limit):.1f}" stroke="#999999" stroke-dasharray="6 4"/>')
        out.append(f'<text x="{width - right + 6}" y="{y(limit) + 4:.1f}" fill="#777777">'
                   f'{label} {limit} ms</text>')

    def polyline(points, colour, stroke):
        points = [(x(s), y(v)) for s, v in zip(scales, points, strict=True)
                  if v is not None and not _nan(v)]
        if not points:
            return ""
        coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        dots = "".join(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{stroke + 1}" fill="{colour}"/>'
                       for px, py in points)
        return (f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                f'stroke-width="{stroke}" stroke-opacity="{1 if stroke > 1 else 0.35}"/>' + dots)

    for line in thin.values():
        out.append(polyline(line, colours["page"], 1))
    legend_y = top + 60
    for kind, line in series.items():
        out.append(polyline(line, colours[kind], 3))
        out.append(f'<rect x="{width - right + 6}" y="{legend_y - 9}" width="12" height="4" '
                   f'fill="{colours[kind]}"/>')
        out.append(f'<text x="{width - right + 22}" y="{legend_y - 4}">'
                   f'{LEGEND[kind]}</text>')
        legend_y += 18
    out.append(f'<text x="{width - right + 6}" y="{legend_y + 4}" fill="#777777">'
               'thin: each page</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def database_section(summary: dict) -> list[str]:
    db = summary["database"]
    top = max(summary["scales"], key=lambda s: s["scale"])
    m = summary["machine"]
    lines = [f"## {'PostgreSQL' if db == 'postgresql' else 'SQLite'}", "",
             f"Run {summary['started']}, {summary['total_seconds']} s in all; {m['cpu']}, "
             f"{m['cores']} cores, {m['memory']}, Python {m['python']}; gunicorn "
             f"{summary['workers']} sync workers; the day: {summary['users']} staff, think "
             f"{summary['think']} s, {summary['duration']} s (timed once everyone has signed "
             f"in, and not before {summary['warmup']} s); the shift change: "
             f"{summary['burst_users']} staff arriving within 40 s, "
             f"{summary['burst_duration']} s."
             + (f" Live updates: {summary['streams']} open streams (the gevent SSE process, "
                "Redis between it and the portal)." if summary.get("streams") else ""), "",
             "### Budgets", "", "| budget | worst measured | met |", "|---|---|---|"]
    for row in judge(summary):
        lines.append(f"| {row['budget']} | {row['worst']} | {'yes' if row['met'] else '**no**'} |")
    live = [f"- scale {entry['scale']:g}: {line}" for entry in summary["scales"]
            for line in live_lines(entry)]
    if live:
        lines += ["", "### Live updates and polls, the day's load", ""] + live
    lines += ["", "### By kind, the day's load at each scale", ""] + kind_table(summary)
    lines += ["", f"![p95 by scale](scale-curve-{db}.svg)", ""]
    for phase, title in (("mixed", f"The day: {summary['users']} staff"),
                         ("burst", f"The shift change: {summary['burst_users']} staff")):
        data = top["phases"].get(phase)
        if not data:
            continue
        lines += [f"### {title}, scale {top['scale']:g}", ""] + endpoint_table(data) + [""]
        for name, messages in data["errors"].items():
            lines.append(f"- errors of `{name}`: " + "; ".join(f"`{m}`" for m in messages[:3]))
        if data["errors"]:
            lines.append("")
    lines += ["### Scale curve (the day's load)", ""] + curve_table(summary) + [""]
    return lines


def write(results: dict, out: Path) -> str:
    """Write the report files into ``out``; return the one-screen summary."""
    summary = summarize(results)
    out = Path(out)
    db = summary["database"]
    (out / f"scale-curve-{db}.svg").write_text(svg_chart(summary), encoding="utf-8")
    (out / f"summary-{db}.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    sections = []
    for name in ("sqlite", "postgresql"):
        path = out / f"summary-{name}.json"
        if path.exists():
            sections += database_section(json.loads(path.read_text(encoding="utf-8")))
    text = ["# Benchmark results", "",
            "Written by `make bench` (bench/run.py); what the figures mean and what was done "
            "to meet the budgets: [docs/performance.md](../../docs/performance.md). "
            "Latencies are client-side (Locust), on one 2-core machine that also runs the load "
            "generator; compare ratios to the bare-Flask baseline rather than milliseconds "
            "across machines.", ""] + sections
    (out / "latest.md").write_text("\n".join(text), encoding="utf-8")
    return one_screen(summary, out / "latest.md")


def main(argv=None) -> int:
    """``python -m bench.report RESULTS.json [--out DIR]``: write the report again from a run's
    raw results (instance/bench/results-<db>.json)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.report", description=main.__doc__)
    parser.add_argument("results", type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text(encoding="utf-8"))
    print(write(results, args.out))
    return 0 if error_count(results) == 0 else 1


def one_screen(summary: dict, path: Path) -> str:
    lines = [f"== bench on {summary['database']}: {path}"]
    lines += ["   " + line for line in kind_table(summary)]
    top = max(summary["scales"], key=lambda s: s["scale"])
    lines += ["   " + line for line in live_lines(top)]
    for row in judge(summary):
        mark = "ok  " if row["met"] else "MISS"
        lines.append(f"   {mark} {row['budget']}: {row['worst']}")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    sys.exit(main())
