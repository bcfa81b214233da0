"""save(): the file gets the permissions joblib.dump would give it, and errors
name the path the user gave."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joblib
import pytest
from sklearn.linear_model import LogisticRegression

from versioned_estimator import VersionedEstimator, save

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


@pytest.fixture(scope="module")
def model(iris: tuple[Any, Any]) -> Any:
    X, y = iris
    return VersionedEstimator(LogisticRegression(max_iter=1000)).fit(X, y)


@pytest.fixture
def umask() -> Iterator[Any]:
    """Set the process umask for a test, and restore it."""
    previous = os.umask(0o022)
    os.umask(previous)

    def set_(mask: int) -> None:
        os.umask(mask)

    try:
        yield set_
    finally:
        os.umask(previous)


def _mode(path: str | Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077, 0o027])
def test_a_new_file_gets_the_mode_joblib_dump_gives(
    model: Any, tmp_path: Path, umask: Any, mask: int
) -> None:
    umask(mask)
    joblib.dump(model, tmp_path / "by_joblib.joblib")
    save(model, tmp_path / "by_save.joblib")
    assert _mode(tmp_path / "by_save.joblib") == _mode(tmp_path / "by_joblib.joblib")
    assert _mode(tmp_path / "by_save.joblib") == 0o666 & ~mask
    if mask == 0o022:
        assert _mode(tmp_path / "by_save.joblib") == 0o644


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664, 0o444])
def test_an_existing_file_keeps_its_mode(
    model: Any, tmp_path: Path, umask: Any, mode: int
) -> None:
    umask(0o022)
    path = tmp_path / "model.joblib"
    path.write_bytes(b"an older model")
    path.chmod(mode)
    save(model, path)  # replaced atomically: a new inode with the old mode
    assert _mode(path) == mode
    assert path.read_bytes() != b"an older model"
    joblib.dump(model, tmp_path / "by_joblib.joblib")
    (tmp_path / "by_joblib.joblib").chmod(mode)
    if mode & stat.S_IWUSR:  # joblib.dump opens the file for writing in place
        joblib.dump(model, tmp_path / "by_joblib.joblib")
        assert _mode(tmp_path / "by_joblib.joblib") == mode


def test_save_leaves_no_temporary_file(model: Any, tmp_path: Path) -> None:
    save(model, tmp_path / "model.joblib")
    save(model, tmp_path / "model.joblib")
    assert [p.name for p in tmp_path.iterdir()] == ["model.joblib"]


@pytest.mark.parametrize(
    "given",
    ["no_such_folder/model.joblib", "a/b/model.joblib", "./missing/m.joblib"],
)
def test_a_missing_folder_names_the_path_given(
    model: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as info:
        save(model, given)
    message = str(info.value)
    assert repr(given) in message  # the user's own spelling, not an absolute path
    assert repr(os.path.dirname(given)) in message
    assert "does not exist" in message
    assert str(tmp_path) not in message
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_as_a_path_object(model: Any, tmp_path: Path) -> None:
    given = tmp_path / "missing" / "model.joblib"
    with pytest.raises(FileNotFoundError, match="does not exist") as info:
        save(model, given)
    assert repr(str(given)) in str(info.value)


def test_a_folder_is_not_a_file_path(model: Any, tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError) as info:
        save(model, tmp_path)
    assert repr(str(tmp_path)) in str(info.value)
