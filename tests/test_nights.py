"""The shared night's home is put back as built after a module that changed it
(tests/nights.py), and left alone after one that did not."""

from __future__ import annotations

import os
import stat

import nights
import pytest


@pytest.fixture
def built(tmp_path, monkeypatch) -> nights.SharedNight:
    """A small home standing in for the night, registered as the session's built night."""
    home = tmp_path / "home"
    (home / "mlflow").mkdir(parents=True)
    (home / "mlflow" / "mlflow.db").write_text("version 1")
    os.chmod(home / "mlflow" / "mlflow.db", 0o600)
    night = nights.SharedNight(
        home, nights.BUSINESS_DATE, "", {}, frozenset(), tmp_path / "as_built"
    )
    nights._copy_tree(home, night.snapshot)
    monkeypatch.setattr(nights, "_BUILT", [(night, nights.signature(home))])
    return night


def test_an_unchanged_home_is_left_alone(built):
    inode = (built.home / "mlflow" / "mlflow.db").stat().st_ino
    assert nights.restore_if_changed() is False
    assert (built.home / "mlflow" / "mlflow.db").stat().st_ino == inode


@pytest.mark.parametrize("change", ["write", "add", "remove", "chmod"])
def test_a_changed_home_is_put_back_as_built(built, change):
    db = built.home / "mlflow" / "mlflow.db"
    if change == "write":
        db.write_text("version 2")
    elif change == "add":
        (built.home / "mlflow" / "mlflow.db-wal").write_text("")
    elif change == "remove":
        db.unlink()
    else:
        os.chmod(db, 0o644)
    assert nights.restore_if_changed() is True
    assert db.read_text() == "version 1"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert sorted(p.name for p in db.parent.iterdir()) == ["mlflow.db"]
    assert nights.restore_if_changed() is False
