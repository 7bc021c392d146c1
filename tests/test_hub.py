"""ember.hub against torch.hub: the same hubconf folders, caches and URLs through both.

Files are served by a local http.server on 127.0.0.1 (a GitHub stand-in for zips and the API);
nothing here touches the network.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import subprocess
import sys
import threading
import zipfile
from urllib.error import HTTPError, URLError

import pytest

torch = pytest.importorskip("torch")
import torch.hub as thub

import ember
import ember.hub as ehub

HUBCONF = '''"""A test hub repo."""
dependencies = ["numpy"]

import numpy as np
from helper_mod_for_hub import OFFSET


def ramp(n=3, scale=1.0):
    """A ramp of ``n`` values times ``scale``, plus OFFSET.

    Args:
        n: how many values
    """
    return (np.arange(n) * scale + OFFSET).tolist()


def echo(*args, **kwargs):
    """Echo the arguments back."""
    return args, kwargs


def _private():
    return 1


class Maker:
    """A callable class entry point."""

    def __init__(self, k=1):
        self.k = k


CONST = 3
'''


def _write_repo(folder, hubconf=HUBCONF):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "hubconf.py"), "w") as f:
        f.write(hubconf)
    with open(os.path.join(folder, "helper_mod_for_hub.py"), "w") as f:
        f.write("OFFSET = 10\n")
    return str(folder)


def _zip_repo(top="owner-repo-0a1b2c3", hubconf=HUBCONF, extra=()):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"{top}/", "")
        zf.writestr(f"{top}/hubconf.py", hubconf)
        zf.writestr(f"{top}/helper_mod_for_hub.py", "OFFSET = 10\n")
        for name, data in extra:
            zf.writestr(name, data)
    return buf.getvalue()


class _Server:
    """Serves ``routes[path] = (status, body)``; counts requests per path."""

    def __init__(self):
        self.routes, self.hits = {}, {}
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits[self.path] = outer.hits.get(self.path, 0) + 1
                status, body = outer.routes.get(self.path, (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


@pytest.fixture
def hubs(tmp_path, monkeypatch):
    """Separate hub folders for torch and ember (so neither sees the other's downloads)."""
    t, e = tmp_path / "torch_hub", tmp_path / "ember_hub"
    monkeypatch.setattr(thub, "_hub_dir", str(t))
    monkeypatch.setattr(ehub, "_hub_dir", str(e))
    return str(t), str(e)


@pytest.fixture(autouse=True)
def _clean_sys_modules():
    yield
    sys.modules.pop("helper_mod_for_hub", None)


def _both(name, *args, **kwargs):
    """``torch.hub.<name>`` and ``ember.hub.<name>`` on the same arguments: their results, or
    (exception type, message) where one raises."""
    out = []
    for hub in (thub, ehub):
        try:
            out.append(getattr(hub, name)(*args, **kwargs))
        except Exception as exc:  # compared by the caller
            out.append((type(exc), str(exc)))
    return out


# -- local hubconf folders ---------------------------------------------------------------------


def test_local_load_matches_torch(tmp_path):
    repo = _write_repo(tmp_path / "repo")
    for args, kwargs in (((), {}), ((4,), {"scale": 2.5}), ((), {"n": 0})):
        ref, ours = _both("load", repo, "ramp", *args, source="local", **kwargs)
        assert ours == ref
    ref, ours = _both("load", repo, "echo", 1, "a", source="local", k=[2])
    assert ours == ref == ((1, "a"), {"k": [2]})
    assert ehub.load(repo, "Maker", source="local", k=5).k == 5
    assert repo not in sys.path  # the folder is on sys.path only while hubconf runs
    for model in ("nope", "CONST", "_missing", 3):
        ref, ours = _both("load", repo, model, source="local")
        assert ours == ref and isinstance(ref, tuple)
    ref, ours = _both("load", repo, "ramp", source="svn")
    assert ours == ref and ref[0] is ValueError


def test_missing_dependencies_like_torch(tmp_path):
    conf = (
        'dependencies = ["numpy", "surely_not_a_pkg_x", "nor_this_y"]\n\ndef f():\n    return 1\n'
    )
    repo = _write_repo(tmp_path / "deps", conf)
    ref, ours = _both("load", repo, "f", source="local")
    assert ours == ref == (RuntimeError, "Missing dependencies: surely_not_a_pkg_x, nor_this_y")


# -- GitHub repos from the cache ---------------------------------------------------------------


def test_cached_repo_list_help_load_match_torch(hubs, capsys):
    for hub_dir in hubs:
        _write_repo(os.path.join(hub_dir, "owner_repo_main"))
    gh = "owner/repo:main"
    kw = {"trust_repo": "check", "skip_validation": True}  # a cached repo counts as trusted
    ref, ours = _both("list", gh, **kw)
    assert ours == ref == ["Maker", "echo", "ramp"]
    ref, ours = _both("help", gh, "ramp", **kw)
    assert ours == ref and "A ramp of" in ours
    ref, ours = _both("load", gh, "ramp", 3, **kw)
    assert ours == ref == [10.0, 11.0, 12.0]
    err = capsys.readouterr().err
    assert f"Using cache found in {os.path.join(hubs[1], 'owner_repo_main')}" in err
    ehub.load(gh, "ramp", verbose=False, **kw)
    assert "Using cache" not in capsys.readouterr().err
    # branch names with '/' map to '_' in the folder name, as in torch
    for hub_dir in hubs:
        _write_repo(os.path.join(hub_dir, "owner_repo_feature_x"))
    ref, ours = _both("list", "owner/repo:feature/x", **kw)
    assert ours == ref == ["Maker", "echo", "ramp"]


def _serve_repo(server, monkeypatch, ref="main", zip_bytes=None):
    """Host owner/repo's zip; point ember (its URL base) and torch (its link helper) at it."""
    server.routes[f"/owner/repo/zipball/{ref}"] = (200, zip_bytes or _zip_repo())
    monkeypatch.setattr(ehub, "GITHUB", server.url)
    monkeypatch.setattr(ehub, "GITHUB_API", server.url)
    monkeypatch.setattr(
        thub, "_git_archive_link", lambda o, n, r: f"{server.url}/{o}/{n}/zipball/{r}"
    )


def _answers(monkeypatch, *replies):
    it = iter(replies)
    monkeypatch.setattr("builtins.input", lambda prompt="": next(it))


def _trusted(hub_dir):
    path = os.path.join(hub_dir, "trusted_list")
    return open(path).read() if os.path.exists(path) else None


def test_trust_repo_like_torch(hubs, server, monkeypatch):
    _serve_repo(server, monkeypatch)
    gh, kw = "owner/repo:main", {"skip_validation": True}
    for reply, exc in (("n", Exception), ("", Exception), ("maybe", ValueError)):
        _answers(monkeypatch, reply, reply)
        ref, ours = _both("list", gh, **kw)
        assert ours == ref and ref[0] is exc
    assert _trusted(hubs[0]) == _trusted(hubs[1]) == ""  # the list exists, empty
    assert not os.path.exists(os.path.join(hubs[1], "owner_repo_main"))  # nothing downloaded
    _answers(monkeypatch, "yes", "yes")
    ref, ours = _both("list", gh, **kw)
    assert ours == ref == ["Maker", "echo", "ramp"]
    assert _trusted(hubs[0]) == _trusted(hubs[1]) == "owner_repo\n"
    listing = ["owner_repo_main", "trusted_list"]
    assert sorted(os.listdir(hubs[1])) == sorted(os.listdir(hubs[0])) == listing
    # trust_repo=False asks even for a trusted repo; "y" then says so
    _answers(monkeypatch, "y", "y")
    ref, ours = _both("list", gh, trust_repo=False, **kw)
    assert ours == ref
    # trust_repo=True trusts without asking; pytorch-owned repos are trusted without a record
    server.routes["/pytorch/thing/zipball/v1"] = (200, _zip_repo("pytorch-thing-1234"))
    server.routes["/other/lib/zipball/dev"] = (200, _zip_repo("other-lib-99"))
    _answers(monkeypatch)
    for gh2, trust in (("pytorch/thing:v1", "check"), ("other/lib:dev", True)):
        ref, ours = _both("list", gh2, trust_repo=trust, **kw)
        assert ours == ref == ["Maker", "echo", "ramp"]
    assert _trusted(hubs[0]) == _trusted(hubs[1]) == "owner_repo\nother_lib\n"


def test_download_validation_reload_and_zip_slip(hubs, server, monkeypatch, capsys):
    _serve_repo(server, monkeypatch)
    api = "/repos/owner/repo/{}?per_page=100&page={}"
    server.routes[api.format("branches", 1)] = (
        200,
        b'[{"name": "main", "commit": {"sha": "0a1b2c"}}]',
    )
    server.routes[api.format("branches", 2)] = (200, b"[]")
    server.routes[api.format("tags", 1)] = (200, b'[{"name": "v1", "commit": {"sha": "feed01"}}]')
    server.routes[api.format("tags", 2)] = (200, b"[]")
    server.routes["/owner/repo/tree/main/"] = (200, b"ok")
    assert ehub.load("owner/repo", "ramp", 2, trust_repo=True) == [10.0, 11.0]  # ref -> main
    assert server.hits["/owner/repo/zipball/main"] == 1
    assert f'Downloading: "{server.url}/owner/repo/zipball/main"' in capsys.readouterr().out
    ehub.load("owner/repo:main", "ramp", trust_repo=True)  # cached: no download
    assert server.hits["/owner/repo/zipball/main"] == 1
    ehub.load("owner/repo:main", "ramp", trust_repo=True, force_reload=True)
    assert server.hits["/owner/repo/zipball/main"] == 2
    assert sorted(os.listdir(hubs[1])) == ["owner_repo_main", "trusted_list"]  # zip removed
    # a commit of the repo validates through the tags; a fork's ref does not
    server.routes["/owner/repo/zipball/feed01"] = (200, _zip_repo("owner-repo-feed01"))
    assert ehub.list("owner/repo:feed01", trust_repo=True) == ["Maker", "echo", "ramp"]
    with pytest.raises(ValueError, match="Cannot find forkref in https://github.com/owner/repo"):
        ehub.list("owner/repo:forkref", trust_repo=True)
    # no main branch: master
    server.routes.pop("/owner/repo/tree/main/")
    server.routes["/owner/repo/zipball/master"] = (200, _zip_repo("owner-repo-m"))
    assert ehub.list("owner/repo", trust_repo=True, skip_validation=True) == [
        "Maker",
        "echo",
        "ramp",
    ]
    assert os.path.isdir(os.path.join(hubs[1], "owner_repo_master"))
    # a zip that would write outside the hub folder is refused, as torch refuses it
    evil = _zip_repo("evil-repo-1", extra=[("evil-repo-1/../../escaped.txt", "x")])
    server.routes["/evil/repo/zipball/main"] = (200, evil)
    ref, ours = _both("list", "evil/repo:main", trust_repo=True, skip_validation=True)
    assert ref[0] is ValueError and ours[0] is ValueError
    assert not any(p.name == "escaped.txt" for p in hubs_parent(hubs).rglob("*"))


def hubs_parent(hubs):
    from pathlib import Path

    return Path(hubs[0]).parent.parent


def test_offline_without_cache_is_a_clear_error(hubs, monkeypatch):
    monkeypatch.setattr(ehub, "GITHUB", "http://127.0.0.1:9")  # the discard port: refused
    with pytest.raises(RuntimeError, match="no internet connection and the repo could not be"):
        ehub.list("owner/repo", trust_repo=True)
    _write_repo(os.path.join(hubs[1], "owner_repo_master"))
    assert ehub.list("owner/repo", trust_repo=True) == ["Maker", "echo", "ramp"]  # offline: cache


# -- checkpoints from URLs ---------------------------------------------------------------------


def _checkpoint(server, tmp_path, name="net"):
    sd = {"w": torch.randn(3, 2, dtype=torch.float64), "b": torch.arange(3)}
    path = tmp_path / "src.pth"
    torch.save(sd, path)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    server.routes[f"/ckpt/{name}-{digest[:10]}.pth"] = (200, data)
    return sd, f"{server.url}/ckpt/{name}-{digest[:10]}.pth", data


def _same_sd(ours, ref):
    assert list(ours) == list(ref)
    for k in ref:
        assert isinstance(ours[k], ember.Tensor)
        assert torch.equal(torch.from_dlpack(ours[k]), ref[k])


def test_load_state_dict_from_url_matches_torch(server, tmp_path, hubs, capsys):
    sd, url, data = _checkpoint(server, tmp_path)
    ref = thub.load_state_dict_from_url(url, check_hash=True, weights_only=True)
    ours = ehub.load_state_dict_from_url(url, check_hash=True, map_location="cpu")
    _same_sd(ours, ref)
    _same_sd(ours, sd)
    cached = os.path.join(hubs[1], "checkpoints", os.path.basename(url))
    assert open(cached, "rb").read() == data
    assert "Downloading:" in capsys.readouterr().out
    hits = server.hits[url[len(server.url) :]]
    _same_sd(ehub.load_state_dict_from_url(url), sd)  # from the cache: no request
    assert server.hits[url[len(server.url) :]] == hits
    model_dir = tmp_path / "elsewhere"
    _same_sd(ehub.load_state_dict_from_url(url, model_dir=str(model_dir), file_name="x.pt"), sd)
    assert os.listdir(model_dir) == ["x.pt"]


def test_bad_hash_leaves_nothing_like_torch(server, tmp_path, hubs):
    _, url, data = _checkpoint(server, tmp_path)
    bad = url.rsplit("-", 1)[0] + "-deadbeef.pth"
    server.routes[bad[len(server.url) :]] = (200, data)
    ref, ours = _both("load_state_dict_from_url", bad, check_hash=True, progress=False)
    assert ours == ref and ref[0] is RuntimeError and "invalid hash value" in ref[1]
    for hub_dir in hubs:
        assert os.listdir(os.path.join(hub_dir, "checkpoints")) == []
    # without check_hash the name is not checked
    assert ehub.load_state_dict_from_url(bad, progress=False).keys() == {"w", "b"}


def test_weights_only_default_is_safe(server, tmp_path, hubs):
    import datetime
    import pickle

    path = tmp_path / "obj.pth"
    torch.save({"when": datetime.date(2020, 1, 2)}, path)
    server.routes["/ckpt/obj.pth"] = (200, path.read_bytes())
    url = f"{server.url}/ckpt/obj.pth"
    with pytest.raises(pickle.UnpicklingError):
        thub.load_state_dict_from_url(url, weights_only=True, progress=False)
    with pytest.raises(pickle.UnpicklingError):
        ehub.load_state_dict_from_url(url, progress=False)  # ember's default: weights only
    with pytest.warns(UserWarning, match="weights_only=False"):
        got = ehub.load_state_dict_from_url(url, weights_only=False, progress=False)
    assert got == thub.load_state_dict_from_url(url, weights_only=False, progress=False)


def test_download_url_to_file(server, tmp_path, capsys):
    data = os.urandom(300_000)
    server.routes["/blob.bin"] = (200, data)
    url = f"{server.url}/blob.bin"
    digest = hashlib.sha256(data).hexdigest()
    dst = tmp_path / "out.bin"
    ehub.download_url_to_file(url, str(dst), hash_prefix=digest[:8], progress=True)
    assert dst.read_bytes() == data
    err = capsys.readouterr().err
    assert "100.0%" in err and err.endswith("\n")
    ehub.download_url_to_file(url, str(dst), progress=False)
    assert capsys.readouterr().err == ""
    # a failed download (bad hash, HTTP error, no network) keeps the old file and no temp file
    dst.write_bytes(b"old")
    cases = (
        (url, {"hash_prefix": "0000"}, RuntimeError),
        (f"{server.url}/missing", {}, HTTPError),
        ("http://127.0.0.1:9/x", {}, URLError),
    )
    for u, kw, exc in cases:
        ref, ours = _both("download_url_to_file", u, str(dst), progress=False, **kw)
        assert ref[0] is exc and ours[0] is exc
        assert dst.read_bytes() == b"old" and os.listdir(tmp_path) == ["out.bin"]
    with pytest.raises(URLError, match="network may be unreachable"):
        ehub.download_url_to_file("http://127.0.0.1:9/x", str(dst))


def test_get_dir_set_dir_and_env(monkeypatch, tmp_path):
    monkeypatch.setattr(ehub, "_hub_dir", None)
    monkeypatch.setattr(thub, "_hub_dir", None)
    monkeypatch.delenv("EMBER_HOME", raising=False)
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert ehub.get_dir() == str(tmp_path / "xdg" / "ember" / "hub")
    assert thub.get_dir() == str(tmp_path / "xdg" / "torch" / "hub")  # the same layout
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "eh"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert ehub.get_dir() == str(tmp_path / "eh" / "hub")  # TORCH_HOME is not read
    assert thub.get_dir() == str(tmp_path / "th" / "hub")
    ehub.set_dir(tmp_path / "custom")
    thub.set_dir(tmp_path / "custom")
    assert ehub.get_dir() == thub.get_dir() == str(tmp_path / "custom")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    ehub.set_dir("~/h")
    thub.set_dir("~/h")
    assert ehub.get_dir() == thub.get_dir() == str(tmp_path / "home" / "h")
    assert ember.hub is ehub and sorted(ehub.__all__) == sorted(thub.__all__)


def test_import_ember_does_not_import_urllib_request():
    code = "import sys, ember; sys.exit('urllib.request' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
