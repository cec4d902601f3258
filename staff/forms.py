from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from core.roles import ROLE_LABELS


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class StaffForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)])
    roles = SelectMultipleField(_l("Roles"), choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()],
                                validators=[DataRequired()], widget=ListWidget(prefix_label=False),
                                option_widget=CheckboxInput())
    branch = StringField(_l("Branch"), validators=[Optional(), Length(max=100)])
    staff_code = StringField(_l("Staff code"), validators=[Optional(), Length(max=40)])
    phone = StringField(_l("Phone shown to clients ({staff_phone})"), validators=[Optional(), Length(max=30)])
    password = PasswordField(_l("Password (at least 8 characters)"), validators=[DataRequired(), Length(min=8, max=200)])
