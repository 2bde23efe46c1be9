"""Models really written by another scikit-learn, for proving the server refuses them.

Hand-editing a manifest's ``sklearn_version`` only tests the manifest check. A pickle
or skops file that another scikit-learn wrote carries that version inside (each
estimator's pickled state), and only loading it shows whether the server notices. So
this builds a second virtual environment from PyPI wheels, pinned by
``foreign-sklearn-constraints.txt`` (scikit-learn 1.8.0, the rest as in Drydock's
constraints), once per constraints content under ``<state_dir>/foreign-sklearn/``, and
fits the demo's model (iris, scaler + logistic regression) in it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import venv
from dataclasses import dataclass
from pathlib import Path

CONSTRAINTS = Path(__file__).with_name("foreign-sklearn-constraints.txt")

#: Run in the foreign environment: fit the demo's estimator, write it in ``format`` to
#: stdout, as training.py and artifact.py would there.
_FIT_AND_WRITE = """
import pickle, sys
import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

fmt = sys.argv[1]
data = load_iris()
estimator = Pipeline([("scale", StandardScaler()),
                      ("classify", LogisticRegression(max_iter=1000, random_state=0))])
estimator.fit(data.data, data.target)
if fmt == "skops":
    import skops.io
    payload = skops.io.dumps(estimator)
else:
    payload = pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL)
sys.stderr.write(sklearn.__version__)
sys.stdout.buffer.write(payload)
"""


class ForeignEnvironmentError(RuntimeError):
    """The second environment could not be built (PyPI unreachable, a pin withdrawn)."""


@dataclass(frozen=True)
class ForeignModel:
    sklearn_version: str
    estimator: str  # class path, as the manifest records it
    model_bytes: bytes


def pinned_version() -> str:
    for line in CONSTRAINTS.read_text().splitlines():
        if line.startswith("scikit-learn=="):
            return line.split("==", 1)[1].strip()
    raise ForeignEnvironmentError(f"{CONSTRAINTS} pins no scikit-learn")


def foreign_python(cache_dir: Path) -> Path:
    """The foreign environment's interpreter, built on first use (about a minute)."""
    key = hashlib.sha256(CONSTRAINTS.read_bytes()).hexdigest()[:12]
    home = cache_dir / f"foreign-sklearn-{key}"
    python = home / "bin" / "python"
    if (home / ".complete").exists():
        return python
    partial = home.with_suffix(".partial")
    shutil.rmtree(partial, ignore_errors=True)
    venv.EnvBuilder(with_pip=True, symlinks=True).create(partial)
    requirements = [
        line for line in CONSTRAINTS.read_text().splitlines() if line and line[0] != "#"
    ]
    done = subprocess.run(
        [
            str(partial / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--only-binary=:all:",
            "--constraint",
            str(CONSTRAINTS),
            *requirements,
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if "is ignored" not in line]
        raise ForeignEnvironmentError(
            f"cannot build the scikit-learn {pinned_version()} environment from PyPI: "
            + " ".join(errors)[-600:]
        )
    shutil.rmtree(home, ignore_errors=True)
    partial.rename(home)
    # venv wrote absolute paths to ``partial`` into its scripts; the interpreter itself
    # (a symlink to this Python) works from either place, and it is all we run.
    (home / ".complete").write_text(CONSTRAINTS.read_text())
    return python


def fit_foreign_model(cache_dir: Path, model_format: str = "pickle") -> ForeignModel:
    """The demo's model, fitted and serialised by the pinned foreign scikit-learn."""
    done = subprocess.run(
        [str(foreign_python(cache_dir)), "-c", _FIT_AND_WRITE, model_format],
        capture_output=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise ForeignEnvironmentError(done.stderr.decode(errors="replace")[-600:])
    version = done.stderr.decode().strip().splitlines()[-1]
    if version != pinned_version() or version == _our_sklearn():
        raise ForeignEnvironmentError(
            f"the foreign environment runs scikit-learn {version}, expected "
            f"{pinned_version()} (and not this environment's {_our_sklearn()})"
        )
    return ForeignModel(version, "sklearn.pipeline.Pipeline", done.stdout)


def _our_sklearn() -> str:
    import sklearn

    return sklearn.__version__


__all__ = ["ForeignModel", "fit_foreign_model", "foreign_python", "pinned_version"]
