"""The forms of the pages that look after an account: new number, new password, deletion."""
from wtforms import PasswordField, RadioField, StringField, SubmitField
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from ..signin.forms import CHANNELS, USERNAME_INPUT, Form, SignupForm
from .passwords import PasswordRules


class NewPhoneForm(Form):
    """The new number, checked exactly as at sign-up, and how its code should come."""

    phone = StringField("New phone number", validators=[InputRequired(), Length(max=32)])
    channel = RadioField("Send the code by", choices=CHANNELS, default="sms")
    submit = SubmitField("Send a code to the new number")

    validate_phone = SignupForm.validate_phone  # the one place numbers are judged


class ChangePasswordForm(Form):
    """The current password, then the new one twice; the view sets ``account_name``."""

    account_name = None
    current = PasswordField("Current password", validators=[InputRequired(), Length(max=128)],
                            render_kw={"autocomplete": "current-password"})
    password = PasswordField("New password", render_kw={"autocomplete": "new-password"},
                             validators=[InputRequired(), Length(
                                 min=8, max=128, message="Use 8 to 128 characters."),
                                 PasswordRules()])
    confirm = PasswordField("New password again", render_kw={"autocomplete": "new-password"},
                            validators=[InputRequired(), EqualTo(
                                "password", message="The two passwords do not match.")])
    submit = SubmitField("Change password")

    def validate_password(self, field):
        """A new password must be new."""
        if field.data and field.data == self.current.data:
            raise ValidationError("Choose a password different from your current one.")


class DeleteAccountForm(Form):
    """The username, typed out, so an account is never deleted by a stray click."""

    username = StringField("Type your username to confirm", render_kw=USERNAME_INPUT,
                           validators=[InputRequired(), Length(max=64)])
    submit = SubmitField("Delete my account")
