"""Entry point for `pulumi up` (Pulumi.yaml: main: stacks/). Pulumi runs this file with stacks/ on sys.path."""

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
# Import the program as the package `stacks` from the repository root, never its modules as top-level names.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from stacks.program import main  # noqa: E402

main()
