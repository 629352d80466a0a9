"""Language-model texts (account briefs, digest openings) behind the privacy gate.

`bot.llm.client` is the only module that imports `openai`, and its client takes only a `ModelInput`, which
only `bot.privacy.Masker.seal` can make: unmasked text cannot reach the model by accident.
"""

from bot.llm.client import BudgetExceeded, Completion, ModelClient, ModelError, model_configured
from bot.llm.guard import BRIEF, OPENING, Rejected, Shape, check
from bot.llm.writer import FALLBACK_NOTE, Writer, Written, model_input_for
from bot.privacy import ModelInput

__all__ = [
    "BRIEF",
    "FALLBACK_NOTE",
    "OPENING",
    "BudgetExceeded",
    "Completion",
    "ModelClient",
    "ModelError",
    "ModelInput",
    "Rejected",
    "Shape",
    "Writer",
    "Written",
    "check",
    "model_configured",
    "model_input_for",
]
