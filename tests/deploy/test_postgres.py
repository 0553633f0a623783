"""Where the stack's PostgreSQL cluster lives: somewhere its user can reach, however private the checkout is."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from deploy.postgres import CHECKOUT, RECORD, as_database_user, data_folder_for, remove_cluster

as_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="as another user PostgreSQL runs as that user, in the stack folder"
)


@as_root
def test_as_root_the_data_lives_outside_a_private_checkout_where_the_database_user_can_enter(tmp_path: Path) -> None:
    # given a stack folder inside a folder only its owner may enter (a clone under /root, a `mktemp -d`)
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    stack = private / "checkout" / "state" / "stack"
    # when the cluster's place is chosen
    data = data_folder_for(stack)
    # then it is not under the private folder, it is named after this checkout, and the database user can
    # reach its parent (it lists it as itself)
    assert private not in data.parents
    assert data.name.startswith(f"{CHECKOUT.name}-")
    listed = subprocess.run(as_database_user(["ls", str(data.parent.parent)]), capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    # and two stack folders never share one cluster
    assert data_folder_for(private / "other" / "state" / "stack") != data


@as_root
def test_the_recorded_place_is_kept_and_removing_deletes_it(tmp_path: Path) -> None:
    # given a stack whose cluster's place was recorded, with data in it
    stack = tmp_path / "stack"
    stack.mkdir()
    data = tmp_path / "elsewhere" / "cluster"
    data.mkdir(parents=True)
    (data / "PG_VERSION").write_text("15\n")
    (stack / RECORD).write_text(f"{data}\n")
    # when the place is asked again, then it is the recorded one
    assert data_folder_for(stack) == data
    # when the cluster is removed, then its data and the record are gone, and a second removal is a no-op
    assert remove_cluster(stack) == data
    assert not data.exists()
    assert not (stack / RECORD).exists()
    assert remove_cluster(stack) is None
