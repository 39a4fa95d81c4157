"""Python runtime of mlxk: a worker process that loads and runs MLX models."""

import os
import sys

__version__ = "0.1.0"
PROTOCOL_VERSION = 1


def _drop_cwd_from_sys_path() -> None:
    # Started without -I/-P, Python puts cwd first on sys.path; a model directory used as cwd could then
    # shadow stdlib or mlx_lm modules with its own *.py files. Everything imported after this is safe.
    if sys.path and sys.path[0] in ("", ".", os.getcwd()):
        del sys.path[0]


_drop_cwd_from_sys_path()
