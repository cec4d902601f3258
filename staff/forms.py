from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from core.roles import ROLE_LABELS


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])


def _one_or_more(_form, field) -> None:
    """At least one role; unlike DataRequired it puts no `required` on each checkbox, which would make the
    browser ask for every role to be ticked."""
    if not field.data:
        raise ValidationError(_l("Choose at least one role."))


def _roles_field():
    return SelectMultipleField(_l("Roles"), choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()],
                               validators=[_one_or_more], widget=ListWidget(prefix_label=False),
                               option_widget=CheckboxInput())


class StaffEditForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)])
    roles = _roles_field()
    branch = StringField(_l("Branch"), validators=[Optional(), Length(max=100)])
    staff_code = StringField(_l("Staff code"), validators=[Optional(), Length(max=40)])
    phone = StringField(_l("Phone shown to clients ({staff_phone})"), validators=[Optional(), Length(max=30)])
    qualification_no = StringField(_l("Qualification number (投资咨询从业资格, such as Z0012345)"),
                                   validators=[Optional(), Length(max=30)])


class StaffForm(StaffEditForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password (at least 8 characters)"), validators=[DataRequired(), Length(min=8, max=200)])


class NewPasswordForm(FlaskForm):
    new = PasswordField(_l("New password (at least 8 characters)"),
                        validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(_l("New password again"),
                            validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))])


class PasswordForm(NewPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
