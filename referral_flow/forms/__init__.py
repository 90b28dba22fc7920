"""The form kit every screen builds on.

- ``Form``: Flask-WTF's form whose WTForms built-in messages ("This field is required.",
  "Not a valid integer value.", …) come in the user's language; ``RowForm`` for one row of
  a bulk table (``FieldList(FormField(RowForm))``, the page's form carries the CSRF token);
  ``EmptyForm`` for one-button actions (only the CSRF token).
- Field types that accept what people type and, when they refuse it, show it back with a
  translated message: ``TextField``/``NoteField`` (cleaned text), ``DayField`` (dd/mm/yyyy
  whatever the browser's language), ``NumberField`` (a whole number within bounds),
  ``ChoiceField``/``RadioChoiceField``.
- Validators with translated messages: ``required``, ``optional``, ``longest``,
  ``no_markup`` (one policy: no ``<`` or ``>``), ``new_password`` (the password policy).
- ``query_text()``: the one cleaner of a list's search box.

Why WTForms' messages go through the app's catalogue rather than a ``wtforms`` domain of
their own: Flask-WTF looks them up in WTForms' catalogue, which has no Vietnamese. Shipping a
second catalogue would need its own update and compile commands and its own completeness
check. Instead ``Form.Meta.get_translations`` answers from Flask-Babel's translations of the
request, and ``wtforms_messages.py`` lists WTForms' msgids so that ``pybabel extract`` copies
them into messages.pot: ``pybabel update`` keeps them, the translators see them with every
other message, and tests/unit/test_translations.py checks their Vietnamese. A test compares
that list with the installed WTForms' ``wtforms.pot``, so an upgrade that adds a message
fails until it is listed and translated.
"""
from .base import EmptyForm, Form, RowForm
from .fields import (ChoiceField, DayField, NoteField, NumberField, RadioChoiceField,
                     TextField, options)
from .filters import clean_text, one_line, person_name, without_separators
from .query import query_text
from .validators import (email, longest, name_characters, new_password, no_markup,
                         not_in_future, optional, phone, required)

__all__ = ["ChoiceField", "DayField", "EmptyForm", "Form", "NoteField", "NumberField",
           "RadioChoiceField", "RowForm", "TextField", "clean_text", "email", "longest",
           "name_characters", "new_password", "no_markup", "not_in_future", "one_line",
           "optional", "options", "person_name", "phone", "query_text", "required",
           "without_separators"]
