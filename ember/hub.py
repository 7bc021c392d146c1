"""ember.hub: models from GitHub repos (or local folders) with a ``hubconf.py``, and checkpoints
from URLs, as ``torch.hub`` does.

``load("owner/repo:ref", "entry", ...)`` downloads the repo's zip once into
``get_dir()/owner_repo_ref`` (torch's layout), imports its ``hubconf.py``, checks its
``dependencies`` and calls ``entry``. Running a repo's code is trusted explicitly
(``trust_repo``): trusted repos are listed in ``get_dir()/trusted_list``.
``load_state_dict_from_url`` downloads a checkpoint once into ``get_dir()/checkpoints`` and
reads it with ``ember.load``.

The cache lives in ``$EMBER_HOME/hub`` (``EMBER_HOME`` defaults to ``$XDG_CACHE_HOME/ember``,
that is ``~/.cache/ember``), or wherever ``set_dir`` says. ``TORCH_HOME`` is deliberately not
read: torch's cache holds hubconf files written for torch, and its ``trusted_list`` records
trust given to torch, which ember should not inherit silently. Point ``set_dir`` (or
``EMBER_HOME``) at torch's folders to share them on purpose. Unlike torch,
``load_state_dict_from_url`` reads with ``weights_only=True`` unless told otherwise (ember is
safe by default). ``urllib.request`` is imported only when something is downloaded.

>>> sd = ember.hub.load_state_dict_from_url("https://example.com/resnet18-f37072fd.pth",
...                                         check_hash=True)
>>> model = ember.hub.load("owner/repo:main", "tiny_net", trust_repo=True)
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import warnings

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load",
           "load_state_dict_from_url", "set_dir"]  # fmt: skip

_list = list  # `list` is one of this module's functions, as in torch.hub

# Where repos come from; tests point these at a local server.
GITHUB = "https://github.com"
GITHUB_API = "https://api.github.com"

HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
_TRUSTED_REPO_OWNERS = ("facebookresearch", "facebookincubator", "pytorch", "fairinternal")
ENV_GITHUB_TOKEN = "GITHUB_TOKEN"
ENV_EMBER_HOME = "EMBER_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
VAR_DEPENDENCY = "dependencies"
MODULE_HUBCONF = "hubconf.py"
READ_DATA_CHUNK = 128 * 1024

_hub_dir: str | None = None


# -- folders -----------------------------------------------------------------------------------


def _get_ember_home() -> str:
    default = os.path.join(os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR), "ember")
    return os.path.expanduser(os.getenv(ENV_EMBER_HOME, default))


def get_dir() -> str:
    """The hub cache folder: what ``set_dir`` set, else ``$EMBER_HOME/hub``.

    >>> ember.hub.get_dir()
    '/home/me/.cache/ember/hub'
    """
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_ember_home(), "hub")


def set_dir(d: str | os.PathLike) -> None:
    """Use ``d`` as the hub cache folder (repos, ``checkpoints/``, ``trusted_list``).

    >>> ember.hub.set_dir("/tmp/hub")
    """
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


# -- downloading -------------------------------------------------------------------------------


class _Progress:
    """A one-line progress report on stderr (percent when the size is known, else bytes)."""

    def __init__(self, total, enabled: bool):
        self.total, self.enabled, self.n = total, enabled, 0

    def update(self, n: int) -> None:
        if not self.enabled:
            return
        self.n += n
        if self.total:
            sys.stderr.write(f"\r{100 * self.n / self.total:.1f}% of {self.total} bytes")
        else:
            sys.stderr.write(f"\r{self.n} bytes")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _urlopen(url, headers=None):
    """``urlopen`` with a clearer error when the network (not the server) fails."""
    from urllib.error import HTTPError, URLError
    from urllib.request import Request, urlopen

    try:
        return urlopen(Request(url, headers={"User-Agent": "ember.hub", **(headers or {})}))
    except HTTPError:
        raise
    except URLError as e:
        raise URLError(
            f"could not reach {url} ({e.reason}). The network may be unreachable: connect, or "
            f"put the files in the cache folder ({get_dir()}) to work offline"
        ) from e


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None,
                         progress: bool = True) -> None:  # fmt: skip
    """Download ``url`` to ``dst``. The bytes go to a temporary file beside ``dst`` that
    replaces it only once complete (and, with ``hash_prefix``, once its SHA-256 starts with
    it); ``progress`` reports on stderr.

    >>> ember.hub.download_url_to_file("https://example.com/w.pth", "/tmp/w.pth")
    """
    import hashlib

    from ._atomic import atomic_write

    dst = os.path.expanduser(os.fspath(dst))
    sha256 = hashlib.sha256() if hash_prefix is not None else None
    with _urlopen(url) as u, atomic_write(dst) as f:
        length = u.headers.get("Content-Length")
        bar = _Progress(int(length) if length else None, progress)
        try:
            while chunk := u.read(READ_DATA_CHUNK):
                f.write(chunk)
                if sha256 is not None:
                    sha256.update(chunk)
                bar.update(len(chunk))
        finally:
            bar.close()
        if sha256 is not None:
            digest = sha256.hexdigest()
            if digest[: len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{digest}")')


# -- repos -------------------------------------------------------------------------------------


def _read_url(url: str, headers=None) -> str:
    with _urlopen(url, headers) as r:
        return r.read().decode(r.headers.get_content_charset("utf-8"))


def _parse_repo_info(github: str) -> tuple:
    """``owner/name[:ref]`` -> (owner, name, ref); no ref means ``main`` if it exists, else
    ``master`` (or whichever of the two is cached, when offline)."""
    from urllib.error import HTTPError, URLError

    repo_info, _, ref = github.partition(":")
    owner, name = repo_info.split("/")
    if ref:
        return owner, name, ref
    try:
        with _urlopen(f"{GITHUB}/{owner}/{name}/tree/main/"):
            return owner, name, "main"
    except HTTPError as e:
        if e.code == 404:
            return owner, name, "master"
        raise
    except URLError as e:
        for ref in ("main", "master"):
            if os.path.exists(os.path.join(get_dir(), f"{owner}_{name}_{ref}")):
                return owner, name, ref
        raise RuntimeError(
            "It looks like there is no internet connection and the repo could not be found in "
            f"the cache ({get_dir()})"
        ) from e


def _validate_not_a_forked_repo(owner: str, name: str, ref: str) -> None:
    """Check that ``ref`` is a branch, tag or commit of the repo itself, not of a fork (a fork's
    commit is reachable through the parent's URL)."""
    import json
    from urllib.error import HTTPError

    headers = {"Accept": "application/vnd.github.v3+json"}
    token = os.environ.get(ENV_GITHUB_TOKEN)
    if token is not None:
        headers["Authorization"] = f"token {token}"
    for prefix in (f"{GITHUB_API}/repos/{owner}/{name}/branches",
                   f"{GITHUB_API}/repos/{owner}/{name}/tags"):  # fmt: skip
        page = 0
        while True:
            page += 1
            url = f"{prefix}?per_page=100&page={page}"
            try:
                response = json.loads(_read_url(url, headers))
            except HTTPError:  # retry without a token that may lack permissions
                headers.pop("Authorization", None)
                response = json.loads(_read_url(url, headers))
            if not response:
                break
            for br in response:
                if br["name"] == ref or br["commit"]["sha"].startswith(ref):
                    return
    raise ValueError(
        f"Cannot find {ref} in https://github.com/{owner}/{name}. If it's a commit from a forked "
        "repo, please call hub.load() with forked repo directly."
    )


def _check_repo_is_trusted(owner: str, name: str, owner_name_branch: str, trust_repo) -> None:
    """torch's trust rules: a repo is trusted when listed in ``trusted_list``, already cached,
    or owned by pytorch/facebook; otherwise ``trust_repo=True`` adds it to the list and
    ``"check"``/``False`` ask on stdin."""
    hub_dir = get_dir()
    path = os.path.join(hub_dir, "trusted_list")
    if not os.path.exists(path):
        open(path, "a").close()
    with open(path) as f:
        trusted = tuple(line.strip() for line in f)
    cached = next(os.walk(hub_dir))[1]  # a repo downloaded before the list existed is trusted
    owner_name = f"{owner}_{name}"
    is_trusted = owner_name in trusted or owner_name_branch in cached
    is_trusted = is_trusted or owner in _TRUSTED_REPO_OWNERS
    if trust_repo is False or (trust_repo == "check" and not is_trusted):
        response = input(
            f"The repository {owner_name} does not belong to the list of trusted repositories "
            "and as such cannot be downloaded. Do you trust this repository and wish to add it "
            "to the trusted list of repositories (y/N)?"
        )
        if response.lower() in ("y", "yes"):
            if is_trusted:
                print("The repository is already trusted.")
        elif response.lower() in ("n", "no", ""):
            raise Exception("Untrusted repository.")  # torch raises this bare Exception
        else:
            raise ValueError(f"Unrecognized response {response}.")
    if not is_trusted:
        with open(path, "a") as f:
            f.write(owner_name + "\n")


def _safe_extract_zip(zf, extract_to: str) -> None:
    """Extract ``zf`` under ``extract_to``, refusing entries that would land outside it."""
    from pathlib import Path

    root = Path(extract_to).resolve(strict=False)
    for member in zf.infolist():
        filename = os.path.normpath(member.filename)
        drive = len(filename) >= 2 and filename[1] == ":" and filename[0].isalpha()
        if filename.startswith(("/", "\\")) or drive:
            raise ValueError(f"Archive entry has absolute path: {member.filename}")
        if ".." in re.split(r"[/\\]", filename):
            raise ValueError(f"Archive entry contains directory traversal: {member.filename}")
        if not (root / filename).resolve(strict=False).is_relative_to(root):
            raise ValueError(f"Archive entry escapes target directory: {member.filename}")
        zf.extract(member, root)


def _remove_if_exists(path: str) -> None:
    import shutil

    if os.path.isfile(path) or os.path.islink(path):
        os.remove(path)
    elif os.path.exists(path):
        shutil.rmtree(path)


def _get_cache_or_reload(github, force_reload, trust_repo, verbose=True, skip_validation=False):
    """The folder holding the repo's code: the cached copy, or a fresh download of its zip."""
    import shutil
    import zipfile

    hub_dir = get_dir()
    os.makedirs(hub_dir, exist_ok=True)
    owner, name, ref = _parse_repo_info(github)
    normalized_br = ref.replace("/", "_")  # branch names may contain '/'
    owner_name_branch = "_".join([owner, name, normalized_br])
    repo_dir = os.path.join(hub_dir, owner_name_branch)
    _check_repo_is_trusted(owner, name, owner_name_branch, trust_repo)
    if not force_reload and os.path.exists(repo_dir):
        if verbose:
            sys.stderr.write(f"Using cache found in {repo_dir}\n")
        return repo_dir
    if not skip_validation:
        _validate_not_a_forked_repo(owner, name, ref)
    cached_file = os.path.join(hub_dir, normalized_br + ".zip")
    _remove_if_exists(cached_file)
    url = f"{GITHUB}/{owner}/{name}/zipball/{ref}"
    sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
    from urllib.error import HTTPError

    try:
        download_url_to_file(url, cached_file, progress=False)
    except HTTPError as err:
        if err.code != 300:
            raise
        warnings.warn(
            f"The ref {ref} is ambiguous. Perhaps it is both a tag and a branch in the repo? "
            "ember.hub will now assume that it's a branch. You can disambiguate tags and "
            "branches by explicitly passing refs/heads/branch_name or refs/tags/tag_name as the "
            "ref. That might require using skip_validation=True.",
            stacklevel=3,
        )
        url = f"{GITHUB}/{owner}/{name}/zipball/refs/heads/{ref}"
        download_url_to_file(url, cached_file, progress=False)
    with zipfile.ZipFile(cached_file) as zf:
        extracted = os.path.join(hub_dir, zf.infolist()[0].filename)  # GitHub's top folder
        _remove_if_exists(extracted)
        _safe_extract_zip(zf, hub_dir)
    _remove_if_exists(cached_file)
    _remove_if_exists(repo_dir)
    shutil.move(extracted, repo_dir)
    return repo_dir


@contextlib.contextmanager
def _add_to_sys_path(path: str):
    sys.path.insert(0, path)
    try:
        yield
    finally:
        sys.path.remove(path)


def _import_hubconf(repo_dir: str):
    import importlib.util

    path = os.path.join(repo_dir, MODULE_HUBCONF)
    spec = importlib.util.spec_from_file_location(MODULE_HUBCONF, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check_dependencies(module) -> None:
    import importlib.util

    deps = getattr(module, VAR_DEPENDENCY, None) if VAR_DEPENDENCY in dir(module) else None
    if deps is not None:
        missing = [pkg for pkg in deps if importlib.util.find_spec(pkg) is None]
        if missing:
            raise RuntimeError(f"Missing dependencies: {', '.join(missing)}")


def _load_entry_from_hubconf(module, model):
    if not isinstance(model, str):
        raise ValueError("Invalid input: model should be a string of function name")
    _check_dependencies(module)
    func = getattr(module, model, None) if model in dir(module) else None
    if func is None or not callable(func):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return func


# -- the public entry points -------------------------------------------------------------------


def list(github: str, force_reload: bool = False, skip_validation: bool = False,  # noqa: A001
         trust_repo="check", verbose: bool = True) -> _list:  # fmt: skip
    """The entry points (public callables) of the repo's ``hubconf.py``.

    >>> ember.hub.list("owner/repo:main", trust_repo=True)
    ['tiny_net']
    """
    repo_dir = _get_cache_or_reload(github, force_reload, trust_repo, verbose, skip_validation)
    with _add_to_sys_path(repo_dir):
        module = _import_hubconf(repo_dir)
    return [f for f in dir(module) if callable(getattr(module, f)) and not f.startswith("_")]


def help(github: str, model: str, force_reload: bool = False,  # noqa: A001
         skip_validation: bool = False, trust_repo="check"):  # fmt: skip
    """The docstring of entry point ``model`` of the repo's ``hubconf.py``.

    >>> print(ember.hub.help("owner/repo:main", "tiny_net", trust_repo=True))
    """
    repo_dir = _get_cache_or_reload(github, force_reload, trust_repo, True, skip_validation)
    with _add_to_sys_path(repo_dir):
        module = _import_hubconf(repo_dir)
    return _load_entry_from_hubconf(module, model).__doc__


def load(repo_or_dir: str, model: str, *args, source: str = "github", trust_repo="check",
         force_reload: bool = False, verbose: bool = True, skip_validation: bool = False,
         **kwargs):  # fmt: skip
    """Call entry point ``model`` of a repo's ``hubconf.py`` with ``*args, **kwargs``.
    ``source="github"``: ``repo_or_dir`` is ``owner/name[:ref]`` (downloaded once, cached);
    ``source="local"``: a folder holding ``hubconf.py``.

    >>> net = ember.hub.load("./my_repo", "tiny_net", source="local", width=8)
    """
    source = source.lower()
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    if source == "github":
        repo_or_dir = _get_cache_or_reload(repo_or_dir, force_reload, trust_repo, verbose,
                                           skip_validation)  # fmt: skip
    with _add_to_sys_path(repo_or_dir):
        module = _import_hubconf(repo_or_dir)
        entry = _load_entry_from_hubconf(module, model)
        return entry(*args, **kwargs)


def _is_legacy_zip_format(filename: str) -> bool:
    import zipfile

    if zipfile.is_zipfile(filename):
        with zipfile.ZipFile(filename) as zf:
            infos = zf.infolist()
        return len(infos) == 1 and not infos[0].is_dir()
    return False


def load_state_dict_from_url(
    url: str,
    model_dir: str | None = None,
    map_location=None,
    progress: bool = True,
    check_hash: bool = False,
    file_name: str | None = None,
    weights_only: bool | None = None,
):
    """The object saved at ``url`` (a state dict, usually), downloaded once into ``model_dir``
    (default ``get_dir()/checkpoints``) and read with ``ember.load``. With ``check_hash`` the
    file name must look like ``name-<sha256 prefix>.ext`` and the download must match it.
    ``weights_only`` defaults to ``ember.load``'s default (True).

    >>> sd = ember.hub.load_state_dict_from_url("https://example.com/net-1a2b3c4d.pth",
    ...                                         check_hash=True, map_location="cpu")
    """
    from urllib.parse import urlparse

    from .serialization import load as ember_load

    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        match = HASH_REGEX.search(filename) if check_hash else None
        download_url_to_file(url, cached_file, match.group(1) if match else None, progress)
    if _is_legacy_zip_format(cached_file):  # a zip holding one file saved by torch < 1.6
        import zipfile

        warnings.warn(
            "Falling back to the old format < 1.6. This support will be deprecated in favor of "
            "default zipfile format introduced in 1.6. Please redo torch.save() to save it in "
            "the new zipfile format.",
            FutureWarning,
            stacklevel=2,
        )
        with zipfile.ZipFile(cached_file) as zf:
            _safe_extract_zip(zf, model_dir)
            cached_file = os.path.join(model_dir, zf.infolist()[0].filename)
    kwargs = {} if weights_only is None else {"weights_only": weights_only}
    return ember_load(cached_file, map_location=map_location, **kwargs)
