"""The yardstick: a bare Flask app that renders a small template, served by gunicorn with the
portal's settings in the same run (``gunicorn bench.baseline:app``). The portal's latencies
are also given as a ratio to its: machines are noisy, ratios hold better than milliseconds.
"""

from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, render_template

app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))


@app.route("/")
def hello():
    """A small page from a template, no database."""
    return render_template("hello.html", now=datetime.now(UTC),
                           items=["交接本", "展厅接待", "评分表", "订单"])
