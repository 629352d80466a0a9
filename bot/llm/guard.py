"""Checking what the model wrote before anyone sees it.

Customer text is data, and the prompt says so, but a model can still be talked into following a ticket
that says "ignore previous instructions and ...". The guard does not trust the prompt: it rejects output
that is too long, off format, carries a link, uses a placeholder the input did not have, or echoes the
instruction-like sentences of the customer text. A rejected text is replaced by the deterministic one.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from bot.privacy import PLACEHOLDER

_URL = re.compile(
    r"(?i)\b(?:https?|ftp|file|javascript|data):|\bwww\.|\]\(|<a\s|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/[^\s]*"
)
# Phrases of someone taking orders, or of a model talking about itself instead of the account.
_OBEYING = re.compile(
    r"(?i)\b(?:ignor(?:e|ing)|disregard(?:ing)?|forget)\b.{0,40}\b(?:instructions?|rules|prompt|above)\b"
    r"|\b(?:system prompt|new instructions|as an ai\b|language model|i (?:can(?:not|'t)|am unable|will now))"
    r"|<\/?\s*(?:customer_data|system|user|assistant)\b"
)
# A sentence of the customer text that tries to give a model orders (not a customer asking for seats).
_ORDER = re.compile(
    r"(?i)\b(?:ignor(?:e|ing)|disregard|forget|override)\b.{0,40}\b(?:instructions?|prompts?|rules|above|everything)\b"
    r"|\b(?:you are now|from now on|act as|pretend|system prompt|new instructions|jailbreak)\b"
    r"|\b(?:ai|assistant|model|chatbot|llm|gpt)\b.{0,30}\b(?:must|should|shall|write|say|output|reply|respond)\b"
    r"|\binstead\b.{0,20}\b(?:write|say|output|reply|respond|tell|print|answer|include|add)\b"
)
FOLLOWING = 2  # sentences after an order, in the same paragraph, are part of it ("Ignore ... . Say X.")
_SENTENCE = re.compile(r"[^.!?\n]+")
_WORD = re.compile(r"[\w'<>@./:-]+")
SHINGLE = 4  # four words in a row taken from an order in the data is following it, not summarising


@dataclass(frozen=True)
class Shape:
    max_lines: int
    min_lines: int
    max_line_chars: int
    max_chars: int


BRIEF = Shape(max_lines=2, min_lines=2, max_line_chars=240, max_chars=480)
OPENING = Shape(max_lines=2, min_lines=1, max_line_chars=400, max_chars=400)


class Rejected(ValueError):
    pass


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = [w.lower() for w in _WORD.findall(text)]
    return {tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def injected_orders(data: str) -> list[str]:
    """Sentences of the customer data that read like orders to a model, with the ones right after them."""
    orders: list[str] = []
    for paragraph in data.splitlines():
        left = 0
        for sentence in _SENTENCE.findall(paragraph):
            if _ORDER.search(sentence):
                left = FOLLOWING + 1
            if left:
                orders.append(sentence.strip())
                left -= 1
    return orders


def check(output: str, *, shape: Shape, placeholders: Collection[str], data: str) -> str:
    """The output, tidied (stripped lines), or Rejected with the reason."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    text = "\n".join(lines)
    if not lines:
        raise Rejected("empty")
    if len(text) > shape.max_chars or any(len(line) > shape.max_line_chars for line in lines):
        raise Rejected("too long")
    if not shape.min_lines <= len(lines) <= shape.max_lines:
        raise Rejected(f"{len(lines)} lines, expected {shape.min_lines}-{shape.max_lines}")
    if any(line.startswith(("#", "-", "*", "•", ">")) or line.startswith("```") for line in lines):
        raise Rejected("not plain text")
    if _URL.search(text):
        raise Rejected("contains a link")
    invented = {m.group(0) for m in PLACEHOLDER.finditer(text)} - set(placeholders)
    if invented:
        raise Rejected("placeholder not in the input")
    if _OBEYING.search(text):
        raise Rejected("reads like following instructions")
    said = _shingles(text)
    if any(said & _shingles(order) for order in injected_orders(data)):
        raise Rejected("echoes an instruction from the customer data")
    return text
