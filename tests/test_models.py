"""Registry, fetch (hash-checked, atomic, offline failure) and the models CLI."""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import pytest

from handpose import fetch as fetch_mod
from handpose.cli import main
from handpose.errors import FetchError, ModelError
from handpose.registry import get_model, list_models, model_path, model_state, sha256_of

from .conftest import litert_marker

FETCHABLE = [m for m in list_models() if fetch_mod.fetchable(m)]


@pytest.fixture(scope="session")
def real_models(models_ready) -> dict[str, bytes]:
    """The real model bytes from the user's cache (filled by 'make test' through the real fetch)."""
    return {m.name: model_path(m).read_bytes() for m in FETCHABLE if model_state(m) == "present"}


def _wheel(tmp_path: Path, models: dict[str, bytes], tamper: str | None = None) -> Path:
    """A wheel-shaped zip with the model files at their real member paths."""
    path = tmp_path / "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in models.items():
            spec = get_model(name)
            if name == tamper:
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            zf.writestr(spec.member, data)
    return path


@pytest.fixture()
def empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("HANDPOSE_HOME", str(home))
    return home


def test_registry_lookup_and_unknown_name() -> None:
    spec = get_model("hand_full")
    assert spec.input_size == (224, 224) and spec.dynamic_batch
    assert spec.outputs["Identity_2"] == "handedness"
    assert {"palm_full", "palm_lite", "hand_full", "hand_lite"} <= {m.name for m in list_models()}
    with pytest.raises(ModelError, match="unknown model 'hand_huge'.*palm_full"):
        get_model("hand_huge")
    with pytest.raises(ModelError, match="did you mean hand_full"):
        get_model("hand_fulll")
    with pytest.raises(ModelError, match=r"'lite' names a pair for HandTracker\(model=...\): palm_lite \+ hand_lite"):
        get_model("lite")
    assert [m.name for m in list_models("hand_*", task="hand_landmark")] == [
        "hand_full", "hand_lite", "hand_full_int8", "hand_lite_int8"]
    assert [m.name for m in list_models(task="palm_detection")] == ["palm_full", "palm_lite"]


def test_fetch_into_empty_home_verifies_hashes(tmp_path, empty_home, real_models, umask_022) -> None:
    names = ["palm_full", "hand_full", "hand_lite"]
    wheel = _wheel(tmp_path, {n: real_models[n] for n in names})
    assert all(model_state(n) == "missing" for n in names)
    paths = fetch_mod.fetch(names, wheel=wheel)
    assert [p.parent for p in paths] == [empty_home / "models"] * 3
    for n, p in zip(names, paths, strict=True):
        assert model_state(n) == "present"
        assert sha256_of(p) == get_model(n).sha256
        assert p.stat().st_mode & 0o777 == 0o644  # as any new file: readable by others (a container's user)
    # Idempotent: a second fetch leaves the files alone (and needs no wheel at all).
    mtimes = [p.stat().st_mtime_ns for p in paths]
    fetch_mod.fetch(names, wheel=tmp_path / "does-not-exist.whl")
    assert [p.stat().st_mtime_ns for p in paths] == mtimes
    assert not list((empty_home / "models").glob("*.part"))


def test_fetch_refuses_hash_mismatch_and_leaves_nothing(tmp_path, empty_home, real_models) -> None:
    wheel = _wheel(tmp_path, {"hand_lite": real_models["hand_lite"]}, tamper="hand_lite")
    with pytest.raises(FetchError, match="SHA-256 mismatch"):
        fetch_mod.fetch(["hand_lite"], wheel=wheel)
    assert model_state("hand_lite") == "missing"
    assert not any((empty_home / "models").iterdir())


def test_corrupt_file_is_reported_and_repaired(tmp_path, empty_home, real_models, capsys) -> None:
    target = model_path("hand_lite")
    target.parent.mkdir(parents=True)
    target.write_bytes(real_models["hand_lite"][:-10] + b"0123456789")
    assert model_state("hand_lite") == "corrupt"
    with pytest.raises(ModelError, match="corrupt.*fetch --force hand_lite"):
        fetch_mod.ensure_model("hand_lite")
    assert main(["models", "list"]) == 0
    line = next(row for row in capsys.readouterr().out.splitlines() if row.startswith("hand_lite "))
    assert " corrupt " in line
    fetch_mod.fetch(["hand_lite"], wheel=_wheel(tmp_path, {"hand_lite": real_models["hand_lite"]}))
    assert model_state("hand_lite") == "present"


def test_offline_pip_download_fails_clearly(tmp_path, empty_home, monkeypatch) -> None:
    # A package index that refuses connections, and no other index or local wheel folder.
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    with pytest.raises(FetchError, match=r"could not download mediapipe==0\.10\.21.*--wheel FILE"):
        fetch_mod.fetch(["hand_lite"], timeout=5)
    assert model_state("hand_lite") == "missing"


def test_offline_urllib_fallback_fails_clearly(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(fetch_mod, "_PYPI_JSON", "http://127.0.0.1:9/pypi/{name}/{version}/json")
    with pytest.raises(FetchError, match="could not download.*package index"):
        fetch_mod._urllib_download(tmp_path, timeout=5)


def test_offline_mode_never_downloads(empty_home, monkeypatch) -> None:
    monkeypatch.setenv("HANDPOSE_OFFLINE", "1")
    with pytest.raises(ModelError, match="HANDPOSE_OFFLINE"):
        fetch_mod.ensure_model("palm_full")


def test_cli_fetch_errors_exit_nonzero(tmp_path, empty_home, capsys) -> None:
    assert main(["models", "fetch", "hand_lite", "--wheel", str(tmp_path / "nope.whl")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("handpose: error: wheel file not found") and "Traceback" not in err
    (tmp_path / "bad.whl").write_bytes(b"not a zip")
    assert main(["models", "fetch", "hand_lite", "--wheel", str(tmp_path / "bad.whl")]) == 1
    assert "not a valid wheel" in capsys.readouterr().err


def test_a_cache_that_cannot_be_written_is_named_before_any_download(tmp_path, monkeypatch, capsys) -> None:
    from handpose.atomic import unwritable

    assert unwritable(tmp_path / "new" / "folder") is None and (tmp_path / "new" / "folder").is_dir()
    assert not list((tmp_path / "new" / "folder").iterdir())  # the probe is gone
    (tmp_path / "a-file").write_text("x")
    home = tmp_path / "a-file" / "home"  # a folder that cannot be made, whoever runs the test (root included)
    assert unwritable(home / "models") is not None
    monkeypatch.setenv("HANDPOSE_HOME", str(home))
    monkeypatch.setattr(fetch_mod, "download_wheel", lambda *a: pytest.fail("downloaded into a cache it cannot fill"))
    with pytest.raises(FetchError, match=r"cannot write into the model cache .*a-file/home/models \(.+\) to fetch "
                                         r"hand_lite: set HANDPOSE_HOME to a folder you can write"):
        fetch_mod.fetch(["hand_lite"])
    with pytest.raises(FetchError, match="cannot write into the model cache"):  # a first use: no "fetching..." first
        fetch_mod.ensure_model("hand_lite")
    assert "fetching" not in capsys.readouterr().err
    assert main(["models", "fetch", "hand_lite"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("handpose: error: cannot write into the model cache") and "models fetch" in err
    assert main(["doctor"]) == 0  # says so too, with the models it misses
    out = capsys.readouterr().out
    assert re.search(r"^cache    .*a-file/home \(read-only here: .+\)$", out, re.M)
    assert re.search(r"^  - the model cache .*a-file/home/models cannot be written \(.+\): set HANDPOSE_HOME", out,
                     re.M)


@pytest.mark.network
@pytest.mark.skipif(os.environ.get("HANDPOSE_NETWORK_TESTS") != "1", reason="set HANDPOSE_NETWORK_TESTS=1")
def test_real_fetch_from_package_index(empty_home) -> None:
    fetch_mod.fetch(["hand_lite"])
    assert model_state("hand_lite") == "present"


def test_doctor_asks_for_litert_only_where_it_has_a_wheel(empty_home, capsys, monkeypatch) -> None:
    from handpose.cli import doctor
    from handpose.engines import litert

    marker = litert_marker()  # the package's own requirement (test_engines checks it against the wheels)
    for system, machine in (("Linux", "x86_64"), ("Linux", "aarch64"), ("Darwin", "arm64"), ("Darwin", "x86_64"),
                            ("Windows", "AMD64"), ("Windows", "ARM64"), ("FreeBSD", "amd64")):
        env = {"platform_system": system, "platform_machine": machine}
        assert doctor._litert_has_a_wheel(system, machine) == marker.evaluate(env), (system, machine)
    assert doctor._litert_has_a_wheel() == marker.evaluate()
    monkeypatch.setattr(litert, "available", lambda: False)
    for has_a_wheel, asked in ((True, True), (False, False)):  # Windows: ONNX Runtime is the engine there
        monkeypatch.setattr(doctor, "_litert_has_a_wheel", lambda has_a_wheel=has_a_wheel: has_a_wheel)
        assert main(["doctor", "--json"]) == 0
        missing = json.loads(capsys.readouterr().out)["missing"]
        assert ("LiteRT engine (fastest on CPU): pip install ai-edge-litert" in missing) == asked, missing


def test_doctor_names_what_is_missing_and_how_to_get_it(empty_home, capsys) -> None:
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cache"] == str(empty_home) and report["cache_unwritable"] is None
    assert not empty_home.exists()  # looking made nothing
    assert report["models"]["hand_full"]["state"] == "missing" and report["engines"]["auto"] in ("litert",
                                                                                                 "onnxruntime")
    # the fetchable models are missing (fix: fetch); the INT8 ones are made on demand, so they are optional
    assert "models palm_full, palm_lite, hand_full, hand_lite not in the cache: handpose models fetch" in \
        report["missing"]
    assert report["models"]["hand_lite_int8"]["optional"] == "handpose models quantize hand_lite"
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "(optional: handpose models quantize hand_full)" in out and "missing:" in out
    # whether windows (--show) work, and how to get them on a headless OpenCV (handpose's own dependency)
    gui = report["gui"]
    assert (f"windows  {gui} (--show works)" if gui else
            "windows  no: headless OpenCV, fine for files and servers; for --show and camera recording: pip "
            "uninstall -y opencv-python-headless && pip install opencv-python") in out


def test_doctor_names_an_int8_model_of_the_old_recipe_and_how_to_make_it_again(empty_home, capsys) -> None:
    """The first recipe quantized the presence head: every crop without a hand scored 0.5 and kept its track."""
    models = empty_home / "models"
    models.mkdir(parents=True)
    (models / "hand_landmark_full_int8.onnx").write_bytes(b"onnx")
    (models / "hand_landmark_full_int8.json").write_text(json.dumps({"model": "hand_full_int8", "crops": 101}))
    (models / "hand_landmark_lite_int8.onnx").write_bytes(b"onnx")
    (models / "hand_landmark_lite_int8.json").write_text(json.dumps({"model": "hand_lite_int8", "recipe": 2}))
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["models"]["hand_full_int8"]["outdated"] and not report["models"]["hand_lite_int8"]["outdated"]
    assert not report["models"]["hand_full"]["outdated"]  # fetched models have no recipe
    fix = [m for m in report["missing"] if "older handpose" in m]
    assert len(fix) == 1 and fix[0].endswith("handpose models quantize hand_full --calib SOURCE --overwrite")
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^  hand_full_int8  outdated ", out, re.M) and re.search(r"^  hand_lite_int8  present ", out,
                                                                                re.M)
