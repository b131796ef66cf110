from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.errors import InvalidModelError, ModelNotFoundError
from engine.models import list_models, read_gguf_info, resolve_model
from engine.settings import Settings


def test_reads_smollm2_metadata(smollm2_path: Path) -> None:
    info = read_gguf_info(smollm2_path)
    assert info.architecture == "llama"
    assert info.quantization == "Q4_1"
    assert info.context_length == 8192
    assert 130e6 < info.parameters < 140e6
    assert info.size_label == "135M"
    assert info.bos_token == "<|im_start|>" and info.eos_token == "<|im_end|>"
    assert "<|im_start|>" in (info.chat_template or "")
    assert info.metadata["llama.block_count"] == 30


def test_agrees_with_gguf_reader(smollm2_path: Path) -> None:
    """Our streaming header parser must match the reference reader from the gguf package."""
    import gguf

    ref = gguf.GGUFReader(str(smollm2_path))
    info = read_gguf_info(smollm2_path)
    assert info.tensor_count == len(ref.tensors)
    assert info.parameters == sum(int(t.n_elements) for t in ref.tensors)
    assert info.chat_template == ref.fields["tokenizer.chat_template"].contents()
    assert info.context_length == ref.fields["llama.context_length"].contents()


def test_truncated_file_is_rejected_with_clear_message(smollm2_path: Path, tmp_path: Path) -> None:
    broken = tmp_path / "half.gguf"
    with smollm2_path.open("rb") as src, broken.open("wb") as dst:
        dst.write(src.read(smollm2_path.stat().st_size // 2))
    with pytest.raises(InvalidModelError, match="truncated"):
        read_gguf_info(broken)


def test_truncated_inside_header(smollm2_path: Path, tmp_path: Path) -> None:
    broken = tmp_path / "head.gguf"
    with smollm2_path.open("rb") as src, broken.open("wb") as dst:
        dst.write(src.read(4096))
    with pytest.raises(InvalidModelError, match="not a valid GGUF"):
        read_gguf_info(broken)


def test_non_gguf_renamed(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04" + b"\0" * 4096)  # a zip file renamed
    with pytest.raises(InvalidModelError, match="not a GGUF file"):
        read_gguf_info(fake)


def test_garbage_counts(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + (2**40).to_bytes(8, "little") + (1).to_bytes(8, "little") + b"\0" * 64)
    with pytest.raises(InvalidModelError):
        read_gguf_info(bad)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="not found"):
        read_gguf_info(tmp_path / "nope.gguf")


def test_registry_lists_bundled_and_home_models(settings: Settings, smollm2_path: Path) -> None:
    settings.ensure_dirs()
    shutil.copy(smollm2_path, settings.models_dir / "mine.gguf")
    entries = list_models(settings)
    names = [e.name for e in entries]
    assert names[0] == "smollm2-135m-instruct"
    assert "gemma3-270m" in names
    assert "mine" in names
    assert resolve_model(settings, "mine").source == "home"
    with pytest.raises(ModelNotFoundError, match="Available"):
        resolve_model(settings, "no-such-model")
