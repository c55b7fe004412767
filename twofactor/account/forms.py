"""One form per account page."""
from wtforms import PasswordField, RadioField, SelectChoice, StringField, SubmitField
from wtforms.validators import EqualTo, InputRequired, Length

from ..signin.forms import USERNAME_INPUT, CodeForm, Form
from .passwords import PasswordRules


class ConfirmForm(Form):
    """How to prove it's you before a change: the button pressed says which factor."""

    method = RadioField(choices=[SelectChoice("sms", "Text me a code"),
                                 SelectChoice("voice", "Call me"),
                                 SelectChoice("app", "Use your authenticator app"),
                                 SelectChoice("backup", "Use a backup code")])


class UsualFactorForm(Form):
    """Which factor the second step of a sign-in opens on."""

    factor = RadioField("At sign-in, start with", choices=[
        SelectChoice("phone", "A code sent to my phone"),
        SelectChoice("app", "My authenticator app")])
    submit = SubmitField("Save")


class AppSetupForm(CodeForm):
    """The first code the new authenticator app shows: proof it was set up right."""

    submit = SubmitField("Turn on")


class ActionForm(Form):
    """A change with nothing to type (turn something off, make new codes): a POST with CSRF."""


class ForgotForm(Form):
    """Which account's password to reset."""

    username = StringField("Username", render_kw=USERNAME_INPUT,
                           validators=[InputRequired(), Length(max=64)])
    submit = SubmitField("Continue")


class NewPasswordForm(Form):
    """The new password, twice; the view sets ``account_name`` for the password rules."""

    account_name = None

    password = PasswordField("New password", validators=[
        InputRequired(), Length(min=8, max=128, message="Use 8 to 128 characters."),
        PasswordRules()])
    confirm = PasswordField("New password again", validators=[
        InputRequired(), EqualTo("password", message="The two passwords do not match.")])
    submit = SubmitField("Change password")
