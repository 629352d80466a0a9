"""The single path from Tandem's data to a model-written text: mask, cache, call, check, restore.

    data -> prompt template -> Masker.seal (emails, phones masked) -> cache lookup by hash -> ModelClient
         -> guard -> stored masked (ModelText) -> restored with the originals for the account's own team

Any failure (no key, outage, budget, rejected output) gives the deterministic text instead, so every
feature works without a model; a failure of a configured model is said in the text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.llm.client import Completion, ModelClient, ModelError
from bot.llm.guard import Rejected, Shape, check
from bot.models import ModelText
from bot.privacy import Masker, ModelInput, parse_regions
from bot.settings import Settings
from prompts import load_prompt

log = logging.getLogger(__name__)

FALLBACK_NOTE = "(Model unavailable: written from the signals.)"


@dataclass(frozen=True)
class Written:
    text: str  # what the team sees: model text with originals restored, or the deterministic text
    by_model: bool
    model_text_id: int | None = None
    fallback_reason: str | None = None  # set when a configured model was not used for this text
    cached: bool = False


@dataclass(frozen=True)
class Pending:
    """A text to ask the model for: masked, sealed, not in the cache. Holds the request's placeholder map."""

    org_id: int
    account_id: int | None
    purpose: str
    masker: Masker
    sealed: ModelInput
    digest: str
    prompt_id: str
    shape: Shape
    fallback: str
    max_tokens: int


@dataclass(frozen=True)
class Answered:
    pending: Pending
    completion: Completion
    output: str  # masked, checked


def _close_tags(text: str) -> str:
    """Customer text cannot close (or open) the data block it is delimited by."""
    return text.replace("<customer_data>", "‹customer_data›").replace("</customer_data>", "‹/customer_data›")


class Writer:
    """One per run (a digest run, one /account answer): it holds the run's token budget and breaker."""

    def __init__(self, client: ModelClient | None, phone_regions: tuple[str, ...]) -> None:
        self.client = client
        self.phone_regions = phone_regions

    @classmethod
    def from_settings(cls, settings: Settings) -> Writer:
        return cls(ModelClient.from_settings(settings), parse_regions(settings.phone_regions))

    @property
    def model(self) -> str | None:
        return self.client.model if self.client is not None else None

    def finish(self, session: Session, step: Written | Pending) -> Written:
        """call and keep in the caller's session, the model call included (scripts and tests; requests
        close their transaction first, see bot.briefs.complete)."""
        if isinstance(step, Written):
            return step
        answered = self.call(step)
        return answered if isinstance(answered, Written) else self.keep(session, answered)

    def prepare(
        self,
        session: Session,
        *,
        org_id: int,
        account_id: int | None,
        purpose: str,
        prompt_name: str,
        data: str,
        fields: dict[str, str],
        shape: Shape,
        fallback: str,
        max_tokens: int,
    ) -> Written | Pending:
        """Mask and look the text up in the cache: a Written when no call is needed, else what to call.
        Callers with a transaction open close it before `call`: a model call takes seconds."""
        if self.client is None:
            return Written(fallback, by_model=False)
        masker = Masker(phone_regions=self.phone_regions)  # one per text: placeholders restart at 1
        prompt = load_prompt(prompt_name)
        system, user = prompt.render(data=_close_tags(data), **fields)
        sealed = masker.seal(system, user, prompt.id)
        digest = sealed.digest(self.client.model)
        cached = session.scalar(
            select(ModelText).where(
                ModelText.org_id == org_id, ModelText.purpose == purpose, ModelText.input_hash == digest
            )
        )
        if cached is not None:  # unchanged data: zero model calls
            return Written(masker.restore(cached.output), True, cached.id, cached=True)
        return Pending(org_id, account_id, purpose, masker, sealed, digest, prompt.id, shape, fallback, max_tokens)

    def call(self, pending: Pending) -> Written | Answered:
        """The model call and the guard, outside any transaction; a failure gives the marked fallback."""
        assert self.client is not None  # a Pending exists only with a client
        try:
            completion = self.client.complete(pending.sealed, max_tokens=pending.max_tokens)
            output = check(
                completion.text, shape=pending.shape, placeholders=pending.masker.placeholders, data=pending.sealed.user
            )
        except (ModelError, Rejected) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.warning("%s for org %s: deterministic text instead (%s)", pending.purpose, pending.org_id, reason)
            return Written(f"{pending.fallback}\n{FALLBACK_NOTE}", by_model=False, fallback_reason=reason)
        return Answered(pending, completion, output)

    def keep(self, session: Session, answered: Answered) -> Written:
        """Store the masked text (cache and "What did the model see?"), return it restored for the team."""
        p = answered.pending
        row = self._store(
            session, p.org_id, p.account_id, p.purpose, p.digest, p.sealed.text(), answered.output, p.prompt_id,
            answered.completion,
        )  # fmt: skip
        return Written(p.masker.restore(answered.output), True, row.id)

    def _store(
        self,
        session: Session,
        org_id: int,
        account_id: int | None,
        purpose: str,
        digest: str,
        masked_input: str,
        output: str,
        prompt_id: str,
        completion: Completion,
    ) -> ModelText:
        """Masked input and masked output only: the originals never reach storage."""
        row = ModelText(
            org_id=org_id,
            account_id=account_id,
            purpose=purpose,
            input_hash=digest,
            masked_input=masked_input,
            output=output,
            model=completion.model,
            prompt_version=prompt_id,
            tokens=completion.tokens,
        )
        try:
            with session.begin_nested():  # another worker may have written the same text meanwhile
                session.add(row)
        except IntegrityError:
            existing = session.scalar(
                select(ModelText).where(
                    ModelText.org_id == org_id, ModelText.purpose == purpose, ModelText.input_hash == digest
                )
            )
            if existing is None:
                raise
            return existing
        return row


def model_input_for(session: Session, org_id: int, model_text_id: int) -> str:
    """ "What did the model see?": exactly the masked input sent for a text, within the caller's org."""
    row = session.scalar(select(ModelText).where(ModelText.id == model_text_id, ModelText.org_id == org_id))
    if row is None:
        raise LookupError("no such model text")
    return row.masked_input
