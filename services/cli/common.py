"""What every cfamon command shares: settings loading and one-line failures."""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

import typer
from pydantic_settings import BaseSettings
from rich.console import Console

from shared.settings import SettingsError, load_settings

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

S = TypeVar("S", bound=BaseSettings)


def fail(message: str, code: int = 1) -> NoReturn:
    """One clear line on stderr, non-zero exit."""
    err.print(f"cfamon: {message}", markup=False)
    raise typer.Exit(code)


def settings_or_exit(cls: type[S], **overrides: Any) -> S:
    try:
        return load_settings(cls, **overrides)
    except SettingsError as error:
        fail(str(error), code=2)


def short_error(error: BaseException) -> str:
    """An exception in one short line (PyMongo's messages run to pages)."""
    text = str(error).split(" (configured timeouts")[0][:200]
    name = type(error).__name__
    return text if text.startswith(name) else f"{name}: {text}"
