"""The package's loggers: ``logging.getLogger("civicsortition")`` and one child per area.

Importing this module attaches a :class:`logging.NullHandler` to the ``"civicsortition"``
logger, so that an application that configures no logging sees nothing (and gets no "no
handlers could be found" warning), while one that does -- ``logging.basicConfig(level=
logging.INFO)`` -- sees what a run did. Levels:

* ``INFO`` -- the stages of a run: setup (people, types, panel size), each fast-path or staged
  stage, and the final result (algorithm, minimum, bound, gap, seconds);
* ``DEBUG`` -- every solver call (backend, kind, size, status, seconds).

Records carry counts, sizes, stage names and figures only: never a person's id, a household
key or any value of an individual person (a test asserts it on the embedded example).
"""

from __future__ import annotations

import logging

__all__ = ["LOGGER_NAME", "get_logger"]

#: Name of the package's root logger.
LOGGER_NAME = "civicsortition"

logging.getLogger(LOGGER_NAME).addHandler(logging.NullHandler())


def get_logger(area: str) -> logging.Logger:
    """The logger of one area of the package, e.g. ``"algorithms.leximin"`` or ``"backends"``.

    Parameters
    ----------
    area : str
        Dotted name below ``"civicsortition"`` (empty: the package's logger itself).

    Returns
    -------
    logging.Logger
    """
    return logging.getLogger(f"{LOGGER_NAME}.{area}" if area else LOGGER_NAME)
