"""The embedded example's INPUT files, so that every command in the docs can be run as printed.

:func:`write_example_inputs` (``python -m civicsortition example --out DIR``) writes:

``frame.csv``
    The synthetic address frame (40,000 addresses: ``address,district,low_response``).
``census.csv``
    The synthetic census as exact shares (``category,value,share``).
``registrations.csv``
    The registrations the addresses invited with :data:`EXAMPLE_INVITATION_SEED` send back
    (``id,name,address,sex,birth_date,education,district,eligible``), defects included.
``targets.csv``
    Quotas for the panel from the census (largest remainder, ±1 seat, at least one seat per
    value) with their provenance columns -- what ``quotas --panel-size 36 --floors
    --provenance`` writes.
``people.csv``
    The embedded pool of 240 registrants (``id,sex,age,education,district,address``).
``votes.csv``
    SIMULATED ballots (``member,recommendation,vote``) of everyone in ``people.csv`` and
    ``registrations.csv`` on three recommendations, so that a panel drawn from either can be
    tallied (``tally --ignore-non-members``).

:func:`write_demo_inputs` writes the same six files for the inputs of a :func:`rustavi_demo`
run (the people file is then the validated registrations, the ballots the final members').
"""

from __future__ import annotations

import os
from pathlib import Path

from ..census import Census
from ..invitations import AddressFrame, Stratified, invite, plan_letters
from ..io import (
    write_address_frame,
    write_census,
    write_people,
    write_registration_records,
    write_registrations,
    write_targets,
    write_votes,
)
from ..quotas import Band, Quotas, build_quotas
from .demo import DEMO_INVITATION_SEED, DemoRun, simulated_votes
from .rustavi import (
    rustavi_address_frame,
    rustavi_registrations,
    rustavi_synthetic_census,
    rustavi_synthetic_pool,
)

__all__ = ["EXAMPLE_FILES", "EXAMPLE_INVITATION_SEED", "EXAMPLE_RESERVES",
           "EXAMPLE_TARGET_POOL", "write_demo_inputs", "write_example_inputs"]

#: The files :func:`write_example_inputs` writes.
EXAMPLE_FILES = ("frame.csv", "census.csv", "registrations.csv", "targets.csv", "people.csv",
                 "votes.csv")
#: The public seed of the invitation draw the example's registrations answer.
EXAMPLE_INVITATION_SEED = DEMO_INVITATION_SEED
#: The letter plan's target pool and response rates (as in ``demo``).
EXAMPLE_TARGET_POOL = 300
EXAMPLE_RESPONSE_RATE = (0.05, 0.08)
#: Reserves of the invitation draw (a tenth of the letters, as in ``demo``).
EXAMPLE_RESERVES = plan_letters(EXAMPLE_TARGET_POOL, EXAMPLE_RESPONSE_RATE).letters // 10


def _quotas(census: Census, panel_size: int) -> Quotas:
    return build_quotas(census, panel_size, method="largest-remainder", band=Band.seats(1),
                        floors=True)


def _write_common(out: Path, frame: AddressFrame, census: Census,
                  records: list[dict[str, object]], quotas: Quotas) -> None:
    write_address_frame(out / "frame.csv", frame)
    write_census(out / "census.csv", census)
    write_registration_records(out / "registrations.csv", records)
    write_targets(out / "targets.csv", quotas, provenance=True)


def write_example_inputs(directory: str | os.PathLike[str], *, panel_size: int = 36
                         ) -> dict[str, str]:
    """Write the embedded example's input files (see the module docstring) into ``directory``.

    Parameters
    ----------
    directory : path
        An existing directory; the files are written atomically, replacing any there.
    panel_size : int
        Seats the targets are built for.

    Returns
    -------
    dict
        File name -> what it holds, in :data:`EXAMPLE_FILES` order.
    """
    out = Path(directory)
    census = rustavi_synthetic_census()
    frame = rustavi_address_frame()
    plan = plan_letters(EXAMPLE_TARGET_POOL, EXAMPLE_RESPONSE_RATE)
    invitations = invite(frame, Stratified(plan.letters, by="district",
                                           population=census.shares("district")),
                         EXAMPLE_INVITATION_SEED, reserves=EXAMPLE_RESERVES)
    records = rustavi_registrations(invitations, frame)
    quotas = _quotas(census, panel_size)
    _write_common(out, frame, census, records, quotas)
    people = rustavi_synthetic_pool(quotas)
    write_people(out / "people.csv", people, people.pool.ids)
    voters = [*people.pool.ids, *sorted({str(r["id"]) for r in records})]
    write_votes(out / "votes.csv", simulated_votes(voters))
    return {"frame.csv": f"address frame, {frame.n} addresses",
            "census.csv": "census shares",
            "registrations.csv": f"{len(records)} registrations answering the letters drawn "
                                 f"with seed {EXAMPLE_INVITATION_SEED!r} "
                                 f"({plan.letters} letters, {EXAMPLE_RESERVES} reserves)",
            "targets.csv": f"quotas for {panel_size} seats, with provenance",
            "people.csv": f"pool of {people.pool.n} people (id column id, households in "
                          "address)",
            "votes.csv": "simulated ballots of everyone in people.csv and registrations.csv"}


def write_demo_inputs(directory: str | os.PathLike[str], run: DemoRun) -> None:
    """Write the inputs of a :func:`~civicsortition.examples.demo.rustavi_demo` run.

    The same six files as :func:`write_example_inputs`; ``people.csv`` is the run's validated
    registrations and ``votes.csv`` the simulated ballots of its final members.

    Parameters
    ----------
    directory : path
        An existing directory.
    run : DemoRun
    """
    out = Path(directory)
    records = rustavi_registrations(run.invitations, run.frame)
    _write_common(out, run.frame, run.census, records, run.quotas)
    write_registrations(out / "people.csv", run.registrations)
    write_votes(out / "votes.csv", simulated_votes(run.replacement.panel))
