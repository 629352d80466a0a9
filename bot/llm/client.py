"""The model client: the only module that imports `openai`, and it accepts nothing but a masked `ModelInput`.

Retries with backoff and the timeout are the official client's own (max_retries, timeout). On top: a
per-run token budget, a last check that no email slipped through, and a breaker: once the model failed
in a run (after its retries), the rest of the run does not wait for it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.privacy.masker import ModelInput
from bot.settings import Settings

# Cheap last line of defence: the masker should have caught any address; this refuses to send one.
_EMAIL_LEFT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
if TYPE_CHECKING:
    import openai

CHARS_PER_TOKEN = 4  # rough estimate, only to stay under the budget before the server tells the truth


def model_configured(settings: Settings) -> bool:
    """OPENAI_API_KEY set: model-written texts are tried (and fall back to the deterministic ones)."""
    return settings.openai_api_key is not None and bool(settings.openai_api_key.get_secret_value())


class ModelError(Exception):
    """The model could not be used for this text: the caller falls back to the deterministic one."""


class BudgetExceeded(ModelError):
    pass


@dataclass(frozen=True)
class Completion:
    text: str  # masked, as the model wrote it
    tokens: int
    model: str


class ModelClient:
    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout: float = 20.0,
        max_retries: int = 2,
        run_token_budget: int = 200_000,
    ) -> None:
        self.model = model
        self.run_token_budget = run_token_budget
        self.tokens_used = 0
        self.calls = 0
        self.broken: str | None = None  # why the model is skipped for the rest of the run
        import openai  # here, not at module import: it costs ~1 s, and most commands never call a model

        self._client: openai.OpenAI = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelClient | None:
        """None without OPENAI_API_KEY: Tandem then writes every text from the signals."""
        if settings.openai_api_key is None or not model_configured(settings):
            return None
        return cls(
            api_key=settings.openai_api_key.get_secret_value(),
            model=settings.llm_model,
            base_url=settings.openai_base_url or None,
            timeout=settings.llm_timeout,
            max_retries=max(settings.llm_max_retries, 0),
            run_token_budget=settings.llm_run_token_budget,
        )

    def complete(self, prompt: ModelInput, max_tokens: int) -> Completion:
        if not isinstance(prompt, ModelInput):  # a str, a dict of messages...: unmasked by construction
            raise TypeError(f"the model client only takes a masked ModelInput, not {type(prompt).__name__}")
        if self.broken is not None:
            raise ModelError(self.broken)
        estimate = (len(prompt.system) + len(prompt.user)) // CHARS_PER_TOKEN + max_tokens
        if self.tokens_used + estimate > self.run_token_budget:
            raise BudgetExceeded(f"token budget of this run spent ({self.tokens_used}/{self.run_token_budget})")
        if _EMAIL_LEFT.search(prompt.system) or _EMAIL_LEFT.search(prompt.user):
            raise ModelError("refused: an email address is left in the input")
        self.calls += 1
        import openai  # already loaded by __init__: a dictionary lookup

        try:
            response = self._client.chat.completions.create(
                model=self.model,
                messages=[{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}],
                max_tokens=max_tokens,
                temperature=0.2,
            )
            usage = response.usage
            tokens = usage.total_tokens if usage is not None else estimate
            text = response.choices[0].message.content or ""
            model = response.model or self.model
        except openai.OpenAIError as exc:
            self.broken = f"model unavailable: {type(exc).__name__}"
            raise ModelError(self.broken) from exc
        except (AttributeError, IndexError, TypeError, ValueError) as exc:  # a "compatible" server's odd reply
            raise ModelError(f"unreadable model response: {type(exc).__name__}") from exc
        self.tokens_used += tokens
        return Completion(text, tokens, model)

    def close(self) -> None:
        self._client.close()
