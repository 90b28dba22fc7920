"""The filled KNĐ forms and certificates (issue 12): one registry of papers
(``content.PAPERS``), each built from the case's own records into one data structure
(``sheet``) that two renderers draw (``render``: PDF through WeasyPrint, DOCX through
python-docx); downloads, logged as exports of personal records, and the bulk job
(``downloads``)."""
