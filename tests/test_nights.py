"""The shared night's home is put back as built after a module that changed it
(tests/nights.py), and left alone after one that did not."""

from __future__ import annotations

import os
import shutil
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


@pytest.mark.parametrize("change", ["write", "add", "add folder", "remove", "chmod"])
def test_a_changed_home_is_put_back_as_built_file_by_file(built, change, monkeypatch):
    db = built.home / "mlflow" / "mlflow.db"
    if change == "write":
        db.write_text("version 2")
    elif change == "add":
        (built.home / "mlflow" / "mlflow.db-wal").write_text("")
    elif change == "add folder":
        (built.home / "mlflow" / "artifacts" / "v2").mkdir(parents=True)
        (built.home / "mlflow" / "artifacts" / "v2" / "model.pkl").write_text("v2")
    elif change == "remove":
        db.unlink()
    else:
        os.chmod(db, 0o644)

    def no_full_copy(source, target):
        raise AssertionError("copied the whole home, not only what changed")

    monkeypatch.setattr(nights, "_copy_tree", no_full_copy)
    assert nights.restore_if_changed() is True
    assert db.read_text() == "version 1"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert sorted(p.name for p in db.parent.iterdir()) == ["mlflow.db"]
    assert nights.restore_if_changed() is False


def test_mlflow_in_this_process_reads_the_restored_store(built, monkeypatch):
    """MLflow caches its engine per store URI: without closing its connections, this
    process went on reading the replaced mlflow.db (a champion the restore took away)."""
    import mlflow

    monkeypatch.chdir(built.home.parent)  # MLflow's default artifact root, if it makes one
    db = built.home / "mlflow" / "mlflow.db"
    db.unlink()
    uri = f"sqlite:///{db}"
    mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri).create_registered_model("as_built")
    shutil.rmtree(built.snapshot)
    nights._copy_tree(built.home, built.snapshot)
    monkeypatch.setattr(nights, "_BUILT", [(built, nights.signature(built.home))])

    mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri).create_registered_model("changed")
    assert nights.restore_if_changed() is True
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    assert {m.name for m in client.search_registered_models()} == {"as_built"}
