"""Microsoft's Adaptive Cards renderer, driven from Python: render cards in headless Chromium at phone and
desktop widths and get back what a person would mind (parse warnings, dropped elements, cut labels).

The work happens in tools/renderer/render.mjs (the `adaptivecards` npm package, the Teams light host config);
tools/renderer/install.sh installs Debian's chromium and the npm packages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RENDERER = Path(__file__).with_name("renderer")
WIDTHS = (340, 500)


@dataclass(frozen=True)
class Problem:
    card: str
    width: int
    problem: str


def chromium_path() -> str | None:
    return os.environ.get("TANDEM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def missing() -> str | None:
    """Why the renderer cannot run here (None when it can)."""
    if shutil.which("node") is None:
        return "node is not installed"
    if chromium_path() is None:
        return "chromium is not installed (apt-get install chromium)"
    for package in ("adaptivecards", "playwright-core", "markdown-it"):
        if not (RENDERER / "node_modules" / package).is_dir():
            return f"the npm package {package} is not installed (tools/renderer/install.sh)"
    if not (RENDERER / "vendor" / "microsoft-teams-light.json").is_file():
        return "the Teams host config is not installed (tools/renderer/install.sh)"
    return None


def render(
    cards: dict[str, dict[str, Any]],
    widths: tuple[int, ...] = WIDTHS,
    shots: Path | None = None,
    shot_width: int = 500,
) -> list[Problem]:
    """Render every card at every width; with `shots`, also save `<name>.png` of each at `shot_width`."""
    if why := missing():
        raise RuntimeError(f"cannot render cards: {why}")
    entries = [{"name": name, "card": card, "shot": shot_width} for name, card in cards.items()]
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "cards.json"
        source.write_text(json.dumps({"widths": list(widths), "cards": entries}), encoding="utf-8")
        command = ["node", str(RENDERER / "render.mjs"), str(source)]
        if shots is not None:
            command += ["--shots", str(shots)]
        env = {**os.environ, "TANDEM_CHROMIUM": chromium_path() or ""}
        done = subprocess.run(command, capture_output=True, text=True, timeout=240, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the renderer failed: {done.stderr[-2000:]}")
    found = json.loads(done.stdout)
    if found["rendered"] != len(entries) * len(widths):
        raise RuntimeError(f"rendered {found['rendered']} of {len(entries) * len(widths)} cards")
    return [Problem(p["card"], p["width"], p["problem"]) for p in found["problems"]]
