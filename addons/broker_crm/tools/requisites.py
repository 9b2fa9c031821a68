"""Format checks of Russian requisites (INN, OGRN, passport)."""

import re

from stdnum.ru import inn as stdnum_inn


def is_valid_inn(value):
    """INN of a legal entity (10 digits) or an individual (12 digits), with its check digits.

    Written as digits only (no spaces or other signs); the check digits are python-stdnum's.
    """
    if not value or not re.fullmatch(r"\d{10}|\d{12}", value):
        return False
    return stdnum_inn.is_valid(value)


def is_valid_ogrn(value):
    """OGRN (13 digits) or OGRNIP (15 digits), with checksum."""
    if not value or not re.fullmatch(r"\d{13}|\d{15}", value):
        return False
    body, check = int(value[:-1]), int(value[-1])
    modulus = 11 if len(value) == 13 else 13
    return body % modulus % 10 == check


def is_valid_phone(value):
    """A phone number people can dial: 10 to 15 digits, only usual separators."""
    if not value or not re.fullmatch(r"[+\d\s().\-]+", value):
        return False
    return 10 <= len(re.sub(r"\D", "", value)) <= 15
