"""A small latency-distribution chart (histogram per series) drawn with Pillow."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40)]


def latency_chart(series: dict[str, list[float]], path: Path, *, title: str, bins: int = 40) -> None:
    """Histograms of latency (ms) on a shared axis up to the largest p99, with p50/p95 marked."""
    width, height, margin = 900, 420, 60
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((margin, 15), title, fill="black")
    if not series:
        image.save(path)
        return
    limit = max(sorted(v)[int(0.99 * (len(v) - 1))] for v in series.values() if v) or 1.0
    plot_w, plot_h = width - 2 * margin, height - 2 * margin
    counts = {}
    for name, values in series.items():
        hist = [0] * bins
        for v in values:
            hist[min(bins - 1, int(v / limit * bins))] += 1
        counts[name] = [c / max(1, len(values)) for c in hist]
    top = max(max(c) for c in counts.values()) or 1.0
    draw.line((margin, height - margin, width - margin, height - margin), fill="black")
    draw.line((margin, margin, margin, height - margin), fill="black")
    for i in range(0, 5):
        x = margin + plot_w * i / 4
        draw.text((x - 10, height - margin + 8), f"{limit * i / 4:.0f}", fill="black")
    draw.text((width / 2 - 60, height - 25), "latency per message (ms)", fill="black")
    draw.text((8, margin - 20), "share of messages", fill="black")
    bar = plot_w / bins / max(1, len(series))
    for s, (name, hist) in enumerate(counts.items()):
        colour = COLOURS[s % len(COLOURS)]
        for b, share in enumerate(hist):
            if share <= 0:
                continue
            x0 = margin + plot_w * b / bins + s * bar
            y0 = height - margin - plot_h * share / top
            draw.rectangle((x0, min(y0, height - margin - 2), x0 + max(bar - 1, 1), height - margin - 1), fill=colour)
        values = sorted(series[name])
        p50, p95 = values[len(values) // 2], values[int(0.95 * (len(values) - 1))]
        for label, value in (("p50", p50), ("p95", p95)):
            x = margin + plot_w * min(value, limit) / limit
            draw.line((x, margin, x, height - margin), fill=colour)
            draw.text((x + 3, margin + 14 * s + (0 if label == "p50" else 28)), f"{name} {label} {value:.1f}",
                      fill=colour)
        draw.rectangle((width - margin - 150, margin + 18 * s, width - margin - 138, margin + 18 * s + 12), fill=colour)
        draw.text((width - margin - 132, margin + 18 * s), name, fill="black")
    image.save(path)
