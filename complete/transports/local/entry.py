"""The embedded model's entry in the table of backends: "local".

A GGUF run in this process: ``model=`` is a path or a Hugging Face Hub name such as
``"user/repo:Q4_K_M"``, by default the embedded SmolLM2, which needs no account and
no network; a wrong path's advice names the argument as the writer typed it. When
no backend is named and no other offers itself, this one is used. Nothing heavy
(``xllamacpp``) is imported until it is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from complete.errors import StoryFormatError
from complete.transports import saved_fields as fields
from complete.transports.entry import Backend, Choice, Keywords

if TYPE_CHECKING:
    from complete.transports.local.engine import LocalModel

__all__ = ["EMBEDDED_MODEL", "LOCAL", "MAX_N_CTX"]

EMBEDDED_MODEL = "SmolLM2-135M-Instruct"
"""What the local backend runs when it is given no model path."""

MAX_N_CTX = 1 << 20
"""The largest window a saved local model may ask for, in tokens (a million)."""


def _n_ctx(place: str, value: object) -> object:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 16 <= value <= MAX_N_CTX):
        raise StoryFormatError(
            f"{place}: expected an integer from 16 to {MAX_N_CTX} or null, found {fields.kind(value)}"
        )
    return value


def _model(keywords: Keywords) -> tuple[LocalModel, str]:
    """The model, and how the backend line names it."""
    from complete.transports.local.engine import LocalModel
    from complete.transports.local.hub import label

    local = LocalModel(path=keywords.model, argument=keywords.model_argument)
    return local, label(local.path, local.file)


def _build(keywords: Keywords) -> Choice:
    local, name = _model(keywords)
    return Choice(local, f"complete: using the local model {name} (backend='local').")


def _offer(keywords: Keywords) -> Choice:
    local, name = _model(keywords)
    return Choice(
        local,
        f"complete: using the embedded local model {name} (no Hugging Face token found; "
        "with one in .hf_token or HF_TOKEN, hosted models are used through Inference Providers).",
    )


def _rebuild(settings: dict[str, Any], token: str | None) -> Choice:
    from complete.transports.local.engine import LocalModel

    local = LocalModel(**settings)
    model = f"the local model {Path(local.path).name}" if local.path else "the embedded model"
    return Choice(local, f"complete: the saved session's backend is {model}.")


def _label(description: Mapping[str, Any]) -> str:
    """``local`` and the model file's name (the embedded model's, without a path)."""
    path = description.get("path")
    return f"local {Path(str(path)).name if path else EMBEDDED_MODEL}"


LOCAL = Backend(
    name="local",
    takes={"model"},
    build=_build,
    saved={"path": fields.optional_text, "n_ctx": _n_ctx, "allow_eos": fields.flag},
    rebuild=_rebuild,
    label=_label,
    offer=_offer,
)
