"""`python -I -m mlxk_runtime.launch ARGS`: mlx.launch, unchanged but for how it waits for I/O.

mlx.launch forwards its own stdin to every rank and waits with `select` on the ranks' stdin pipes, which are always
writable, and on its own stdin, which at EOF is always readable: each of its threads spins and the launcher burns
about half a core for as long as the group runs. A worker group never reads stdin, so this waits only for the
ranks' output and leaves everything else (hostfile, ssh launch script, rank environment, teardown) to mlx.launch.
"""

from __future__ import annotations

import select
import sys
from typing import Any

from mlx._distributed_utils import launch as mlx_launch


def _output_only_select(rlist: list[Any], _wlist: list[Any], xlist: list[Any], timeout: float | None = None) -> Any:
    stdin = sys.stdin.fileno()
    return select.select([fd for fd in rlist if fd != stdin], [], xlist, timeout)


def main() -> None:
    mlx_launch.select = _output_only_select  # type: ignore[attr-defined]
    mlx_launch.main()


if __name__ == "__main__":
    main()
