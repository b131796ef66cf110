"""Read and validate GGUF metadata before llama.cpp ever opens the file.

The header is parsed with a streaming reader that uses the ``gguf`` package's type tables but skips
large arrays (the vocabulary) instead of materialising them: ``gguf.GGUFReader`` takes ~6 s on the
135M SmolLM2 file here because it builds a view per token, this takes milliseconds. Every tensor's
data range is checked against the file size, so a truncated download is caught here, with a clear
message, rather than inside native code.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from engine.errors import InvalidModelError, ModelNotFoundError

GGUF_MAGIC = b"GGUF"
_MAX_STRING = 64 * 1024 * 1024  # a chat template or a token is never this long
_MAX_COUNT = 50_000_000
# GGUF value types (gguf.GGUFValueType); scalar struct formats, little-endian.
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
#: arrays kept whole when they are at most this long; longer ones keep only their length
_KEEP_ARRAY = 64


@dataclass(frozen=True)
class GGUFInfo:
    """What a user and the engine need to know about one GGUF file."""

    path: Path
    size_bytes: int
    version: int
    architecture: str
    name: str
    parameters: int
    quantization: str
    context_length: int
    chat_template: str | None
    bos_token: str | None
    eos_token: str | None
    tensor_count: int
    file_type: str  # "model" or "adapter"
    metadata: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def size_label(self) -> str:
        """Human parameter count, e.g. ``135M``."""
        n = self.parameters
        return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{n / 1e6:.0f}M"

    def summary(self) -> dict[str, Any]:
        """JSON-able summary (no vocabulary, template shortened)."""
        return {
            "path": str(self.path),
            "name": self.name,
            "architecture": self.architecture,
            "parameters": self.parameters,
            "size_label": self.size_label,
            "quantization": self.quantization,
            "context_length": self.context_length,
            "size_bytes": self.size_bytes,
            "gguf_version": self.version,
            "tensors": self.tensor_count,
            "type": self.file_type,
            "has_chat_template": bool(self.chat_template),
        }


class _Reader:
    def __init__(self, fh: BinaryIO, path: Path, size: int) -> None:
        self.fh, self.path, self.size = fh, path, size

    def fail(self, what: str) -> InvalidModelError:
        return InvalidModelError(
            f"{self.path} is not a valid GGUF model ({what}). The file may be truncated or corrupt: "
            "download it again or pick another model."
        )

    def read(self, n: int) -> bytes:
        data = self.fh.read(n)
        if len(data) != n:
            raise self.fail("unexpected end of file in the header")
        return data

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        n = self.unpack("<Q")
        if n > _MAX_STRING or self.fh.tell() + n > self.size:
            raise self.fail("string length out of range")
        return self.read(n).decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        n = self.unpack("<Q")
        if n > _MAX_STRING or self.fh.tell() + n > self.size:
            raise self.fail("string length out of range")
        self.fh.seek(n, os.SEEK_CUR)

    def value(self, vtype: int, want_index: set[int] | None = None) -> Any:
        if vtype in _SCALARS:
            return self.unpack(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            itype, count = self.unpack("<I"), self.unpack("<Q")
            if count > _MAX_COUNT:
                raise self.fail("array length out of range")
            if count <= _KEEP_ARRAY:
                return [self.value(itype) for _ in range(count)]
            return self._skip_array(itype, count, want_index or set())
        raise self.fail(f"unknown value type {vtype}")

    def _skip_array(self, itype: int, count: int, want: set[int]) -> _LongArray:
        picked: dict[int, Any] = {}
        if itype in _SCALARS:
            width = struct.calcsize(_SCALARS[itype])
            if self.fh.tell() + width * count > self.size:
                raise self.fail("array runs past the end of the file")
            self.fh.seek(width * count, os.SEEK_CUR)
        elif itype == _STRING:
            for i in range(count):
                if i in want:
                    picked[i] = self.string()
                else:
                    self.skip_string()
        else:
            for _ in range(count):
                self.value(itype)
        return _LongArray(count, picked)


@dataclass(frozen=True)
class _LongArray:
    """A long metadata array (e.g. the vocabulary): its length and the few items we asked for."""

    count: int
    picked: dict[int, Any]


def _quant_name(file_type: int | None, tensor_types: list[int]) -> str:
    import gguf

    if file_type is not None:
        try:
            return gguf.LlamaFileType(file_type).name.removeprefix("MOSTLY_")
        except ValueError:
            pass
    if tensor_types:  # most common tensor type
        common = max(set(tensor_types), key=tensor_types.count)
        try:
            return gguf.GGMLQuantizationType(common).name
        except ValueError:
            return f"type{common}"
    return "unknown"


def _parse(r: _Reader) -> tuple[int, dict[str, Any], list[tuple[str, list[int], int, int]], int]:
    if r.size < 24:
        raise r.fail("file too small")
    if r.read(4) != GGUF_MAGIC:
        raise InvalidModelError(
            f"{r.path} is not a GGUF file (it does not start with the GGUF magic bytes). "
            "Lampwright runs GGUF models: convert the model with llama.cpp's convert_hf_to_gguf.py "
            "or download a .gguf build of it."
        )
    version = r.unpack("<I")
    if version not in (2, 3):
        raise r.fail(f"unsupported GGUF version {version}; supported: 2 and 3")
    n_tensors, n_kv = r.unpack("<Q"), r.unpack("<Q")
    if n_tensors > 1_000_000 or n_kv > 1_000_000:
        raise r.fail("implausible tensor or key count")
    meta: dict[str, Any] = {}
    tokens_at = -1
    for _ in range(n_kv):
        key = r.string()
        vtype = r.unpack("<I")
        if key == "tokenizer.ggml.tokens":
            tokens_at = r.fh.tell()
        meta[key] = r.value(vtype)
    tokens = meta.get("tokenizer.ggml.tokens")
    if tokens_at >= 0 and isinstance(tokens, _LongArray):
        # special-token ids may come after the vocabulary: go back for just those strings
        wanted = {v for k, v in meta.items() if k.endswith("_token_id") and isinstance(v, int)}
        end = r.fh.tell()
        r.fh.seek(tokens_at)
        meta["tokenizer.ggml.tokens"] = r.value(_ARRAY, wanted)
        r.fh.seek(end)
    tensors = []
    for _ in range(n_tensors):
        name = r.string()
        n_dims = r.unpack("<I")
        if n_dims > 8:
            raise r.fail(f"tensor {name} has {n_dims} dimensions")
        dims = [r.unpack("<Q") for _ in range(n_dims)]
        ttype, offset = r.unpack("<I"), r.unpack("<Q")
        tensors.append((name, dims, ttype, offset))
    align = int(meta.get("general.alignment", 32) or 32)
    data_start = (r.fh.tell() + align - 1) // align * align
    return version, meta, tensors, data_start


def read_gguf_info(path: str | os.PathLike[str]) -> GGUFInfo:
    """Parse and validate a GGUF file's header; raise a clear error when it is unusable."""
    import gguf

    p = Path(path).expanduser()
    if not p.exists():
        raise ModelNotFoundError(f"Model file not found: {p}. Check the path, or run `lampwright models list`.")
    if p.is_dir():
        raise InvalidModelError(f"{p} is a folder; point at a .gguf file inside it.")
    size = p.stat().st_size
    try:
        with p.open("rb") as fh:
            r = _Reader(fh, p, size)
            version, meta, tensors, data_start = _parse(r)
    except (struct.error, UnicodeDecodeError, OverflowError) as exc:
        raise InvalidModelError(f"{p} has a malformed GGUF header ({exc}); download it again.") from exc
    except OSError as exc:
        raise InvalidModelError(f"Cannot read {p}: {exc}") from exc

    n_params = 0
    for name, dims, ttype, offset in tensors:
        try:
            block, type_size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(ttype)]
        except (ValueError, KeyError) as exc:
            raise InvalidModelError(f"{p}: tensor {name} has an unknown type {ttype}; the file is corrupt "
                                    "or needs a newer Lampwright.") from exc
        n = 1
        for d in dims:
            n *= d
        n_params += n
        end = data_start + offset + n // block * type_size
        if end > size:
            missing = end - size
            raise InvalidModelError(
                f"{p} is truncated: tensor {name} needs {missing:,} more bytes than the file has "
                f"({size:,} bytes on disk). The download was probably interrupted: download it again."
            )

    arch = str(meta.get("general.architecture", "unknown"))
    tokens = meta.get("tokenizer.ggml.tokens")

    def token(key: str) -> str | None:
        tid = meta.get(key)
        if isinstance(tokens, _LongArray) and isinstance(tid, int):
            return tokens.picked.get(tid)
        if isinstance(tokens, list) and isinstance(tid, int) and tid < len(tokens):
            return tokens[tid]
        return None

    clean = {k: (f"<array of {v.count}>" if isinstance(v, _LongArray) else v) for k, v in meta.items()}
    template = meta.get("tokenizer.chat_template")
    return GGUFInfo(
        path=p,
        size_bytes=size,
        version=version,
        architecture=arch,
        name=str(meta.get("general.name") or p.stem),
        parameters=n_params,
        quantization=_quant_name(meta.get("general.file_type"), [t[2] for t in tensors]),
        context_length=int(meta.get(f"{arch}.context_length", 0) or 0),
        chat_template=template if isinstance(template, str) else None,
        bos_token=token("tokenizer.ggml.bos_token_id"),
        eos_token=token("tokenizer.ggml.eos_token_id"),
        tensor_count=len(tensors),
        file_type=str(meta.get("general.type", "model")),
        metadata=clean,
    )
