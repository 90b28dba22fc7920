"""Spreadsheet imports: the shared kit and the importers built on it.

The kit (``files``, ``columns``, ``report``) turns an uploaded XLSX or CSV into rows of
text keyed by column, whatever the order, case or diacritics of the file's headers; it
refuses a file that is too large, of the wrong type or damaged with one clear message
(``ImportFileError``), and collects each bad cell as a ``RowError`` (the row number as the
spreadsheet shows it, the file's header, the message). An importer checks every row first
and writes only when no row is wrong (all or nothing), in the caller's one transaction,
with one audit event; the check and the write are the same code run twice, so what was
previewed is what is written.

Importers: ``roster`` (union members), ``trees`` (the two organisation trees, in and out),
``cases`` (cases already under way at go-live, through ``services.case_intake``).
"""
