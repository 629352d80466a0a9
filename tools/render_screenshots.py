"""Regenerate the README's pictures: a demo digest and an `/account` answer, as Microsoft's Adaptive Cards
renderer draws them in Teams (light theme) at 500 px. No hand-made mock-ups: the demo pipeline builds the
book, Tandem renders the cards, `adaptivecards` in headless Chromium draws them.

    tools/renderer/install.sh && .venv/bin/python -m tools.render_screenshots

With `pngquant` installed (apt-get install pngquant) the pictures are shrunk to a 64-colour palette.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy import select

from bot.account_view import build_account_answer
from bot.db import Database
from bot.models import Account
from bot.render.cards_account import account_card
from tools import card_renderer

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
DAY = "2026-11-23"  # a Monday: a working day, so the digest goes out
ACCOUNT = "Globex Health"


def main() -> int:
    if why := card_renderer.missing():
        print(f"cannot render: {why}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite:///{work}/demo.db"
        env = {**os.environ, "TANDEM_DATABASE_URL": url}
        command = [str(Path(sys.executable).with_name("tandem")), "demo", "--out", f"{work}/outbox", "--as-of", DAY]
        subprocess.run(command, env=env, check=True, capture_output=True, cwd=work)
        digests = sorted(Path(work, "outbox").glob("*-digest-*-teams.json"))
        digest = json.loads(digests[-1].read_text(encoding="utf-8"))["card"]
        db = Database(url)
        with db.session() as session:
            account = session.scalars(select(Account).where(Account.name == ACCOUNT)).one()
            answer = build_account_answer(session, account.org_id, account.id, date.fromisoformat(DAY))
        db.dispose()
        OUT.mkdir(parents=True, exist_ok=True)
        cards = {"teams-digest": digest, "teams-account": account_card(answer)}
        problems = card_renderer.render(cards, widths=(500,), shots=OUT, shot_width=500)
    if shutil.which("pngquant"):  # a 64-colour palette: a third of the size, the same picture to the eye
        pictures = [str(OUT / f"{name}.png") for name in cards]
        subprocess.run(["pngquant", "--force", "--ext", ".png", "--strip", "64", *pictures], check=True)
    for problem in problems:
        print(f"{problem.card}: {problem.problem}", file=sys.stderr)
    print(f"wrote {', '.join(str(OUT / f'{name}.png') for name in cards)}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
