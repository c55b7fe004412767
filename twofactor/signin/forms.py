"""One form per page; field validators give the message shown next to each field."""
from flask import current_app, request
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, RadioField, SelectChoice, StringField, SubmitField
from wtforms.validators import EqualTo, InputRequired, Length, Regexp, ValidationError

from ..account.passwords import PasswordRules
from ..extensions import db
from ..factors import backup_codes
from ..models import User
from ..numbers import parse_phone
from ..providers.verify import provider
from .codes import PROVIDER_CODE, normalize
from .sending import channels

# Phones must not capitalise a name: "Alice" and "alice" are one account, but say it plainly.
USERNAME_INPUT = {"autocapitalize": "none", "autocorrect": "off", "spellcheck": "false"}
# No name holds a control character, and PostgreSQL refuses NUL in a query.
NO_CONTROL_CHARACTERS = Regexp(r"^[^\x00-\x1f\x7f]*\Z",
                               message="Control characters are not allowed.")
CHANNELS = [SelectChoice("sms", "Text message"), SelectChoice("voice", "Phone call")]
WHATSAPP = SelectChoice("whatsapp", "WhatsApp")  # only where the Verify provider offers it


class Form(FlaskForm):
    """A form of text fields only: a file part sent where text belongs is simply absent."""

    def __init__(self, formdata=None, **kwargs):
        # Flask-WTF would mix request.files in, and a file is no text (it raised a TypeError).
        if formdata is None and self.is_submitted():
            formdata = request.form
        super().__init__(formdata=formdata, **kwargs)


class SignupForm(Form):
    """Step 1 of the tutorial, collect: who the person is and where their phone is."""

    # The description is the hint under the field, so people know the rule before breaking it.
    # \Z, not $: "$" also matches before a final newline, letting "alice\n" pose as alice
    username = StringField("Username", render_kw=USERNAME_INPUT, description="3 to 64 letters, "
                           "digits, dots (.), dashes (-) or underscores (_).", validators=[
        InputRequired(), Length(min=3, max=64),
        Regexp(r"^[A-Za-z0-9_.-]+\Z", message="Use letters, digits, dots, dashes or underscores.")])
    password = PasswordField("Password", validators=[
        InputRequired(), Length(min=8, max=128, message="Use 8 to 128 characters."),
        PasswordRules()])
    confirm = PasswordField("Password again", validators=[
        InputRequired(), EqualTo("password", message="The two passwords do not match.")])
    phone = StringField("Phone number", validators=[InputRequired(), Length(max=32)])
    channel = RadioField("Send my codes by", choices=CHANNELS, default="sms")
    submit = SubmitField("Create account")

    TAKEN = "That username is taken. Please choose another."
    name_taken = False  # the view counts such answers: they tell who has an account

    def validate_username(self, field):
        """Refuse a name that is already taken, in any letter case."""
        if field.errors:  # not a valid name (PostgreSQL refuses some characters outright)
            return
        if db.session.scalar(db.select(User.id).where(User.username_key == field.data.lower())):
            self.name_taken = True
            raise ValidationError(self.TAKEN)

    def validate_phone(self, field):
        """Replace what was typed with its E.164 form, or say what is wrong with it."""
        cfg = current_app.config
        try:
            field.e164 = parse_phone(field.data, cfg["PHONE_DEFAULT_REGION"],
                                     cfg["PHONE_COUNTRIES"])
        except ValueError as error:
            raise ValidationError(str(error)) from None


class LoginForm(Form):
    """The password step: only the username and password (the next page offers the factors)."""

    username = StringField("Username", render_kw=USERNAME_INPUT, validators=[
        InputRequired(), Length(max=64), NO_CONTROL_CHARACTERS])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=128)])
    submit = SubmitField("Continue")


class CodeForm(Form):
    """Step 3 of the tutorial, compare: the code the person received (or their app shows)."""

    code = StringField("Code", validators=[InputRequired(message="Enter the 6-digit code.")])
    submit = SubmitField("Verify")

    def validate_code(self, field):
        """Accept "123 456" or "123-456"; refuse anything but six digits without counting a guess."""
        field.digits = normalize(field.data)
        if field.digits is None:
            raise ValidationError("The code is 6 digits, like 123456.")


class PhoneCodeForm(CodeForm):
    """The code sent to the phone: ours has 6 digits, a Verify provider's 4 to 10."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if provider() is not None:
            self.code.validators = [InputRequired(message="Enter the code we sent you.")]

    def validate_code(self, field):
        """Accept spaces and dashes; refuse what cannot be the code without counting a guess."""
        if provider() is None:
            return super().validate_code(field)
        field.digits = normalize(field.data, PROVIDER_CODE)
        if field.digits is None:
            raise ValidationError("The code is 4 to 10 digits, like 12345.")
        return None


class BackupCodeForm(Form):
    """One of the account's saved backup codes."""

    code = StringField("Backup code", validators=[
        InputRequired(message="Enter one of your backup codes.")])
    submit = SubmitField("Verify")

    def validate_code(self, field):
        """Accept any case, with or without dashes and spaces; refuse what cannot be one."""
        field.clean = backup_codes.normalize(field.data)
        if field.clean is None:
            raise ValidationError("A backup code has 16 letters and digits, like "
                                  "ABCD-EFGH-JKLM-NPQR.")


class KeyForm(Form):
    """A security key's answer, put in the hidden field by static/webauthn.js after the browser's
    prompt; without JavaScript it stays empty and nothing is checked."""

    credential = HiddenField(validators=[InputRequired(
        message="Press the button, then touch your security key when the browser asks.")])


class ResendForm(Form):
    """"Send a new code", "Call me instead", "Text me instead": the button says which channel."""

    channel = RadioField(choices=CHANNELS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "whatsapp" in channels():
            self.channel.choices = [*CHANNELS, WHATSAPP]


class LogoutForm(Form):
    """Sign out (a POST, so a link on another site cannot sign anyone out)."""
