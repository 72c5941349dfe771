"""Check in a fresh interpreter which heavy modules a piece of code imports (other tests may have loaded them)."""

from __future__ import annotations

import subprocess
import sys


def imports_tensorflow(code: str) -> bool:
    """Whether running ``code`` in a new interpreter leaves ``tensorflow`` in ``sys.modules``."""
    return imports(code, "tensorflow")


def imports(code: str, module: str) -> bool:
    """Whether running ``code`` in a new interpreter leaves ``module`` in ``sys.modules``."""
    probe = f"{code}\nimport sys\nprint({module!r} in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return result.stdout.strip().splitlines()[-1] == "True"
