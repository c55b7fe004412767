"""Phone numbers: parse what a person typed into E.164, decide if we may send to it, mask it."""
import phonenumbers
from phonenumbers import PhoneNumberType

# Types a person can answer; premium-rate, shared-cost, VoIP and the rest cost us or the
# person money, or feed SMS-pumping fraud (Twilio "Preventing Toll Fraud").
ALLOWED_TYPES = {
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def parse_phone(text: str, default_region: str, countries: list[str]) -> str:
    """Return ``text`` as an E.164 number we may send to, or raise ValueError with why not."""
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise ValueError("Enter a phone number, for example +1 201 555 0123.") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("That is not a valid phone number. Check the digits and country code.")
    if phonenumbers.region_code_for_number(number) not in countries:
        raise ValueError("We cannot send codes to phone numbers in that country.")
    if phonenumbers.number_type(number) not in ALLOWED_TYPES:
        raise ValueError(
            "Use a mobile or landline number: we do not send codes to premium-rate, "
            "shared-cost or internet (VoIP) numbers."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """Show only the last two digits: ``+12015550123`` becomes ``+•••••••••23``."""
    return "+" + "•" * (len(e164) - 3) + e164[-2:]


def number_prefix(e164: str) -> str:
    """The number without its last three digits, the unit of the per-prefix send limit."""
    return e164[:-3]


def country_of(e164: str) -> str:
    """The ISO country code of an E.164 number ("US"), the unit of the per-country send limit."""
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164)) or "ZZ"
