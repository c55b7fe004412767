"""The abuse policy's numbers: which keys each action is counted under, and its rules.

Two kinds of send. A code to a **confirmed** number (sign-in) is only sent after the right
password, so it is limited per account, plus a high site-wide safety cap. A code to an
**unconfirmed** number (sign-up) needs no password: it is how SMS pumping and phone flooding
work, so it also has tight limits per client network, per destination number, per prefix, per
country and site-wide. The two never share a counter, so traffic aimed at unconfirmed numbers
cannot stop anyone's sign-in code. Every number is a setting in config.py.
"""
import ipaddress

from flask import current_app

from ..models import User, utcnow
from ..numbers import country_of, number_prefix
from .limits import Delay, Rule

AGAIN = "You can ask for a new one in {}."


def client_network(ip: str) -> str:
    """What per-address limits count: an IPv4 address, or the /64 an IPv6 address is in (one
    cheap server or home line has a whole /64)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip or "unknown"
    if address.version == 6 and address.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(getattr(address, "ipv4_mapped", None) or address)


def cooldown_key(user_id: int) -> str:
    """The key of the wait between two codes; a used code clears it."""
    return f"send:cooldown:{user_id}"


def send_keys(user: User, network: str, confirmed: bool, number: str | None = None) -> list[str]:
    """The keys one send to ``user``'s phone (or to the unconfirmed ``number`` it is changing
    to) is counted under."""
    if confirmed:
        return [f"send:account:{user.id}", cooldown_key(user.id), "send:confirmed"]
    number = number or user.phone
    return [f"send:account:{user.id}", cooldown_key(user.id), f"send:network:{network}",
            f"send:number:{number}", f"send:prefix:{number_prefix(number)}",
            f"send:country:{country_of(number)}", "send:unconfirmed"]


def send_rules(user: User, network: str, confirmed: bool, number: str | None = None) -> list[Rule]:
    """The limits a send must pass, the person's own first so their message comes first."""
    cfg = current_app.config
    number = number or user.phone
    rules = [Rule(cooldown_key(user.id), 1, cfg["SEND_COOLDOWN"], "cooldown",
                  "A code was just sent. " + AGAIN)]
    rules += [Rule(f"send:account:{user.id}", n, window, "account",
                   "You have asked for many codes. " + AGAIN)
              for n, window in cfg["SEND_LIMITS_ACCOUNT"]]
    if confirmed:
        return rules + [Rule("send:confirmed", *cfg["SEND_LIMIT_CONFIRMED_GLOBAL"], "global",
                             "Sending codes is paused for everyone. Please try again in {}.")]
    rules += [Rule(f"send:network:{network}", n, window, "network",
                   "Many codes were asked for from your network. Try again in {}.")
              for n, window in cfg["SEND_LIMITS_NETWORK"]]
    rules += [Rule(f"send:number:{number}", n, window, "number",
                   "Many codes were sent to this number lately. Try again in {}.")
              for n, window in cfg["SEND_LIMITS_NUMBER"]]
    return rules + [
        Rule(f"send:prefix:{number_prefix(number)}", *cfg["SEND_LIMIT_PREFIX"], "prefix",
             "We are sending few codes to numbers like yours. Try again in {}."),
        Rule(f"send:country:{country_of(number)}", *cfg["SEND_LIMIT_COUNTRY"], "country",
             "We are sending few codes to your country right now. Try again in {}."),
        Rule("send:unconfirmed", *cfg["SEND_LIMIT_GLOBAL"], "global_unconfirmed",
             "Codes for new accounts are paused for everyone. Please try again in {}."),
    ]


def notice_keys(user: User) -> list[str]:
    """A security notice counts as a send to the account's confirmed number."""
    return [f"send:account:{user.id}", "send:confirmed"]


def notice_rules(user: User) -> list[Rule]:
    """A security notice goes only within the account's hourly and daily send limits."""
    cfg = current_app.config
    return [Rule(f"send:account:{user.id}", n, window, "account", AGAIN)
            for n, window in cfg["SEND_LIMITS_ACCOUNT"]] + [
        Rule("send:confirmed", *cfg["SEND_LIMIT_CONFIRMED_GLOBAL"], "global", AGAIN)]


def guess_key(user_id: int) -> str:
    """The key of an account's wrong second-factor entries."""
    return f"guess:account:{user_id}"


def guess_rules(user_id: int) -> list[Rule]:
    """The account's budget of wrong codes in a rolling window."""
    cfg = current_app.config
    return [Rule(guess_key(user_id), cfg["GUESS_BUDGET"], cfg["GUESS_WINDOW"], "budget",
                 "Too many wrong codes were entered for this account. For your safety, "
                 "codes from your phone and app, and your security keys, are paused for {}. "
                 "If you saved backup codes, one of them still works.")]


def guess_delay(user: User) -> Delay:
    """The wait after several wrong entries in a row; any factor that works ends the run."""
    cfg = current_app.config
    since = utcnow() - cfg["GUESS_WINDOW"]
    last_right = user.factor_ok_at
    return Delay(guess_key(user.id), cfg["GUESS_DELAY_AFTER"], max(since, last_right or since),
                 cfg["GUESS_DELAY"], cfg["GUESS_DELAY_MAX"], "delay",
                 "Several wrong codes were entered in a row. For your safety, wait {} "
                 "before trying again.")


def password_name_key(username: str) -> str:
    """Failed passwords count per typed name, the same whether or not it exists."""
    return f"password:account:{username.lower()}"


def password_network_key(network: str) -> str:
    """Failed passwords count per client network too."""
    return f"password:network:{network}"


def password_keys(username: str, network: str) -> list[str]:
    """The keys one failed password is counted under."""
    return [password_name_key(username), password_network_key(network)]


def password_delays(username: str, network: str) -> list[Delay]:
    """The waits after several failed passwords for one name, or from one network."""
    cfg = current_app.config
    since = utcnow() - cfg["PASSWORD_WINDOW"]
    account, network_key = password_keys(username, network)
    return [Delay(account, cfg["PASSWORD_DELAY_AFTER"], since, cfg["PASSWORD_DELAY"],
                  cfg["PASSWORD_DELAY_MAX"], "password_account",
                  "Too many failed sign-ins for this username. Try again in {}."),
            Delay(network_key, cfg["PASSWORD_DELAY_AFTER_NETWORK"], since,
                  cfg["PASSWORD_DELAY"], cfg["PASSWORD_DELAY_MAX"], "password_network",
                  "Too many failed sign-ins from your network. Try again in {}.")]


def account_keys(user: User) -> list[str]:
    """Every key that counts against one account, for an operator's reset."""
    return [f"send:account:{user.id}", cooldown_key(user.id), guess_key(user.id),
            password_name_key(user.username)]


def network_keys(network: str) -> list[str]:
    """Every key that counts against one client network, for an operator's reset."""
    return [f"send:network:{network}", f"signup:network:{network}",
            f"recovery:network:{network}",
            password_network_key(network)]


def recovery_rules(network: str) -> list[Rule]:
    """Password resets started, per client network: each one tells whether a name can reset."""
    return [Rule(f"recovery:network:{network}", *current_app.config["RECOVERY_LIMIT_NETWORK"],
                 "recovery", "Many password resets were asked for from your network. "
                 "Try again in {}.")]


def signup_rules(network: str) -> list[Rule]:
    """Accounts made, and "that name is taken" answers, per client network."""
    return [Rule(f"signup:network:{network}", *current_app.config["SIGNUP_LIMIT_NETWORK"],
                 "signup", "Many accounts were made from your network. Try again in {}.")]
