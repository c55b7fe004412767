"""One text message segment: the GSM-7 characters it may hold, and at most 160 of them.

A longer text, or one with a single character outside GSM-7 (an emoji, a curly quote), goes
out as several segments, each billed, that may arrive apart; a sign-in code must not.
"""
SEGMENT = 160
# GSM 03.38's basic alphabet (its extension table, { } [ ] € and more, costs two each).
GSM7 = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
APP_NAME_MAX = 30  # with the code and its words, leaves 40 characters for the host


def one_segment(text: str) -> bool:
    """Whether ``text`` is sent as a single GSM-7 segment."""
    return len(text) <= SEGMENT and all(ch in GSM7 for ch in text)
