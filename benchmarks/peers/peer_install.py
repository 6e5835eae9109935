"""Install the benchmark's peer evaluators into benchmarks/.peers/, never as project dependencies.

moto comes from PyPI (pip --target), @cloud-copilot/iam-simulate from the npm registry (npm --prefix).
Both are pinned so runs compare like with like; both installs are skipped when already present.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

PEERS = Path(__file__).resolve().parent.parent / ".peers"
MOTO = "moto==5.2.1"
IAM_SIMULATE = "@cloud-copilot/iam-simulate@0.1.173"


def ensure_moto() -> str | None:
    """Make `moto` importable; return None when it is, else why it is not."""
    try:
        import moto.iam.access_control  # noqa: F401
    except ImportError:
        target = PEERS / "python"
        sys.path.insert(0, str(target))
        try:
            import moto.iam.access_control  # noqa: F401
        except ImportError:
            done = subprocess.run(
                [sys.executable, "-m", "pip", "install", "-q", "--target", str(target), MOTO],
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                return f"pip install {MOTO} failed: {done.stderr.strip()[-300:]}"
            import moto.iam.access_control  # noqa: F401
    return None


def ensure_iam_simulate() -> str | None:
    """Install iam-simulate under benchmarks/.peers/node_modules; return None when ready, else why not."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node and npm are needed for iam-simulate"
    if (PEERS / "node_modules" / "@cloud-copilot" / "iam-simulate" / "package.json").exists():
        return None
    PEERS.mkdir(parents=True, exist_ok=True)
    (PEERS / ".gitignore").write_text("*\n")
    done = subprocess.run(
        ["npm", "install", "--prefix", str(PEERS), "--no-audit", "--no-fund", "--no-save", IAM_SIMULATE],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return f"npm install {IAM_SIMULATE} failed: {done.stderr.strip()[-300:]}"
    return None
