from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp


class ImportForm(FlaskForm):
    file = FileField(_l("File (CSV or XLSX)"), validators=[FileRequired()])


class ReviewForm(FlaskForm):
    quarter = StringField(_l("Quarter"), validators=[
        DataRequired(), Length(max=8),
        Regexp(r"^\s*\d{4}\s*-?\s*[Qq][1-4]\s*$", message=_l("Write the quarter as 2026Q3."))])


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change something."""


class ConsentForm(FlaskForm):
    how = StringField(_l("How the client asked"), validators=[DataRequired(), Length(max=120)])
