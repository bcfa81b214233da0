"""scikit-learn's estimator checks over every estimator its CI tests, bare and wrapped.

For each instance of ``sklearn.utils._test_common.instance_generator.
_tested_estimators()`` this runs every check that ``check_estimator`` /
``parametrize_with_checks`` would run (``estimator_checks_generator``, with the
per-check instances of ``PER_ESTIMATOR_CHECK_PARAMS``), once on the bare
instance and once on ``VersionedEstimator(clone(instance))``, and reports every
check that passes bare and fails wrapped. Checks that scikit-learn itself
expects to fail for the bare estimator (``_get_expected_failed_checks``) are
recorded but not counted.

The wrapped run calls each check as ``parametrize_with_checks`` would for a
user's wrapped model: with the name ``"VersionedEstimator"``. Checks that
scikit-learn yields only for the wrapper are run on both too; each pair says
whether scikit-learn yields it for the bare (``in_bare``) and for the wrapper
(``in_wrapped``) estimator.

Each pair that passes bare and fails wrapped is run twice more on the wrapper,
changed in one way each, to find its cause: ``as_bare_name`` (the check gets
the bare class name: does scikit-learn special-case the name?) and ``seeded``
(every ``random_state=None`` of the inner estimator set to 0: does the check
rely on ``set_random_state`` reaching it?). ``categorize`` then assigns each
pair a category of ``CATEGORIES``, which says the root cause in the wrapper and
whether the wrapper can fix it.

Each estimator runs in a worker subprocess (``--jobs`` at a time) that reports
check by check; a check that takes longer than ``--timeout`` seconds or kills
its worker is recorded as ``timeout`` / ``crash`` and the worker is restarted
after it. Warnings are never errors: scikit-learn's test suite ignores
FutureWarning, ConvergenceWarning, UserWarning and LinAlgWarning in these
checks, and so does this script; others go to the worker's log. Array API
checks need ``SCIPY_ARRAY_API=1`` (set for the workers here) and
``array-api-strict`` (the "test" extra).

Usage::

    python tests/compat/check_all_estimators.py [--only NAME[,NAME...]] [--jobs N]
        [--timeout S] [--out PATH] [--report | --diagnose | --no-diagnose]

The full run writes results/all_checks.json, an ``--only`` run
results/subset.json (both beside this file), unless ``--out`` says otherwise.
``--report`` re-reads ``--out`` and prints the summary without running
anything; ``--diagnose`` re-runs only the diagnosis on it, with the wrapper
source of the commit it records. Worker logs go to results/logs/.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import traceback
import warnings
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "all_checks.json"
SUBSET_OUT = HERE / "results" / "subset.json"
WRAPPER_NAME = "VersionedEstimator"
FAILED = ("fail", "timeout", "crash")
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

# ----------------------------------------------------------------------------
# Categories: what the failure shows, its root cause in the wrapper, and whether
# the wrapper can fix it. ``categorize`` assigns them from the check and failure.
# ----------------------------------------------------------------------------

CATEGORIES: dict[str, dict[str, str]] = {
    "random_state only seeded at top level": {
        "cause": (
            "sklearn's set_random_state(est) sets random_state only when "
            "'random_state' is in est.get_params(); the wrapper exposes "
            "estimator__random_state, so an inner random_state=None stays None "
            "and two fits (or fit vs fit_transform) differ. Diagnosed: the "
            "same check passes once the inner random_state is fixed"
        ),
        "fix": (
            "cannot apply to any meta-estimator (a Pipeline or GridSearchCV "
            "around the same estimator fails alike); a wrapper-only "
            "workaround would be its own random_state parameter, forwarded in "
            "fit to every *random_state of the clone that is None"
        ),
        "fixable": "no",
    },
    "special-cased by class name in sklearn's checks": {
        "cause": (
            "the check branches on the class name: "
            "_choose_check_classifiers_labels (LabelPropagation, LabelSpreading, "
            "SelfTrainingClassifier get -1-style labels), n_samples=15 for "
            "'SpectralCoclustering', estimator.__class__.__name__ == "
            "'SkewedChi2Sampler' in _enforce_estimator_tags_X (X shifted >= 0), "
            "check_array_api_same_namespace accepting the inner estimator's "
            "namespace error only when it names f'{name}.{method}()'; "
            "the wrapper is 'VersionedEstimator'. Diagnosed: passes when the "
            "check gets the bare name (SkewedChi2Sampler: by the message, the "
            "test reads the object's class)"
        ),
        "fix": (
            "cannot apply to any meta-estimator: the exemption is keyed on the "
            "bare class name in scikit-learn's test code"
        ),
        "fixable": "no",
    },
    "positional args dropped (PLS transform(X, Y))": {
        "cause": (
            "delegated methods are (self, X, **params): PLS*/CCA transform(X, Y) "
            "raises 'takes 2 positional arguments but 3 were given'. As run "
            "(name 'VersionedEstimator') the check takes its non-PLS branch and "
            "fails first on fit_transform(X, y) returning a tuple; with the bare "
            "name it reaches transform(X, y_) and fails on the signature"
        ),
        "fix": (
            "wrapper: delegate positionals, e.g. def transform(self, X, *args, "
            "**params) -> self._fitted().transform(X, *args, **params), same for "
            "inverse_transform and predict; the name-keyed branch still fails "
            "under parametrize_with_checks (cannot apply)"
        ),
        "fixable": "partly",
    },
    "array API inputs": {
        "cause": (
            "tags copied from the inner estimator say array_api_support=True, "
            "but fit -> _capture -> schema_of (_provenance.py) reads "
            "X.dtype as a NumPy dtype and raises TypeError on array_api_strict "
            "arrays"
        ),
        "fix": (
            "wrapper: in _capture/schema_of/capture, take the namespace with "
            "sklearn.utils._array_api.get_namespace(X) and record dtypes as "
            "str(X.dtype) / probe via _convert_to_numpy, or skip the probe for "
            "non-NumPy namespaces"
        ),
        "fixable": "yes",
    },
    "sets or reads params directly on the object": {
        "cause": (
            "the check reads or sets an inner parameter on the estimator "
            "itself: set_params(class_weight=...), hasattr(est, 'alpha') -> "
            "set_params(alpha=0.01) (check_regressors_train), 'cv' in "
            "get_params() -> set_params(cv=splits) (sample_weight equivalence), "
            "hasattr -> est.n_components = 1 / est.n_clusters = 1 "
            "(subset invariance, fit2d_*), set_params(perplexity=, "
            "min_samples=) for TSNE/OPTICS, getattr(est, 'metric') == "
            "'precomputed' (_is_pairwise_metric); the wrapper has only "
            "estimator__<param>, so the setting is skipped (hasattr False) or "
            "rejected. Most of these checks are not yielded for the wrapper "
            "at all (in_wrapped=False)"
        ),
        "fix": (
            "cannot apply to any meta-estimator: its parameters are "
            "estimator__*, and forwarding unknown set_params/getattr would break "
            "get_params/clone"
        ),
        "fixable": "no",
    },
    "fit(**fit_params) hides sample_weight": {
        "cause": (
            "has_fit_parameter(wrapper, 'sample_weight') is False because fit is "
            "(X, y=None, **fit_params), so the check expects a 'sample_weight' "
            "TypeError instead of the inner's own answer (and all "
            "check_sample_weight_* checks are not yielded for the wrapper)"
        ),
        "fix": (
            "wrapper: expose the inner fit's signature, e.g. fit(self, X, y=None, "
            "sample_weight=None, **fit_params) when the inner fit takes "
            "sample_weight (a __signature__ computed from "
            "inspect.signature(self.estimator.fit))"
        ),
        "fixable": "yes",
    },
    "requires_fit=False not honoured (stateless)": {
        "cause": (
            "transform -> _fitted() -> check_is_fitted(self) / self.estimator_: "
            "an unfitted wrapper of a stateless transformer (tag "
            "requires_fit=False) raises AttributeError 'estimator_'"
        ),
        "fix": (
            "wrapper: in _fitted(), if 'estimator_' is absent and "
            "get_tags(self.estimator).requires_fit is False, return "
            "self.estimator (do not capture a probe)"
        ),
        "fixable": "yes",
    },
    "inner method not delegated (sparsify)": {
        "cause": (
            "est.sparsify()/densify() of linear models are not in "
            "DELEGATED_METHODS and __getattr__ forwards only fitted attributes "
            "('name_')"
        ),
        "fix": (
            "wrapper: add sparsify and densify as available_if(_inner_has(...)) "
            "methods that call the inner one, drop the cache and return self"
        ),
        "fixable": "yes",
    },
    "timeout or crash": {
        "cause": "the wrapped run hung past --timeout or killed its worker",
        "fix": "read the worker log under results/logs/",
        "fixable": "?",
    },
}

_NAME_SHIFTED_X = {"SkewedChi2Sampler"}  # _enforce_estimator_tags_X by class name
_SAMPLE_WEIGHT_SIGNATURE = {"check_classifiers_one_label_sample_weights"}
_SETS_PARAMS = {
    "check_class_weight_classifiers",  # set_params(class_weight=...)
    "check_class_weight_balanced_linear_classifier",
    "check_regressors_train",  # hasattr(est, "alpha") -> set_params(alpha=0.01)
    "check_sample_weight_equivalence_on_dense_data",  # set_params(cv=splits)
    "check_sample_weight_equivalence_on_sparse_data",
    "check_methods_subset_invariance",  # est.n_components = 1, est.n_clusters = 1
    "check_fit2d_1sample",  # the same, and set_params(perplexity=/min_samples=)
    "check_fit2d_1feature",
}


def _msg(res: dict[str, Any] | None) -> str:
    if not res:
        return ""
    return f"{res.get('type', '')}: {res.get('message', '')} @ {res.get('at', '')}"


def categorize(pair: dict[str, Any], est: dict[str, Any]) -> str:
    """Assign a category to a pair that passes bare and fails wrapped."""
    check, wrapped = pair["check"], pair["wrapped"]
    diagnosis = pair.get("diagnosis") or {}
    as_bare = diagnosis.get("as_bare_name") or {}
    seeded = diagnosis.get("seeded") or {}
    positional = re.compile(r"takes \d+ positional arguments? but \d+ were given")
    if wrapped["status"] in ("timeout", "crash"):
        return "timeout or crash"
    if est["name"] in _NAME_SHIFTED_X and "skewedness" in wrapped.get("message", ""):
        return "special-cased by class name in sklearn's checks"
    if "array_api" in check and as_bare.get("status") != "pass":
        return "array API inputs"
    if positional.search(_msg(wrapped)) or positional.search(_msg(as_bare)):
        return "positional args dropped (PLS transform(X, Y))"
    if seeded.get("status") == "pass":
        return "random_state only seeded at top level"
    if as_bare.get("status") == "pass":
        return "special-cased by class name in sklearn's checks"
    if "stateless" in check:
        return "requires_fit=False not honoured (stateless)"
    if check.startswith("check_sparsify"):
        return "inner method not delegated (sparsify)"
    if check.split("(")[0] in _SAMPLE_WEIGHT_SIGNATURE:
        return "fit(**fit_params) hides sample_weight"
    base = check.split("(")[0].split("#")[0]
    if base in _SETS_PARAMS or "metric='precomputed'" in est["repr"]:
        return "sets or reads params directly on the object"
    return "other: " + (wrapped.get("type") or "?")


# ----------------------------------------------------------------------------
# Worker side: one estimator, its check steps in order
# ----------------------------------------------------------------------------


def _configure_warnings() -> None:
    from scipy.linalg import LinAlgWarning
    from sklearn.exceptions import ConvergenceWarning

    warnings.resetwarnings()
    warnings.simplefilter("default")
    for category in (FutureWarning, ConvergenceWarning, UserWarning, LinAlgWarning):
        warnings.filterwarnings("ignore", category=category)


def _instances() -> list[Any]:
    from sklearn.utils._test_common.instance_generator import _tested_estimators

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return list(_tested_estimators())


def _check_id(check: Any) -> str:
    """``check_name`` or ``check_name(kw=value,...)``, as pytest ids them."""
    from functools import partial

    from sklearn.utils.estimator_checks import _check_name

    name = _check_name(check)
    keywords = check.keywords if isinstance(check, partial) else {}
    if not keywords:
        return name
    return name + "(" + ",".join(f"{k}={v}" for k, v in keywords.items()) + ")"


def _renamed(check: Any, name: str) -> Any:
    """The same check bound to another estimator name."""
    from functools import partial

    return partial(check.func, name, *check.args[1:], **check.keywords)


def _steps(estimator: Any) -> list[dict[str, Any]]:
    """Every (pair key, variant, instance, check) for one estimator, in order."""
    from sklearn.base import clone
    from sklearn.utils._test_common.instance_generator import (
        _get_expected_failed_checks,
    )
    from sklearn.utils.estimator_checks import (
        _check_name,
        estimator_checks_generator,
    )

    from versioned_estimator import VersionedEstimator

    name = type(estimator).__name__
    expected = _get_expected_failed_checks(estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bare = list(estimator_checks_generator(clone(estimator), mark=None))
        wrapped_top = VersionedEstimator(clone(estimator))
        try:
            wrapped = list(estimator_checks_generator(wrapped_top, mark=None))
        except Exception:  # the generator itself failed on the wrapper
            wrapped = []

    def keyed(pairs: list[tuple[Any, Any]]) -> list[tuple[str, Any, Any]]:
        seen: Counter[str] = Counter()
        out = []
        for inst, check in pairs:
            key = _check_id(check)
            seen[key] += 1
            if seen[key] > 1:
                key = f"{key}#{seen[key]}"
            out.append((key, inst, check))
        return out

    bare_keyed = keyed(bare)
    wrapped_keys = {key for key, _, _ in keyed(wrapped)}
    bare_keys = {key for key, _, _ in bare_keyed}
    steps = []
    for key, inst, check in bare_keyed:
        common = {
            "key": key,
            "check": _check_name(check),
            "expected_fail": expected.get(_check_name(check)),
            "in_bare": True,
            "in_wrapped": key in wrapped_keys,
        }
        steps.append({**common, "variant": "bare", "est": inst, "fn": check})
        steps.append(
            {
                **common,
                "variant": "wrapped",
                "est": VersionedEstimator(clone(inst)),
                "fn": _renamed(check, WRAPPER_NAME),
            }
        )
    for key, inst, check in keyed(wrapped):
        if key in bare_keys:
            continue
        common = {
            "key": key,
            "check": _check_name(check),
            "expected_fail": expected.get(_check_name(check)),
            "in_bare": False,
            "in_wrapped": True,
        }
        steps.append(
            {
                **common,
                "variant": "bare",
                "est": clone(inst.estimator),
                "fn": _renamed(check, name),
            }
        )
        steps.append({**common, "variant": "wrapped", "est": inst, "fn": check})
    return steps


def _frame(frame: traceback.FrameSummary, source: bool = False) -> str:
    path = frame.filename
    for marker in ("site-packages/", "/src/", "/versioned_estimator/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    text = f"{path}:{frame.lineno} in {frame.name}"
    if source and frame.line:
        text += f": {frame.line.strip()[:160]}"
    return text


def _where(exc: BaseException) -> dict[str, str]:
    """The deepest frame, and the deepest in the check and in the wrapper."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return {}
    where = {"at": _frame(frames[-1])}
    for key, marker in (
        ("check_at", "estimator_checks.py"),
        ("wrapper_at", "versioned_estimator"),
    ):
        found = [f for f in frames if marker in f.filename]
        if found:
            where[key] = _frame(found[-1], source=True)
    return where


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else ""
    return line[:300]


def _run_one(step: dict[str, Any]) -> dict[str, Any]:
    from sklearn.utils._testing import SkipTest

    start = time.perf_counter()
    try:
        step["fn"](step["est"])
    except SkipTest as exc:
        result = {"status": "skip", "message": _first_line(exc)}
    except Exception as exc:
        result = {
            "status": "fail",
            "type": type(exc).__name__,
            "message": _first_line(exc),
            **_where(exc),
        }
    else:
        result = {"status": "pass"}
    result["seconds"] = round(time.perf_counter() - start, 3)
    return result


def _diag_steps(estimator: Any, keys: list[str]) -> list[dict[str, Any]]:
    """Re-runs of failing wrapped checks, each changed in one way.

    ``as_bare_name``: the check bound to the bare class name (does scikit-learn
    special-case the name?); ``seeded``: every ``random_state`` of the inner
    estimator left at None set to 0 (does the check rely on
    ``set_random_state`` reaching the inner estimator?).
    """
    from sklearn.base import clone

    name = type(estimator).__name__
    wanted = set(keys)
    steps = []
    for step in _steps(estimator):
        if step["variant"] != "wrapped" or step["key"] not in wanted:
            continue
        seeded = clone(step["est"])
        fixed = {
            k: 0
            for k, v in seeded.get_params(deep=True).items()
            if k.endswith("random_state") and v is None
        }
        seeded.set_params(**fixed)
        steps.append(
            {
                **step,
                "variant": "as_bare_name",
                "est": clone(step["est"]),
                "fn": _renamed(step["fn"], name),
            }
        )
        steps.append({**step, "variant": "seeded", "est": seeded})
    return steps


META = ("key", "check", "variant", "expected_fail", "in_bare", "in_wrapped")


def worker(index: int, start: int, keys_file: str | None = None) -> None:
    """Run the steps of estimator ``index`` from ``start``, one JSON line each."""
    # The protocol gets the real stdout; whatever the checks print goes to stderr.
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    _configure_warnings()
    estimator = _instances()[index]
    if keys_file is None:
        steps = _steps(estimator)
    else:
        steps = _diag_steps(estimator, json.loads(Path(keys_file).read_text()))
    import versioned_estimator

    event = {
        "event": "steps",
        "src": versioned_estimator.__file__,
        "meta": [{k: step[k] for k in META} for step in steps],
    }
    proto.write(json.dumps(event) + "\n")
    for number in range(start, len(steps)):
        proto.write(json.dumps({"event": "begin", "step": number}) + "\n")
        result = _run_one(steps[number])
        proto.write(json.dumps({"event": "end", "step": number, "result": result}))
        proto.write("\n")
    proto.write(json.dumps({"event": "done"}) + "\n")
    proto.close()


# ----------------------------------------------------------------------------
# Parent side: workers, timeouts, restarts
# ----------------------------------------------------------------------------


def _snapshot_src(commit: str = "HEAD") -> tuple[str, str]:
    """A copy of the wrapper's source, so that one run measures one version.

    Others may edit src/ during a long run: the workers import src/versioned_estimator
    as committed in ``commit`` (the installed package outside git),
    from a temporary folder (under tests/, pytest's doctests would collect it).
    """
    import shutil
    import tarfile
    import tempfile
    from io import BytesIO

    import versioned_estimator

    package = Path(versioned_estimator.__file__).resolve().parent
    target = tempfile.mkdtemp(prefix="versioned-estimator-src-")
    root = _git_root()
    if root is not None:
        rel = package.relative_to(root)
        archive = subprocess.run(
            ["git", "archive", commit, rel.as_posix()], cwd=root, capture_output=True
        )
        if archive.returncode == 0 and archive.stdout:
            with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
                tar.extractall(target, filter="data")
            return str(Path(target) / rel.parent), f"git {commit} of this repository"
    shutil.copytree(
        package,
        Path(target) / package.name,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return target, str(package)


def _git(cwd: Path, *cmd: str) -> str:
    try:
        return subprocess.run(
            ["git", *cmd], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _git_root() -> Path | None:
    """The work tree holding the installed (editable) versioned_estimator."""
    import versioned_estimator

    package = Path(versioned_estimator.__file__).resolve().parent
    top = _git(package, "rev-parse", "--show-toplevel")
    return Path(top) if top else None


def _git_state() -> dict[str, Any]:
    root = _git_root()
    if root is None:
        return {"commit": None, "src_dirty": None}
    return {
        "commit": _git(root, "rev-parse", "HEAD") or None,
        "src_dirty": bool(_git(root, "status", "--porcelain", "--", "src")),
    }


_SRC: str | None = None


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    if _SRC is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            [_SRC, *filter(None, [env.get("PYTHONPATH")])]
        )
    env["SCIPY_ARRAY_API"] = "1"
    for var in THREAD_VARS:
        env[var] = "1"
    env.pop("PYTHONWARNINGS", None)
    return env


def _reader(stream: Any, out: queue.Queue[Any]) -> None:
    for line in stream:
        out.put(line)
    out.put(None)


def drive(
    index: int, log_path: Path, timeout: float, extra: tuple[str, ...] = ()
) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]], list[str]]:
    """Step metadata, step results and worker errors of one estimator.

    A check that hangs past ``timeout`` or kills the worker is recorded as
    ``timeout`` / ``crash``, and a new worker goes on after it.
    """
    meta: list[dict[str, Any]] = []
    results: dict[int, dict[str, Any]] = {}
    errors: list[str] = []
    start = 0
    n_steps: int | None = None
    with open(log_path, "w") as log:
        while n_steps is None or start < n_steps:
            cmd = [sys.executable, __file__, "--worker", str(index), str(start)]
            proc = subprocess.Popen(
                [*cmd, *extra],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=_worker_env(),
            )
            lines: queue.Queue[Any] = queue.Queue()
            threading.Thread(
                target=_reader, args=(proc.stdout, lines), daemon=True
            ).start()
            current: int | None = None
            outcome = None
            limit = max(timeout, 300.0)  # start-up: import + step generation
            while True:
                try:
                    line = lines.get(timeout=limit)
                except queue.Empty:
                    outcome = "timeout"
                    break
                if line is None:
                    outcome = "crash"
                    break
                event = json.loads(line)
                if event["event"] == "steps":
                    meta = event["meta"]
                    n_steps = len(meta)
                elif event["event"] == "begin":
                    current = event["step"]
                    limit = timeout
                elif event["event"] == "end":
                    results[event["step"]] = event["result"]
                    start = event["step"] + 1
                    current = None
                elif event["event"] == "done":
                    break
            if outcome == "crash":
                # stdout closed: let it finish dying, for its exit code.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=30)
            if outcome is not None and proc.poll() is None:
                proc.kill()
            proc.wait()
            if outcome is None:
                break
            if current is None:
                # Died or hung outside a check (start-up): nothing more to run.
                errors.append(f"{outcome} outside a check (rc {proc.returncode})")
                break
            log.flush()
            results[current] = {
                "status": outcome,
                "message": f"no result after {timeout:g}s"
                if outcome == "timeout"
                else f"worker exited with {proc.returncode}",
            }
            print(f"  {log_path.stem}: step {current} {outcome}; go on", flush=True)
            start = current + 1
    return meta, results, errors


def _pairs(
    meta: list[dict[str, Any]], results: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Step results -> one dict per check pair, bare and wrapped side by side."""
    pairs: dict[str, dict[str, Any]] = {}
    for number, step in enumerate(meta):
        pair = pairs.setdefault(
            step["key"],
            {
                "check": step["key"],
                "in_bare": step["in_bare"],
                "in_wrapped": step["in_wrapped"],
                "expected_fail": step["expected_fail"],
            },
        )
        pair[step["variant"]] = results.get(number, {"status": "missing"})
    for pair in pairs.values():
        pair["regression"] = (
            pair["bare"]["status"] == "pass"
            and pair["wrapped"]["status"] in FAILED
            and not pair["expected_fail"]
        )
    return list(pairs.values())


def _pool_map(jobs: int, fn: Any, items: list[Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(fn, items))


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every check pair of the chosen estimators."""
    estimators = _instances()
    only = {n.strip() for n in args.only.split(",")} if args.only else None
    chosen = [
        (i, type(e).__name__, repr(e))
        for i, e in enumerate(estimators)
        if only is None or type(e).__name__ in only
    ]
    if only:
        missing = only - {name for _, name, _ in chosen}
        if missing:
            sys.exit(f"not in _tested_estimators(): {', '.join(sorted(missing))}")
    logdir = Path(args.out).parent / "logs"
    logdir.mkdir(parents=True, exist_ok=True)
    print(
        f"{len(chosen)} instances, {args.jobs} jobs, {args.timeout:g}s per check",
        flush=True,
    )
    started = time.perf_counter()
    done = 0

    def one(item: tuple[int, str, str]) -> dict[str, Any]:
        nonlocal done
        index, name, text = item
        t0 = time.perf_counter()
        log = logdir / f"{index:03d}_{name}.log"
        meta, results, errors = drive(index, log, args.timeout)
        pairs = _pairs(meta, results)
        done += 1
        n_reg = sum(p["regression"] for p in pairs)
        print(
            f"[{done}/{len(chosen)}] {name}: {len(pairs)} pairs, {n_reg} pass bare "
            f"& fail wrapped ({time.perf_counter() - t0:.0f}s)"
            + (f" WORKER ERROR {errors} (see {log})" if errors else ""),
            flush=True,
        )
        return {
            "index": index,
            "name": name,
            "repr": text,
            "seconds": round(time.perf_counter() - t0, 1),
            "worker_errors": errors,
            "checks": pairs,
        }

    results = _pool_map(args.jobs, one, chosen)
    import sklearn

    from versioned_estimator import __version__

    return {
        "meta": {
            "scikit-learn": sklearn.__version__,
            "versioned-estimator": __version__,
            "python": sys.version.split()[0],
            "git": _git_state(),
            "jobs": args.jobs,
            "timeout": args.timeout,
            "only": sorted(only) if only else None,
            "seconds": round(time.perf_counter() - started, 1),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
        "estimators": results,
    }


def diagnose(data: dict[str, Any], args: argparse.Namespace) -> None:
    """Re-run each pass-bare/fail-wrapped check as_bare_name and seeded."""
    import tempfile

    todo = [est for est in data["estimators"] if any(_regressions(est))]
    print(f"diagnosing {sum(len(list(_regressions(e))) for e in todo)} pairs")
    logdir = Path(args.out).parent / "logs"
    logdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:

        def one(est: dict[str, Any]) -> None:
            pairs = {p["check"]: p for p in _regressions(est)}
            keys = Path(tmp) / f"{est['index']}.json"
            keys.write_text(json.dumps(sorted(pairs)))
            log = logdir / f"{est['index']:03d}_{est['name']}.diagnose.log"
            meta, results, _ = drive(
                est["index"], log, args.timeout, ("--keys", str(keys))
            )
            for number, step in enumerate(meta):
                pair = pairs[step["key"]]
                pair.setdefault("diagnosis", {})[step["variant"]] = results.get(
                    number, {"status": "missing"}
                )

        _pool_map(args.jobs, one, todo)
    data["meta"]["diagnose_seconds"] = round(time.perf_counter() - started, 1)


def _regressions(est: dict[str, Any]) -> Any:
    return (p for p in est["checks"] if p["regression"])


# ----------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------


def summarize(data: dict[str, Any]) -> dict[str, Any]:
    """Recompute categories and the summary from the per-pair records."""
    by_category: dict[str, list[dict[str, Any]]] = defaultdict(list)
    statuses: Counter[str] = Counter()
    n_pairs = n_expected = 0
    for est in data["estimators"]:
        for pair in est["checks"]:
            n_pairs += 1
            if pair["expected_fail"]:
                n_expected += 1
            statuses[f"{pair['bare']['status']}/{pair['wrapped']['status']}"] += 1
            pair["category"] = categorize(pair, est) if pair["regression"] else None
            if pair["regression"]:
                by_category[pair["category"]].append(
                    {
                        "estimator": est["name"],
                        "check": pair["check"],
                        "in_wrapped": pair["in_wrapped"],
                    }
                )
    every = [p for est in data["estimators"] for p in est["checks"]]
    summary = {
        "instances": len(data["estimators"]),
        "check_pairs": n_pairs,
        "expected_to_fail_bare": n_expected,
        "yielded_for_bare_only": sum(p["in_wrapped"] is False for p in every),
        "yielded_for_wrapped_only": sum(p["in_bare"] is False for p in every),
        "bare/wrapped status": dict(statuses.most_common()),
        "pass_bare_fail_wrapped": sum(len(v) for v in by_category.values()),
        "pass_bare_fail_wrapped_yielded_for_wrapper": sum(
            p["in_wrapped"] is True for v in by_category.values() for p in v
        ),
        "categories": {
            name: {
                "count": len(items),
                "yielded_for_wrapper": sum(p["in_wrapped"] is True for p in items),
                **CATEGORIES.get(name, {}),
                "pairs": sorted(f"{p['estimator']}:{p['check']}" for p in items),
            }
            for name, items in sorted(by_category.items(), key=lambda kv: -len(kv[1]))
        },
    }
    data["summary"] = summary
    return summary


def print_summary(data: dict[str, Any]) -> None:
    summary = data["summary"]
    meta = data["meta"]
    print()
    print(
        f"scikit-learn {meta['scikit-learn']}, versioned-estimator "
        f"{meta['versioned-estimator']} ({(meta.get('git') or {}).get('commit')}), "
        f"run {meta['seconds']:.0f}s, diagnosis {meta.get('diagnose_seconds', 0):.0f}s"
    )
    print(f"instances:                  {summary['instances']}")
    print(f"check pairs:                {summary['check_pairs']}")
    print(f"  expected to fail (bare):  {summary['expected_to_fail_bare']}")
    print(f"  yielded for bare only:    {summary['yielded_for_bare_only']}")
    print(f"  yielded for wrapped only: {summary['yielded_for_wrapped_only']}")
    print(
        f"pass bare, fail wrapped:    {summary['pass_bare_fail_wrapped']} "
        f"({summary['pass_bare_fail_wrapped_yielded_for_wrapper']} of them yielded "
        "by scikit-learn for the wrapper too)"
    )
    print()
    print("bare/wrapped statuses:")
    for key, count in summary["bare/wrapped status"].items():
        print(f"  {key:20s} {count}")
    print()
    print("count (yielded for wrapper)  category  [fixable in the wrapper]")
    for name, cat in summary["categories"].items():
        print(
            f"{cat['count']:5d} ({cat['yielded_for_wrapper']:3d})  {name}"
            f"  [{cat.get('fixable', '?')}]"
        )
        if "cause" in cat:
            print(f"       cause: {cat['cause']}")
            print(f"       fix:   {cat['fix']}")
        checks = Counter(item.split(":", 1)[1].split("(")[0] for item in cat["pairs"])
        for check, count in checks.most_common(10):
            print(f"         {count:4d} x {check}")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        keys = argv[4] if argv[3:4] == ["--keys"] else None
        worker(int(argv[1]), int(argv[2]), keys)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="class names, comma separated")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--out", help="JSON results (default: see above)")
    parser.add_argument(
        "--report", action="store_true", help="summarize --out, run nothing"
    )
    parser.add_argument(
        "--diagnose", action="store_true", help="re-diagnose --out, then summarize"
    )
    parser.add_argument(
        "--no-diagnose", action="store_true", help="skip the diagnostic re-runs"
    )
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = str(SUBSET_OUT if args.only else DEFAULT_OUT)
    out = Path(args.out)
    global _SRC
    commit = "HEAD"
    if args.report or args.diagnose:
        data = json.loads(out.read_text())
        commit = (data["meta"].get("git") or {}).get("commit") or "HEAD"
    if not args.report:
        _SRC, source = _snapshot_src(commit)
        try:
            if not args.diagnose:
                data = run(args)
                data["meta"]["wrapper_source"] = source
            if not args.no_diagnose:
                diagnose(data, args)
                data["meta"]["diagnose_wrapper_source"] = source
        finally:
            import shutil

            shutil.rmtree(_SRC, ignore_errors=True)
    summarize(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1) + "\n")
    print_summary(data)
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
