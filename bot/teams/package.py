"""The Teams app package (`tandem teams-package`): manifest.json and two icons, zipped for sideloading.

Manifest schema v1.17. Icons are drawn here (PNG written with zlib and struct, no imaging library): a
192x192 colour icon and a 32x32 outline icon, white on transparent as Teams requires.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.settings import get_settings

MANIFEST_VERSION = "1.17"
SCHEMA_URL = f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
ACCENT = (0x2B, 0x57, 0x9A)  # the colour icon's background, and the manifest's accentColor
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
COMMANDS = (
    ("account", "Show an account: account <name or domain>"),
    ("handoff", "Hand an account to your pair: handoff <account>: <note>"),
    ("portfolio", "Your portfolio: renewal rate, retention, value at risk, pipeline, coverage"),
    ("help", "What Tandem can do"),
)

Pixel = tuple[int, int, int, int]


def png(width: int, height: int, pixel: Any) -> bytes:
    """An RGBA PNG; `pixel(x, y)` gives each pixel's (r, g, b, a)."""
    rows = b"".join(b"\x00" + b"".join(struct.pack("4B", *pixel(x, y)) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8 bits, RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _in_t(x: float, y: float) -> bool:
    """A "T" in the unit square: the bar on top, the stem in the middle."""
    bar = 0.22 <= y <= 0.36 and 0.2 <= x <= 0.8
    stem = 0.36 <= y <= 0.8 and 0.42 <= x <= 0.58
    return bar or stem


def color_icon(size: int = 192) -> bytes:
    def pixel(x: int, y: int) -> Pixel:
        if _in_t((x + 0.5) / size, (y + 0.5) / size):
            return (255, 255, 255, 255)
        return (*ACCENT, 255)

    return png(size, size, pixel)


def outline_icon(size: int = 32) -> bytes:
    def pixel(x: int, y: int) -> Pixel:
        return (255, 255, 255, 255) if _in_t((x + 0.5) / size, (y + 0.5) / size) else (0, 0, 0, 0)

    return png(size, size, pixel)


def manifest(bot_id: str, version: str, website: str, name: str = "Tandem") -> dict[str, Any]:
    if not GUID.match(bot_id):
        raise ValueError(f"the bot id must be the Azure app registration's GUID, not {bot_id[:60]!r}")
    if not website.startswith("https://"):
        raise ValueError("the website URL must start with https://")
    site = website.rstrip("/")
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": bot_id,
        "developer": {
            "name": name,
            "websiteUrl": site,
            "privacyUrl": f"{site}/privacy",
            "termsOfUseUrl": f"{site}/terms",
        },
        "name": {"short": name, "full": f"{name}: the shared read of every account"},
        "description": {
            "short": "Account health, signals and handoffs for AMs and CSMs.",
            "full": (
                "Tandem gives the Account Manager and the Customer Success Manager of each account the same "
                "read: a morning digest, alerts when a key stakeholder leaves, `account <name>` for any "
                "account, and handoffs between the pair, in Teams or in Slack."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": bot_id,
                "scopes": ["personal", "team"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": ["personal", "team"],
                        "commands": [{"title": t, "description": d} for t, d in COMMANDS],
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
    }


def build_package(out: Path, bot_id: str, version: str = "1.0.0", website: str = "https://tandem.example") -> Path:
    data = manifest(bot_id, version, website)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(data, indent=2, ensure_ascii=False))
        archive.writestr("color.png", color_icon())
        archive.writestr("outline.png", outline_icon())
    return out


def teams_package_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write the zip.")] = Path("tandem-teams.zip"),
    version: Annotated[str, typer.Option("--app-version", help="The app's version in the manifest.")] = "1.0.0",
    website: Annotated[
        str, typer.Option("--website", help="Your https site: developer, privacy (/privacy) and terms (/terms) pages.")
    ] = "https://tandem.example",
) -> None:
    """Build the Teams app package (manifest.json and icons) to sideload or upload to your tenant's catalog."""
    bot_id = get_settings().microsoft_app_id
    if not bot_id:
        typer.echo("error: MICROSOFT_APP_ID is not set: the package needs the bot's app id", err=True)
        raise typer.Exit(code=1)
    try:
        path = build_package(out, bot_id, version, website)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"Wrote {path}: upload it in Teams (Apps → Manage your apps → Upload an app).")
