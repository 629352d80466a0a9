"""`tandem teams-package`: the zip Teams sideloads, its manifest and icons; and the cards' schema."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.handoffs import HandoffDraft
from bot.render.cards_account import (
    account_card,
    chooser_card,
    handoff_form_card,
    help_card,
    no_match_card,
    parse_chat_submit,
)
from bot.render.validate import validate_card
from bot.teams.package import MANIFEST_VERSION, build_package, manifest
from bot.views import AccountAnswer, AccountChoice, AccountChooser, HandoffSummary, SignalLine, StakeholderLine

APP_ID = "00000000-0000-4000-8000-000000000001"


def read_png(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, raw RGBA rows) of one of our PNGs, checking signature and chunk CRCs."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks[kind] = body
        pos += 12 + length
    width, height, depth, color_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, color_type) == (8, 6)
    return width, height, zlib.decompress(chunks[b"IDAT"])


def test_the_package_holds_a_manifest_and_two_icons(tmp_path: Path) -> None:
    path = build_package(tmp_path / "tandem-teams.zip", APP_ID, "1.2.3", "https://tandem.example.com/")
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        data = json.loads(archive.read("manifest.json"))
        color = read_png(archive.read("color.png"))
        outline = read_png(archive.read("outline.png"))
    assert data["manifestVersion"] == MANIFEST_VERSION == "1.17"
    assert data["$schema"].endswith("/v1.17/MicrosoftTeams.schema.json")
    assert data["id"] == data["bots"][0]["botId"] == APP_ID and data["version"] == "1.2.3"
    assert data["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert data["developer"]["privacyUrl"] == "https://tandem.example.com/privacy"
    assert set(data["bots"][0]["scopes"]) == {"personal", "team"}
    assert {c["title"] for c in data["bots"][0]["commandLists"][0]["commands"]} == {
        "account",
        "handoff",
        "portfolio",
        "help",
    }
    assert len(data["name"]["short"]) <= 30 and len(data["description"]["short"]) <= 80
    assert color[:2] == (192, 192) and outline[:2] == (32, 32)
    raw = outline[2]
    pixels = [raw[y * (1 + 32 * 4) + 1 + x * 4 : y * (1 + 32 * 4) + 5 + x * 4] for y in range(32) for x in range(32)]
    assert {bytes(p) for p in pixels} == {b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"}  # white on transparent


def test_the_manifest_refuses_a_bot_id_that_is_not_a_guid_and_a_plain_http_site() -> None:
    with pytest.raises(ValueError, match="GUID"):
        manifest("my-bot", "1.0.0", "https://tandem.example")
    with pytest.raises(ValueError, match="https"):
        manifest(APP_ID, "1.0.0", "http://tandem.example")


def test_the_cli_builds_the_package_from_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TANDEM_CONFIG", raising=False)
    monkeypatch.delenv("MICROSOFT_APP_ID", raising=False)
    runner = CliRunner()
    missing = runner.invoke(app, ["teams-package", "--out", "tandem-teams.zip"])
    assert missing.exit_code == 1 and "MICROSOFT_APP_ID" in missing.output
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    result = runner.invoke(app, ["teams-package", "--out", "tandem-teams.zip"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "tandem-teams.zip") as archive:
        assert json.loads(archive.read("manifest.json"))["bots"][0]["botId"] == APP_ID


def test_conversation_cards_validate_and_keep_data_inert() -> None:
    hostile = "[Renew now](https://evil.example) \u202e"
    answer = AccountAnswer(
        account_id=7,
        external_id="ACC-7",
        name=hostile,
        domain="evil.example",
        arr=1000.0,
        health=41,
        health_trend_30d=-9,
        signals=[SignalLine(kind="usage_drop", severity=4, title="Usage down 40%", reasons=["fewer logins"])],
        stakeholders=[StakeholderLine(name="Ann", title="VP", role="champion", is_key=True, status="left")],
        handoffs=[HandoffSummary(handoff_id=1, account_name="X", from_name="Y", topic="risk", note="n", status="open")],
        brief="Two lines.\nSecond.",
        crm_url="javascript:alert(1)",
    )
    chooser = AccountChooser(query=hostile, choices=[AccountChoice(account_id=i, name=f"Acme {i}") for i in range(7)])
    for card in (
        account_card(answer),
        account_card(answer, shared_by="Chloé"),
        chooser_card(chooser),
        no_match_card(hostile),
        help_card(),
        handoff_form_card(7, hostile, "Alice", HandoffDraft(topic="risk", note=hostile, next_step=hostile)),
    ):
        validate_card(card)
        text = json.dumps(card, ensure_ascii=False)
        assert "\u202e" not in text and "javascript:" not in text
        # Markdown is inert in an input's value (it is edited, not rendered); everywhere else it is escaped.
        shown = [e for e in card["body"] if not e["type"].startswith("Input.")]
        assert "](https://evil" not in json.dumps(shown, ensure_ascii=False)
    [choices] = [e for e in chooser_card(chooser)["body"] if e["type"] == "Input.ChoiceSet"]
    assert len(choices["choices"]) == 5 and choices["style"] == "expanded" and choices["wrap"] is True
    assert parse_chat_submit({"action": "choose_account", "account_id": 3}) == ("choose_account", 3, {})
    # The choice set answers with the chosen id as text, merged into the button's data.
    assert parse_chat_submit({"action": "choose_account", "account_id": "3"}) == ("choose_account", 3, {})
    assert parse_chat_submit({"action": "handoff_submit", "account_id": 3, "note": "hi", "x": "y"})[2] == {"note": "hi"}
    bad_payloads: list[object] = [{"action": "choose_account", "account_id": True}, {"action": "nope"}, [], None]
    for bad in bad_payloads:
        with pytest.raises(ValueError):
            parse_chat_submit(bad)


async def test_a_single_tenant_app_gets_its_tokens_from_its_own_tenant() -> None:
    """MICROSOFT_APP_TENANT_ID: outbound tokens come from that tenant's authority, not botframework.com."""
    from botframework.connector.auth import AuthenticationConstants, ClaimsIdentity

    from bot.settings import Settings
    from bot.teams.auth import bot_framework_authentication

    identity = ClaimsIdentity(
        {AuthenticationConstants.AUDIENCE_CLAIM: "app-1", AuthenticationConstants.APP_ID_CLAIM: "app-1"}, True
    )
    authorities = []
    for tenant in ("contoso-tenant-id", None):
        settings = Settings(microsoft_app_id="app-1", microsoft_app_password="pw", microsoft_app_tenant_id=tenant)
        factory = bot_framework_authentication(settings).create_connector_factory(identity)
        client = await factory.create("https://smba.example/", "https://api.botframework.com")
        authorities.append(client.config.credentials.oauth_endpoint)
    assert authorities == [
        "https://login.microsoftonline.com/contoso-tenant-id",
        "https://login.microsoftonline.com/botframework.com",  # multi-tenant: the Bot Framework's own
    ]
