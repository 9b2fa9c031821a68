"""Format checks of Russian requisites (INN, OGRN, passport)."""

import re

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _control(digits, weights):
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def is_valid_inn(value):
    """INN of a legal entity (10 digits) or an individual (12 digits), with checksum."""
    if not value or not re.fullmatch(r"\d{10}|\d{12}", value):
        return False
    digits = [int(c) for c in value]
    if len(digits) == 10:
        return _control(digits, _INN10_WEIGHTS) == digits[9]
    return _control(digits, _INN12_WEIGHTS_1) == digits[10] and _control(digits, _INN12_WEIGHTS_2) == digits[11]


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
