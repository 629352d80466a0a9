"""Start-up: `import bot.cli` loads none of the heavy libraries; each is imported where it is used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = (
    "presidio_analyzer",
    "presidio_anonymizer",
    "spacy",
    "openai",
    "slack_sdk",
    "slack_bolt",
    "botbuilder",
    "hubspot",
    "stripe",
    "zenpy",
    "simple_salesforce",
    "pyarrow",
    "alembic",
    "jsonschema",
)


def loaded_after(statement: str) -> set[str]:
    """The top-level packages among HEAVY that a fresh interpreter holds after running `statement`."""
    script = f"import json, sys\n{statement}\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return set(json.loads(result.stdout.splitlines()[-1])) & set(HEAVY)


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert loaded_after("import bot.cli") == set()


def test_the_heavy_libraries_still_load_where_they_are_used() -> None:
    # The check above is only worth something if the same probe sees them when they are used.
    loaded = loaded_after(
        "import bot.cli\nfrom bot.privacy import Masker\nprint(Masker().mask('call +44 20 7946 0958'))\n"
        "from bot.render.validate import validate_blocks\n"
        "validate_blocks([{'type': 'section', 'text': {'type': 'mrkdwn', 'text': 'hi'}}])"
    )
    assert {"presidio_analyzer", "presidio_anonymizer", "slack_sdk"} <= loaded
