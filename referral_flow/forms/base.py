"""The base forms: WTForms' built-in messages through the application's catalogue."""
from __future__ import annotations

from flask_babel import get_translations
from flask_wtf import FlaskForm


class CatalogueTranslations:
    """What WTForms asks of ``Meta.get_translations``: ``gettext``/``ngettext`` of the
    request's locale, from the app's catalogue. WTForms formats the result itself, so this
    must not apply ``%`` as Flask-Babel's ``gettext`` does."""

    def gettext(self, string: str) -> str:
        return get_translations().gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ngettext(singular, plural, n)


TRANSLATIONS = CatalogueTranslations()


class Form(FlaskForm):
    """Every form of the app: CSRF (Flask-WTF) and translated built-in messages."""

    class Meta:
        def get_translations(self, form):
            return TRANSLATIONS


class RowForm(Form):
    """One row of a bulk table, inside ``FieldList(FormField(...))``: the page's form
    carries the CSRF token, so a row has none of its own."""

    class Meta:
        csrf = False


class EmptyForm(Form):
    """Only the CSRF token: for one-button actions and forms whose inputs the view reads."""
