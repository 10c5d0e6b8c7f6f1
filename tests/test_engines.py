"""Conversion parity with the TFLite interpreter, engine agreement, batching."""

from __future__ import annotations

import json
import logging
import re
import shutil
import sys

import numpy as np
import onnxruntime as ort
import pytest

from handpose.convert import TOLERANCE, compare_with_tflite, convert_model, recorded, verification_inputs
from handpose.engines import available_engines, create_engine, resolve_engine
from handpose.errors import ConversionError, EngineError
from handpose.registry import get_model, model_path

from .conftest import litert_marker, needs_litert

pytestmark = pytest.mark.usefixtures("models_ready")
MODELS = ["palm_full", "palm_lite", "hand_full", "hand_lite"]


@pytest.fixture(scope="module")
def real_inputs(photo_paths) -> dict[str, np.ndarray]:
    """Letterboxed real photos for the detectors; real hand crops for the landmark models."""
    return {m: verification_inputs(get_model(m), photo_paths, batch=3) for m in MODELS}


@needs_litert
@pytest.mark.parametrize("name", MODELS)
def test_conversion_matches_tflite_on_real_inputs(name, tmp_path, real_inputs, photo_paths) -> None:
    out = convert_model(name, output=tmp_path / f"{name}.onnx", images=photo_paths)
    err = compare_with_tflite(get_model(name), out, real_inputs[name])
    assert set(err) == set(get_model(name).outputs.values())
    assert max(err.values()) <= TOLERANCE, err


def _cache_holding(name: str, tmp_path, monkeypatch) -> None:
    """HANDPOSE_HOME set to a new cache that holds only this model's ``.tflite`` (copied from the real cache)."""
    tflite = model_path(name)
    (tmp_path / "home" / "models").mkdir(parents=True)
    shutil.copy(tflite, tmp_path / "home" / "models" / tflite.name)
    monkeypatch.setenv("HANDPOSE_HOME", str(tmp_path / "home"))


def test_a_broken_converted_model_in_the_cache_is_made_again(tmp_path, monkeypatch, caplog, real_inputs) -> None:
    _cache_holding("hand_lite", tmp_path, monkeypatch)
    onnx = model_path("hand_lite", ".onnx")
    onnx.write_bytes(b"\x08\x07" * 100)  # a conversion cut short
    with caplog.at_level(logging.WARNING, logger="handpose"):
        engine = create_engine("hand_lite", "onnxruntime")
    assert "onnxruntime could not load" in caplog.text and "converting hand_lite again" in caplog.text
    assert onnx.stat().st_size > 1_000_000 and engine.run(real_inputs["hand_lite"][:1])["landmarks"].shape == (1, 63)


def test_a_cached_conversion_by_an_older_converter_is_made_again(tmp_path, monkeypatch, capsys) -> None:
    import onnx

    from handpose.cli import main
    from handpose.convert import ensure_onnx, producer
    from handpose.convert.to_onnx import GRAPH_VERSION

    model = onnx.load(str(ensure_onnx("palm_lite")))
    _cache_holding("palm_lite", tmp_path, monkeypatch)
    cached = model_path("palm_lite", ".onnx")
    model.producer_version = ""  # as written before the graph was versioned
    onnx.save(model, str(cached))
    assert producer(cached) == ("handpose", "")
    assert main(["models", "list"]) == 0
    assert re.search(r"^palm_lite +palm_detection +present +old ", capsys.readouterr().out, re.M)
    assert main(["doctor"]) == 0
    assert re.search(r"^  palm_lite +present +onnx=old ", capsys.readouterr().out, re.M)
    assert ensure_onnx("palm_lite", log=sys.stderr) == cached
    assert "palm_detection_lite.onnx was made by an older converter" in capsys.readouterr().err
    assert producer(cached) == ("handpose", GRAPH_VERSION)
    assert main(["models", "list"]) == 0
    assert re.search(r"^palm_lite +palm_detection +present +yes ", capsys.readouterr().out, re.M)
    ops = {node.op_type for node in onnx.load(str(cached)).graph.node}
    assert not ops & {"Min", "Mul", "Pad", "PRelu"}, ops  # PReLU and widened skips are convolutions now
    # 'models convert' into the cache is idempotent, as 'models fetch' is: a current file is kept, an old one made again
    assert main(["models", "convert", "palm_lite"]) == 0
    out, err = capsys.readouterr()
    assert out == f"ok  {cached}\n" and "converting" not in err
    onnx.save(model, str(cached))
    assert main(["models", "convert", "palm_lite"]) == 0
    assert "was made by an older converter" in capsys.readouterr().err
    assert producer(cached) == ("handpose", GRAPH_VERSION)
    # a file handpose did not write, or cannot read the maker of, is left as it is
    model.producer_name, model.producer_version = "tf2onnx", "1.16"
    onnx.save(model, str(cached))
    before = cached.read_bytes()
    assert ensure_onnx("palm_lite") == cached and cached.read_bytes() == before
    assert producer(cached) == ("tf2onnx", "1.16")
    cached.write_bytes(b"\xff" * 10)
    assert producer(cached) is None and ensure_onnx("palm_lite") == cached


def test_a_conversion_the_cache_cannot_hold_is_named_and_an_older_one_still_serves(tmp_path, monkeypatch,
                                                                                    caplog) -> None:
    import onnx

    import handpose.convert as convert
    from handpose.convert import ensure_onnx

    model = onnx.load(str(ensure_onnx("palm_lite")))
    _cache_holding("palm_lite", tmp_path, monkeypatch)
    monkeypatch.setattr(convert, "unwritable", lambda folder: "Read-only file system")  # a container's mount
    with pytest.raises(ConversionError, match=r"palm_lite is converted to ONNX on first use, but the model cache "
                                              r".*home/models cannot be written \(Read-only file system\): set "
                                              r"HANDPOSE_HOME to a folder you can write, or fill"):
        create_engine("palm_lite", "onnxruntime")
    cached = model_path("palm_lite", ".onnx")
    model.producer_version = ""  # made by an older converter: slower, but it works
    onnx.save(model, str(cached))
    before = cached.read_bytes()
    with caplog.at_level(logging.WARNING, logger="handpose"):
        engine = create_engine("palm_lite", "onnxruntime")
    assert "was made by an older converter, and the model cache cannot be written" in caplog.text
    assert cached.read_bytes() == before
    assert engine.run(np.zeros((1, 192, 192, 3), np.float32))["scores"].shape == (1, 2016, 1)


@needs_litert
def test_the_recorded_litert_outputs_are_what_litert_gives(tmp_path) -> None:
    specs = [get_model(name) for name in recorded.MODELS]
    recorded.record(specs, tmp_path / "again.npz")
    with np.load(tmp_path / "again.npz") as again:
        for spec in specs:
            shipped = recorded.recorded(spec)
            assert shipped is not None and str(again[f"{spec.name}/sha256"]) == spec.sha256
            assert set(shipped) == set(spec.outputs.values())
            for name, (values, peak) in shipped.items():  # another CPU may round a little differently
                assert np.allclose(again[f"{spec.name}/{name}/values"], values, rtol=1e-4, atol=1e-4), name
                assert np.isclose(float(again[f"{spec.name}/{name}/peak"]), peak, rtol=1e-4)


def test_a_conversion_is_verified_where_litert_is_not_installed(tmp_path, monkeypatch, photo_paths) -> None:
    import io

    from handpose.engines import litert

    monkeypatch.setattr(litert, "available", lambda: False)  # as on Windows: no ai-edge-litert wheel
    for name in ("palm_lite", "hand_lite"):
        log = io.StringIO()
        convert_model(name, output=tmp_path / f"{name}.onnx", log=log)
        assert "verified against LiteRT's recorded outputs, max abs error" in log.getvalue()
    # a conversion that went wrong is caught: palm_lite's file is not palm_full
    monkeypatch.setattr(recorded, "recorded", lambda spec, real=recorded.recorded: real(get_model("palm_full")))
    with pytest.raises(ConversionError, match=r"palm_lite: ONNX output differs from TFLite \(LiteRT's recorded"):
        convert_model("palm_lite", output=tmp_path / "wrong.onnx")
    assert not (tmp_path / "wrong.onnx").exists()
    monkeypatch.setattr(recorded, "recorded", lambda spec: None)  # a user's model: nothing recorded for it
    with pytest.raises(ConversionError, match="no recorded LiteRT outputs for this model file, and LiteRT .*--no-v"):
        convert_model("hand_lite", output=tmp_path / "user.onnx")
    with pytest.raises(ConversionError, match="cannot verify the conversion on your images, and LiteRT .* is not"):
        convert_model("hand_lite", output=tmp_path / "images.onnx", images=photo_paths)
    convert_model("hand_lite", output=tmp_path / "unverified.onnx", verify=False)  # the user's choice


def test_convert_refuses_to_overwrite(tmp_path) -> None:
    target = tmp_path / "hand_lite.onnx"
    target.write_bytes(b"user data")
    with pytest.raises(ConversionError, match="exists.*overwrite"):
        convert_model("hand_lite", output=target)
    assert target.read_bytes() == b"user data"


def test_cli_converts_into_a_folder_to_deploy(tmp_path, capsys, umask_022) -> None:
    from handpose.cli import main

    deploy = tmp_path / "deploy"
    assert main(["models", "convert", "hand_lite", "-o", str(deploy)]) == 0
    out = deploy / "hand_landmark_lite.onnx"
    assert f"ok  {out}" in capsys.readouterr().out
    assert out.stat().st_mode & 0o777 == 0o644 and [p.name for p in deploy.iterdir()] == [out.name]
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape[1:] == [224, 224, 3]
    before = out.read_bytes()
    assert main(["models", "convert", "hand_lite", "-o", str(deploy)]) != 0  # never replaced without asking
    assert "exists" in capsys.readouterr().err and out.read_bytes() == before
    assert main(["models", "convert", "hand_lite", "-o", str(out)]) != 0
    assert "not a folder" in capsys.readouterr().err


def test_convert_refuses_sparse_model_clearly() -> None:
    with pytest.raises(ConversionError, match="sparse"):
        convert_model("pose_detection", output="/nonexistent/never-written.onnx")


@pytest.mark.skipif(len(available_engines()) < 2, reason="needs both litert and onnxruntime")
@pytest.mark.parametrize("name", MODELS)
def test_engines_agree(name, real_inputs) -> None:
    a = create_engine(name, "litert")
    b = create_engine(name, "onnxruntime")
    x = real_inputs[name][:1]
    ra, rb = a.run(x), b.run(x)
    assert ra.keys() == rb.keys() == set(get_model(name).outputs.values())
    for k in ra:
        assert ra[k].shape == rb[k].shape
        assert np.max(np.abs(ra[k] - rb[k])) <= TOLERANCE, k


@pytest.mark.parametrize("engine", available_engines())
def test_landmark_batch_matches_single(engine, real_inputs) -> None:
    eng = create_engine("hand_full", engine)
    x = real_inputs["hand_full"]
    batched = eng.run(x)
    assert batched["landmarks"].shape == (3, 63) and batched["world"].shape == (3, 63)
    for i in range(3):
        single = eng.run(x[i : i + 1])
        for k in single:
            np.testing.assert_allclose(batched[k][i : i + 1], single[k], atol=1e-4)


def test_engine_reports_provider_and_threads() -> None:
    eng = create_engine("hand_lite", "auto", threads=1)
    assert eng.kind == resolve_engine("auto")
    info = eng.info()
    assert info["threads"] == 1 and info["provider"] and info["model"] == "hand_lite"


def test_onnxruntime_threads_spin_during_a_run_only() -> None:
    """Spinning workers make a run ~1.4x faster; left spinning after it they starve the next session (the
    pipeline runs the palm model, then the landmark model) and it is ~2x slower."""
    pytest.importorskip("onnxruntime")
    session = create_engine("hand_lite", "onnxruntime", threads=2).session
    options = session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "1"
    assert options.get_session_config_entry("session.force_spinning_stop") == "1"


def test_choosing_an_engine_imports_only_what_the_choice_needs(monkeypatch) -> None:
    """Importing torch takes about a second, ten times a model's load: a LiteRT user must not pay for it."""
    import handpose.engines as engines

    def must_not_probe() -> bool:
        raise AssertionError("probed an engine the choice does not depend on")

    monkeypatch.setattr(engines._torch, "available", must_not_probe)
    monkeypatch.setattr(engines._onnxrt, "available", must_not_probe)
    monkeypatch.setattr(engines._litert, "available", lambda: True)  # installed or not here
    assert resolve_engine("litert") == "litert"
    monkeypatch.setattr(engines._litert, "available", lambda: True)
    monkeypatch.setattr(engines._onnxrt, "may_have_gpu_provider", lambda: False)  # the CPU wheel: not imported
    assert resolve_engine("auto") == "litert"
    monkeypatch.setattr(engines._onnxrt, "may_have_gpu_provider", lambda: True)
    monkeypatch.setattr(engines._onnxrt, "available", lambda: True)
    monkeypatch.setattr(engines._onnxrt, "available_providers", lambda: ["CPUExecutionProvider"])
    assert resolve_engine("auto") == "litert"
    monkeypatch.setattr(engines._onnxrt, "available_providers",
                        lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert resolve_engine("auto") == "onnxruntime"
    monkeypatch.setattr(engines._litert, "available", lambda: False)
    monkeypatch.setattr(engines._onnxrt, "available", lambda: False)
    monkeypatch.setattr(engines._torch, "available", lambda: False)
    with pytest.raises(EngineError, match="'litert' is not installed \\(installed: none\\)"):
        resolve_engine("litert")
    with pytest.raises(EngineError, match="no inference engine is installed"):
        resolve_engine("auto")


@pytest.fixture
def cuda_listed_not_starting(monkeypatch) -> None:
    """onnxruntime-gpu where CUDA's libraries do not load (no GPU, other CUDA or cuDNN versions): it lists CUDA, and
    a session asked for it comes up on the CPU. Played by the CPU wheel told to list CUDA."""
    import handpose.engines as engines

    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(engines._onnxrt, "may_have_gpu_provider", lambda: True)
    monkeypatch.setattr(engines._onnxrt, "installed_twice", lambda: False)
    monkeypatch.setattr(engines, "_not_starting", set())


@pytest.mark.filterwarnings("ignore:Specified provider 'CUDAExecutionProvider' is not in available")
def test_a_listed_gpu_provider_that_does_not_start_is_never_a_quiet_cpu_run(cuda_listed_not_starting, caplog,
                                                                              capsys, monkeypatch, photo_paths
                                                                              ) -> None:
    from handpose import HandTracker
    from handpose.cli import main
    from handpose.engines.onnxrt import ProviderNotStarted, starts

    assert resolve_engine("auto") == "onnxruntime" and not starts("CUDAExecutionProvider")
    # asked for by name: an error that says why, not the CPU in its place
    with pytest.raises(ProviderNotStarted, match="lists CUDA but could not start it: its libraries did not load"):
        create_engine("hand_lite", "onnxruntime", providers=["cuda"])
    # chosen unasked: said once, and the engine a machine without CUDA gets (LiteRT where installed), for both models
    cpu = "litert" if "litert" in available_engines() else "onnxruntime"
    tracker = HandTracker(mode="image")
    said = [r.getMessage() for r in caplog.records if "could not start" in r.getMessage()]
    assert len(said) == 1 and said[0].endswith("; running on the CPU instead")
    assert tracker.detector.engine.kind == tracker.landmarks.engine.kind == cpu and resolve_engine("auto") == cpu
    assert len(tracker(str(photo_paths[0]))) == 1
    assert create_engine("hand_lite", "onnxruntime").provider == "CPUExecutionProvider"  # the engine named, on the CPU
    # a list of preferences goes on with the next one that starts (the CPU wheel's Azure provider plays it): a warning
    monkeypatch.setattr(ort, "get_available_providers",
                        lambda: ["CUDAExecutionProvider", "AzureExecutionProvider", "CPUExecutionProvider"])
    caplog.clear()
    assert create_engine("hand_lite", "onnxruntime", providers=["cuda", "AzureExecutionProvider"]).provider == (
        "AzureExecutionProvider")
    assert caplog.messages[-1].endswith("could not start it: its libraries did not load (onnxruntime "
                                        f"{ort.__version__} needs a GPU and the CUDA and cuDNN versions it was built "
                                        "for); onnxruntime's log above names the missing one; running on Azure")
    capsys.readouterr()
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["engines"]["onnxruntime"]["cuda_starts"] is False
    assert any(line.startswith("onnxruntime lists CUDA but could not start it") for line in report["missing"])


def test_a_gpu_provider_failing_in_a_run_goes_on_on_the_cpu_with_a_warning(real_inputs, caplog, capfd) -> None:
    """onnxruntime's own fallback prints to stdout (where --json - writes) and says nothing to the log."""
    from onnxruntime.capi.onnxruntime_pybind11_state import EPFail

    eng = create_engine("hand_lite", "onnxruntime")
    expected = eng.run(real_inputs["hand_lite"][:1])

    class FailingGpu:  # the session as it looks on a GPU whose provider fails in its next run
        def __init__(self, session: ort.InferenceSession) -> None:
            self.session, self.providers = session, ["CUDAExecutionProvider", "CPUExecutionProvider"]

        def get_providers(self) -> list[str]:
            return self.providers

        def set_providers(self, providers: list[str]) -> None:
            self.providers = providers

        def run(self, *args: object) -> list:
            if self.providers[0] != "CPUExecutionProvider":
                raise EPFail("CUDA failure 2: out of memory")
            return self.session.run(*args)

    eng.session = FailingGpu(eng.session)
    for _ in range(2):  # said once: after it, the CPU serves
        out = eng.run(real_inputs["hand_lite"][:1])
        assert all(np.array_equal(out[k], expected[k]) for k in expected)
    said = [r.getMessage() for r in caplog.records]
    assert said == ["hand_lite: CUDA failed during a run (CUDA failure 2: out of memory); going on on the CPU"]
    assert eng.provider == "CPUExecutionProvider" and capfd.readouterr().out == ""

    def broken(*args: object) -> list:
        raise EPFail("broken")

    eng.session.run = broken  # the CPU too: an error, not a loop
    with pytest.raises(EngineError, match="hand_lite: onnxruntime failed on the CPU: broken"):
        eng.run(real_inputs["hand_lite"][:1])


@pytest.mark.filterwarnings("ignore:Specified provider 'CUDAExecutionProvider' is not in available")
def test_bench_leaves_out_a_gpu_provider_that_does_not_start(cuda_listed_not_starting) -> None:
    from handpose.benchmark import available_bench_engines

    have, notes = available_bench_engines()
    assert "cuda" not in have and "tensorrt" not in have and "onnxruntime" in have
    assert any(n.startswith("cuda, tensorrt: onnxruntime lists them but could not start CUDA") for n in notes)


@pytest.mark.filterwarnings("ignore:Specified provider 'CUDAExecutionProvider' is not in available")
def test_gpu_provider_errors_name_the_fix(cuda_listed_not_starting, monkeypatch, capsys, photo_paths) -> None:
    """The CPU and GPU wheels of onnxruntime share one folder: both installed, the files of the one installed last
    win, and CUDA may be missing or not start. The fix is to keep only the GPU one."""
    import handpose.engines as engines
    from handpose.cli import main

    monkeypatch.setattr(engines._onnxrt, "installed_twice", lambda: True)
    with pytest.raises(EngineError, match="onnxruntime and onnxruntime-gpu are both installed.*pip uninstall -y "
                                          "onnxruntime onnxruntime-gpu && pip install onnxruntime-gpu"):
        create_engine("hand_lite", "onnxruntime", providers=["cuda"])
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    with pytest.raises(EngineError, match=r"providers \['TensorrtExecutionProvider'\] are not available.*both "
                                          "installed"):
        create_engine("hand_lite", "onnxruntime", providers=["tensorrt"])
    assert main(["run", str(photo_paths[0]), "--providers", "cuda"]) == 1
    err = capsys.readouterr().err
    assert "pip uninstall -y onnxruntime onnxruntime-gpu" in err and "Traceback" not in err
    assert main(["doctor"]) == 0
    assert "onnxruntime and onnxruntime-gpu are both installed" in capsys.readouterr().out


def test_a_gpu_build_of_onnxruntime_is_told_by_its_files(monkeypatch, tmp_path) -> None:
    import importlib.machinery

    import handpose.engines.onnxrt as onnxrt

    monkeypatch.delitem(onnxrt.sys.modules, "onnxruntime", raising=False)  # as in a fresh interpreter
    package = tmp_path / "onnxruntime"
    spec = importlib.machinery.ModuleSpec("onnxruntime", None, is_package=True)
    spec.submodule_search_locations = [str(package)]
    monkeypatch.setattr(onnxrt.importlib.util, "find_spec", lambda name: spec if name == "onnxruntime" else None)
    package.mkdir()
    assert onnxrt.may_have_gpu_provider()  # no capi/ folder: cannot tell, so the import will
    (package / "capi").mkdir()
    for name in ("libonnxruntime.so.1.31.1", "libonnxruntime_providers_shared.so", "_pybind_state.py"):
        (package / "capi" / name).touch()
    assert not onnxrt.may_have_gpu_provider()  # the CPU wheel
    for name in ("libonnxruntime_providers_cuda.so", "onnxruntime_providers_tensorrt.dll"):
        (package / "capi" / name).touch()
        assert onnxrt.may_have_gpu_provider()
        (package / "capi" / name).unlink()
    monkeypatch.setattr(onnxrt.importlib.util, "find_spec", lambda name: None)
    assert not onnxrt.may_have_gpu_provider()  # not installed


def test_the_installed_onnxruntime_files_agree_with_its_providers(monkeypatch) -> None:
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    import handpose.engines.onnxrt as onnxrt

    gpu = {"CUDAExecutionProvider", "TensorrtExecutionProvider"} & set(onnxrt.available_providers())
    assert onnxrt.may_have_gpu_provider()  # imported already: the import decides
    monkeypatch.delitem(onnxrt.sys.modules, "onnxruntime")  # as in a fresh interpreter: the files decide
    assert onnxrt.may_have_gpu_provider() == bool(gpu)


def test_bad_engine_and_bad_input_are_clear() -> None:
    with pytest.raises(EngineError, match="unknown engine 'tensorflow'"):
        create_engine("hand_lite", "tensorflow")
    eng = create_engine("hand_lite", "auto")
    with pytest.raises(EngineError, match=r"expected input \(N, 224, 224, 3\)"):
        eng.run(np.zeros((1, 100, 100, 3), np.float32))


torch_only = pytest.mark.skipif("torch" not in available_engines(),
                                reason="PyTorch is not installed (pip install 'handpose[train]')")


@torch_only
@pytest.mark.parametrize("name", MODELS)
def test_torch_engine_matches_litert(name, real_inputs) -> None:
    a, b = create_engine(name, "litert"), create_engine(name, "torch")
    x = real_inputs[name] if get_model(name).dynamic_batch else real_inputs[name][:1]
    ra, rb = a.run(x), b.run(x)
    assert ra.keys() == rb.keys()
    for k in ra:
        assert ra[k].shape == rb[k].shape and np.max(np.abs(ra[k] - rb[k])) <= TOLERANCE, k
    assert b.provider.startswith("torch-")


@torch_only
def test_pipeline_on_torch(photo_paths) -> None:
    import cv2

    from handpose import HandTracker

    img = cv2.imread(str(photo_paths[0]))
    ref = HandTracker(mode="image", engine="litert").process(img)
    got = HandTracker(mode="image", engine="torch").process(img)
    assert len(got) == 1 and np.abs(got.keypoints - ref.keypoints)[..., :2].max() < 0.05


def test_parity_tolerance_is_strict_for_hands_and_relative_for_pose_logits(tmp_path) -> None:
    from handpose.convert import tolerance

    big = np.full(4, 1000.0, np.float32)
    assert tolerance(get_model("hand_full"), big) == TOLERANCE  # hand models: 1e-3 absolute, always
    assert tolerance(get_model("pose_full"), big) == pytest.approx(TOLERANCE + 3.0)
    out = convert_model("pose_full", output=tmp_path / "pose_full.onnx")  # verified inside, raises if not
    assert out.is_file()


@pytest.mark.parametrize("system, machine, litert_installed", [
    ("Linux", "x86_64", True), ("Linux", "aarch64", True),  # servers, Raspberry Pi OS 64-bit, Jetson
    ("Darwin", "arm64", True),  # Apple silicon
    ("Darwin", "x86_64", False),  # an Intel Mac: no ai-edge-litert wheel newer than 1.0.1, so none >= 1.2
    ("Windows", "AMD64", False),  # wheels since 2.1.2, not tested here: ONNX Runtime
])
def test_litert_is_required_only_where_it_has_wheels(system, machine, litert_installed) -> None:
    """A requirement without a wheel for the platform makes ``pip install`` fail there outright."""
    env = {"platform_system": system, "platform_machine": machine}
    assert litert_marker().evaluate(env) is litert_installed


@torch_only
def test_torch_forward_frees_each_activation_after_its_last_reader() -> None:
    from handpose.convert.tflite_graph import read_tflite
    from handpose.engines.torch_engine import build_module
    from handpose.fetch import ensure_model

    graph = read_tflite(ensure_model("hand_full"))
    module = build_module(graph)
    freed = [i for _, _, dead in module.steps for i in dead]
    read = {i for op in graph.ops for i in op.inputs if i >= 0}
    computed = {graph.inputs[0]} | {op.outputs[0] for op in graph.ops}
    assert len(freed) == len(set(freed))  # each once
    assert set(freed) == (read & computed) - set(graph.outputs)  # every activation read, no weight, no output
    for n, (_, _, dead) in enumerate(module.steps):
        assert set(dead) <= set(graph.ops[n].inputs)  # freed by a reader ...
        assert not set(dead) & {i for op in graph.ops[n + 1:] for i in op.inputs}  # ... that is the last one
