"""One form per account page."""
from wtforms import IntegerField, PasswordField, RadioField, SelectChoice, StringField, SubmitField
from wtforms.validators import EqualTo, InputRequired, Length

from ..signin.forms import NO_CONTROL_CHARACTERS, USERNAME_INPUT, CodeForm, Form, KeyForm
from ..signin.sending import channels
from .passwords import PasswordRules


class ConfirmForm(Form):
    """How to prove it's you before a change: the button pressed says which factor."""

    method = RadioField(choices=[SelectChoice("sms", "Text me a code"),
                                 SelectChoice("voice", "Call me"),
                                 SelectChoice("app", "Use your authenticator app"),
                                 SelectChoice("key", "Use your security key"),
                                 SelectChoice("backup", "Use a backup code")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "whatsapp" in channels():  # only where the Verify provider offers it
            self.method.choices = [*self.method.choices,
                                   SelectChoice("whatsapp", "WhatsApp me a code")]


class UsualFactorForm(Form):
    """Which factor the second step of a sign-in opens on."""

    factor = RadioField("At sign-in, start with", choices=[
        SelectChoice("phone", "A code sent to my phone"),
        SelectChoice("app", "My authenticator app"),
        SelectChoice("key", "My security key")])
    submit = SubmitField("Save")


class AddKeyForm(KeyForm):
    """A new security key: the browser registers it, the person names it."""

    name = StringField("Name", description="So you can tell your keys apart, like "
                       "\"YubiKey\" or \"Laptop\".",
                       validators=[InputRequired(message="Give the key a name."),
                                   Length(max=64, message="Use at most 64 characters."),
                                   NO_CONTROL_CHARACTERS])


class AppSetupForm(CodeForm):
    """The first code the new authenticator app shows: proof it was set up right."""

    submit = SubmitField("Turn on")


class RemoveKeyForm(Form):
    """Remove a security key: the button pressed says which."""

    key = IntegerField(validators=[InputRequired()])


class ActionForm(Form):
    """A change with nothing to type (turn something off, make new codes): a POST with CSRF."""


class ForgotForm(Form):
    """Which account's password to reset."""

    username = StringField("Username", render_kw=USERNAME_INPUT,
                           validators=[InputRequired(), Length(max=64), NO_CONTROL_CHARACTERS])
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
