from pathlib import Path

import pytest

from engine.errors import ConfigError
from engine.settings import Settings


def test_defaults_and_roundtrip(lampwright_home: Path) -> None:
    s = Settings.load()
    assert s.home == lampwright_home
    assert s.model == "smollm2-135m-instruct"
    s.updated(n_ctx=1024, model_dirs=("/x",)).save()
    again = Settings.load()
    assert again.n_ctx == 1024 and again.model_dirs == ("/x",)


def test_invalid_values_are_clear(lampwright_home: Path) -> None:
    with pytest.raises(ConfigError, match="backend"):
        Settings(backend="gpt-cloud")
    with pytest.raises(ConfigError, match="backend_url"):
        Settings(backend="openai")
    lampwright_home.mkdir(parents=True)
    (lampwright_home / "settings.json").write_text("{broken")
    with pytest.raises(ConfigError, match="delete the file"):
        Settings.load()
