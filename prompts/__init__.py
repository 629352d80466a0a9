"""Prompt templates, as versioned data files (name.vN.md) next to this module.

A file holds a system part and a user part (`=== system ===`, `=== user ===`); `$name` fields are filled
with string.Template, which never interprets the values, so customer text cannot inject template syntax.
The version (`account_brief.v1`) goes into the cache key: a new prompt version writes anew.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Template

PROMPTS_DIR = Path(__file__).resolve().parent
_FILE = re.compile(r"^(?P<name>[a-z_]+)\.v(?P<version>\d+)\.md$")
_PART = re.compile(r"^=== (system|user) ===$", re.MULTILINE)
_COMMENT = re.compile(r"<!--.*?-->\s*", re.DOTALL)


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    system: str
    user: str

    @property
    def id(self) -> str:
        return f"{self.name}.v{self.version}"

    def render(self, **values: str) -> tuple[str, str]:
        """(system, user) with the fields filled; a missing field is an error, not an empty string."""
        return Template(self.system).substitute(values), Template(self.user).substitute(values)


def versions(name: str) -> list[int]:
    found = (_FILE.match(p.name) for p in PROMPTS_DIR.glob(f"{name}.v*.md"))
    return sorted(int(m.group("version")) for m in found if m and m.group("name") == name)


@lru_cache(maxsize=32)
def load_prompt(name: str, version: int | None = None) -> Prompt:
    """The given version of a prompt, or its latest."""
    if version is None:
        available = versions(name)
        if not available:
            raise LookupError(f"no prompt named {name!r} in {PROMPTS_DIR}")
        version = available[-1]
    text = _COMMENT.sub("", (PROMPTS_DIR / f"{name}.v{version}.md").read_text(encoding="utf-8"))
    parts = _PART.split(text)
    # ['', 'system', '...', 'user', '...']
    sections = dict(zip(parts[1::2], (p.strip() for p in parts[2::2]), strict=True))
    if set(sections) != {"system", "user"}:
        raise ValueError(f"{name}.v{version}.md needs a '=== system ===' and a '=== user ===' part")
    return Prompt(name, version, sections["system"], sections["user"])
