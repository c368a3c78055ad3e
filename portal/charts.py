"""Bar charts drawn server-side as inline SVG (the showroom's month summary, the complaints'
monthly analysis): presentation attributes only, since the CSP forbids style attributes; a
<title> and a <desc> for screen readers (escaped here; the caller escapes the texts it
adds itself)."""

from markupsafe import escape


def scale_max(peak: int) -> int:
    """The top of the value axis: the peak rounded up to a multiple of five (at least 5)."""
    return max(5, -(-peak // 5) * 5)


def svg_open(css_class: str, uid: str, width: int, height: int, title: str,
             desc: str) -> list[str]:
    """The <svg> element's opening, its title and its description."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" aria-labelledby="{uid}-title {uid}-desc">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(desc)}</desc>',
    ]


def value_axis(left: float, right_x: float, top: float, plot_h: float, top_value: int
               ) -> list[str]:
    """Six grid lines from 0 to ``top_value`` with their values, and the base line."""
    parts = []
    for step in range(0, 6):
        value = top_value * step // 5
        y = top + plot_h - plot_h * value / top_value
        parts.append(f'<line x1="{left}" x2="{right_x}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#d9dee3" stroke-width="1"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" fill="#5f6b76" '
                     f'text-anchor="end">{value}</text>')
    parts.append(f'<line x1="{left}" x2="{right_x}" y1="{top + plot_h}" '
                 f'y2="{top + plot_h}" stroke="#5f6b76" stroke-width="1"/>')
    return parts
