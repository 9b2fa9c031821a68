"""The tax service's public check of the self-employed status (НПД) by INN.

POST {"inn": "...", "requestDate": "YYYY-MM-DD"} to the service's URL answers
{"status": true | false, "message": "..."}: whether the person is registered as a payer of the
professional income tax (422-FZ) on that date. Redirects are never followed.
"""

import requests

DEFAULT_URL = "https://statusnpd.nalog.ru/api/v1/tracker/taxpayer_status"
DEFAULT_TIMEOUT = 10.0


class NpdStatusUnavailable(Exception):
    """The service did not give a usable answer: nothing may be concluded about the status."""


def check_npd_status(url, inn, on_date, timeout=DEFAULT_TIMEOUT):
    """(is self-employed on the date, the service's message); raises NpdStatusUnavailable."""
    try:
        response = requests.post(
            url, json={"inn": inn, "requestDate": on_date.isoformat()}, timeout=timeout, allow_redirects=False
        )
    except requests.Timeout as error:
        raise NpdStatusUnavailable(f"no answer within {timeout:g} s") from error
    except requests.RequestException as error:
        raise NpdStatusUnavailable(f"connection failed ({type(error).__name__})") from error
    if response.status_code != 200:
        raise NpdStatusUnavailable(f"HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as error:
        raise NpdStatusUnavailable("the answer is not JSON") from error
    status = data.get("status") if isinstance(data, dict) else None
    if not isinstance(status, bool):
        raise NpdStatusUnavailable("the answer has no status")
    return status, str(data.get("message") or "")[:500]
