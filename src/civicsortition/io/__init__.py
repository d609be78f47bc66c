"""Files in and out, in the formats practitioners already use: the only place that opens files.

Every data file the package reads or writes -- CSV tables, JSON artefacts, the command line's
outputs (and its output directories), an experiment grid's results -- is opened by a module of
this package; the rest of ``civicsortition``, the command line included, works on objects and
paths.

* :mod:`~civicsortition.io.tables` -- :class:`~civicsortition.io.tables.Table` (header, rows
  and the line of every row) and :func:`~civicsortition.io.tables.open_table`, which reads one
  from a path, a text stream, memory or a registered kind of source
  (:data:`~civicsortition.io.tables.SOURCE_KINDS`); CSV writing with formula neutralisation;
* one module per record kind, both directions: :mod:`~civicsortition.io.targets`,
  :mod:`~civicsortition.io.census`, :mod:`~civicsortition.io.people`,
  :mod:`~civicsortition.io.frames` (address frames and invitation lists),
  :mod:`~civicsortition.io.registrations`, :mod:`~civicsortition.io.votes`;
* :mod:`~civicsortition.io.artefacts` -- every JSON artefact: the ``select`` result, the
  lottery, the draw record, the invitation and replacement records, the audit report, the
  results of experiment grids;
* :mod:`~civicsortition.io.files` -- checking the outputs of a run up front and writing them
  atomically.

Readers accept a path or an open text stream (a ``str`` is a path), or a
:class:`~civicsortition.io.tables.Table` built in memory. Files may be UTF-8 with or without a
byte-order mark, delimited by commas, semicolons or tabs (detected from the header line);
header names are matched case-insensitively and without surrounding spaces; blank lines are
skipped; extra columns are ignored. Every reader reports *all* row problems of a file in one
:class:`~civicsortition.errors.InputError`, each with the file, the line number (header = line
1), the column and the value. Nothing the caller passed is modified.

Formats
-------
targets
    ``feature,value,min,max[,min_flex,max_flex]``; the aliases ``category,name,...`` and
    ``category,feature,...`` are accepted too.
census
    ``category,value,share`` where the last column is ``share`` (fractions of 1), ``percent``
    or ``count`` (population counts; ``population`` is an alias); ``feature``/``name`` are
    accepted for the first two columns as in targets.
address frame
    ``address`` (or ``address_id``/``id``) plus any strata columns (``district``, a flag).
people
    One row per person, one column per category, optionally an id column and a household
    column; any other columns (names, contact details) are carried through untouched to the
    selected/remaining files and never read by the library.

Names are loaded on first use: reading a targets file loads neither the lottery nor a solver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .artefacts import (
        ALTERNATES_FILL_FORMAT,
        ALTERNATES_FORMAT,
        AlternatesRecord,
        append_grid_results,
        canonical_json,
        read_alternates,
        read_draw_record,
        read_grid_results,
        read_json_object,
        read_lottery,
        read_panel,
        read_result,
        read_result_document,
        report_document,
        result_distribution,
        try_result_distribution,
        write_alternates,
        write_alternates_fill,
        write_draw_record,
        write_invitation_record,
        write_json,
        write_lottery,
        write_markdown,
        write_replacement,
        write_report_json,
        write_report_markdown,
        write_result,
    )
    from .census import read_census, write_census
    from .dataframes import read_dataframe
    from .frames import (
        read_address_frame,
        read_cluster_sizes,
        read_inclusion_probabilities,
        read_invited,
        write_address_frame,
        write_invitations,
    )
    from .people import (
        PeopleTable,
        keep_columns,
        read_id_list,
        read_people,
        write_people,
        write_selected_and_remaining,
    )
    from .registrations import read_registrations, write_registration_records, write_registrations
    from .settings import PeerSettings, read_settings
    from .spreadsheets import read_sheet, sheet_names, write_workbook
    from .tables import (
        FORMULA_START,
        SOURCE_KINDS,
        MissingDependencyError,
        Source,
        SourceKind,
        Table,
        TableSource,
        cell_to_text,
        formula_like,
        open_table,
        split_sheet,
        write_table,
    )
    from .targets import read_targets, write_targets
    from .votes import VOTE_WORDS, read_votes, write_votes

#: Public name -> the module that defines it (loaded on first access).
_EXPORTS: dict[str, str] = {
    "ALTERNATES_FILL_FORMAT": ".artefacts",
    "ALTERNATES_FORMAT": ".artefacts",
    "AlternatesRecord": ".artefacts",
    "read_alternates": ".artefacts",
    "read_panel": ".artefacts",
    "write_alternates": ".artefacts",
    "write_alternates_fill": ".artefacts",
    "write_markdown": ".artefacts",
    "write_census": ".census",
    "write_address_frame": ".frames",
    "read_id_list": ".people",
    "write_registration_records": ".registrations",
    "write_votes": ".votes",
    "append_grid_results": ".artefacts",
    "canonical_json": ".artefacts",
    "read_draw_record": ".artefacts",
    "read_grid_results": ".artefacts",
    "read_json_object": ".artefacts",
    "read_lottery": ".artefacts",
    "read_result": ".artefacts",
    "read_result_document": ".artefacts",
    "report_document": ".artefacts",
    "result_distribution": ".artefacts",
    "try_result_distribution": ".artefacts",
    "write_draw_record": ".artefacts",
    "write_invitation_record": ".artefacts",
    "write_json": ".artefacts",
    "write_lottery": ".artefacts",
    "write_replacement": ".artefacts",
    "write_report_json": ".artefacts",
    "write_report_markdown": ".artefacts",
    "write_result": ".artefacts",
    "read_census": ".census",
    "read_address_frame": ".frames",
    "read_cluster_sizes": ".frames",
    "read_inclusion_probabilities": ".frames",
    "read_invited": ".frames",
    "write_invitations": ".frames",
    "PeopleTable": ".people",
    "keep_columns": ".people",
    "PeerSettings": ".settings",
    "read_settings": ".settings",
    "read_people": ".people",
    "write_people": ".people",
    "write_selected_and_remaining": ".people",
    "read_registrations": ".registrations",
    "write_registrations": ".registrations",
    "FORMULA_START": ".tables",
    "SOURCE_KINDS": ".tables",
    "Source": ".tables",
    "SourceKind": ".tables",
    "Table": ".tables",
    "TableSource": ".tables",
    "formula_like": ".tables",
    "open_table": ".tables",
    "MissingDependencyError": ".tables",
    "cell_to_text": ".tables",
    "split_sheet": ".tables",
    "write_table": ".tables",
    "read_dataframe": ".dataframes",
    "read_sheet": ".spreadsheets",
    "sheet_names": ".spreadsheets",
    "write_workbook": ".spreadsheets",
    "read_targets": ".targets",
    "write_targets": ".targets",
    "VOTE_WORDS": ".votes",
    "read_votes": ".votes",
}

__all__ = [
    "ALTERNATES_FILL_FORMAT",
    "ALTERNATES_FORMAT",
    "FORMULA_START",
    "SOURCE_KINDS",
    "VOTE_WORDS",
    "AlternatesRecord",
    "MissingDependencyError",
    "PeerSettings",
    "PeopleTable",
    "Source",
    "SourceKind",
    "Table",
    "TableSource",
    "append_grid_results",
    "canonical_json",
    "cell_to_text",
    "formula_like",
    "keep_columns",
    "open_table",
    "read_address_frame",
    "read_alternates",
    "read_census",
    "read_cluster_sizes",
    "read_dataframe",
    "read_draw_record",
    "read_grid_results",
    "read_id_list",
    "read_inclusion_probabilities",
    "read_invited",
    "read_json_object",
    "read_lottery",
    "read_panel",
    "read_people",
    "read_registrations",
    "read_result",
    "read_result_document",
    "read_settings",
    "read_sheet",
    "read_targets",
    "read_votes",
    "report_document",
    "result_distribution",
    "sheet_names",
    "split_sheet",
    "try_result_distribution",
    "write_address_frame",
    "write_alternates",
    "write_alternates_fill",
    "write_census",
    "write_draw_record",
    "write_invitation_record",
    "write_invitations",
    "write_json",
    "write_lottery",
    "write_markdown",
    "write_people",
    "write_registration_records",
    "write_registrations",
    "write_replacement",
    "write_report_json",
    "write_report_markdown",
    "write_result",
    "write_selected_and_remaining",
    "write_table",
    "write_targets",
    "write_votes",
    "write_workbook",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
