import ipaddress
import json
from urllib.parse import urlsplit

import requests

from .base import BureauConnector, ConnectorError, ConnectorPage, ConnectorTemporaryError

# Why a URL is refused (see url_problem); the Odoo side words them for the user.
URL_PROBLEMS = {
    "empty": "no URL",
    "characters": "user info, backslashes and blanks are not allowed in the URL",
    "invalid": "the URL is not valid",
    "scheme": "only http and https addresses are allowed",
    "host": "the host is not in the allowed bureau hosts",
}


def _normal_host(host):
    """Lower-case host name without the final dot; an IP address in its canonical form."""
    host = host.strip().lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return host


def parse_allowed_hosts(text):
    """``"api.bureau.ru, *.nbki.ru"`` -> ``{"api.bureau.ru", "*.nbki.ru"}`` (lower case)."""
    return {_normal_host(host) for host in (text or "").split(",") if host.strip()}


def url_problem(url, allowed_hosts):
    """Key of :data:`URL_PROBLEMS` saying why ``url`` must not be called, or ``None``.

    Only http(s) to a host of the allow-list: an entry is a host name or
    address, ``*.domain`` also admits its subdomains. Local addresses are no
    exception, they pass only when listed. Anything parsers could read two
    ways (user info, backslashes, blanks) is refused outright, so the host
    checked here is the host ``requests`` connects to.
    """
    url = (url or "").strip()
    if not url:
        return "empty"
    if any(char in "\\@" or char.isspace() or ord(char) < 32 for char in url):
        return "characters"
    try:
        parts = urlsplit(url)
        host = _normal_host(parts.hostname or "")
        if parts.port == 0:  # reading the port also raises on one out of range
            return "invalid"
    except ValueError:
        return "invalid"
    if parts.scheme not in ("http", "https"):
        return "scheme"
    if not host:
        return "invalid"
    if host in allowed_hosts:
        return None
    # a wildcard admits the subdomains of a name, never an address ("*.0.0.1" is no network)
    labels = host.split(".")
    if any(f"*.{'.'.join(labels[i:])}" in allowed_hosts for i in range(1, len(labels))) and not _is_ip(host):
        return None
    return "host"


def _is_ip(host):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class HttpJsonConnector(BureauConnector):
    """HTTP JSON API paged by an opaque cursor.

    ``GET <url>?cursor=<cursor>&limit=<page_size>`` answers
    ``{"signals": [...], "next_cursor": "...", "has_more": true}``.
    Authentication: HTTP basic when a login is set, else a bearer token.
    The credentials go to ``url`` only: its host must be in ``allowed_hosts``
    (checked before every request) and redirects are never followed.
    """

    def __init__(self, url, login=None, api_key=None, page_size=500, timeout=10.0, session=None, allowed_hosts=()):
        super().__init__(page_size=page_size, timeout=timeout)
        self.url = url
        self.allowed_hosts = parse_allowed_hosts(",".join(allowed_hosts))
        self.login = login
        self.api_key = api_key
        self.session = session or requests.Session()

    def _request_kwargs(self, cursor):
        kwargs = {
            "params": {"cursor": cursor or "", "limit": self.page_size},
            "timeout": self.timeout,
            "headers": {"Accept": "application/json"},
            # a redirect would carry the credentials to a host nobody allowed
            "allow_redirects": False,
        }
        if self.login:
            kwargs["auth"] = (self.login, self.api_key or "")
        elif self.api_key:
            kwargs["headers"]["Authorization"] = f"Bearer {self.api_key}"
        return kwargs

    def fetch_page(self, cursor):
        problem = url_problem(self.url, self.allowed_hosts)
        if problem:
            raise ConnectorError(f"request to {self.url!r} refused: {URL_PROBLEMS[problem]}")
        try:
            response = self.session.get(self.url, **self._request_kwargs(cursor))
        except requests.Timeout as exc:
            raise ConnectorTemporaryError(f"timeout after {self.timeout}s") from exc
        except requests.ConnectionError as exc:
            raise ConnectorTemporaryError(f"connection failed: {exc}") from exc
        except requests.RequestException as exc:
            raise ConnectorError(str(exc)) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise ConnectorTemporaryError(f"HTTP {response.status_code}")
        if response.is_redirect or 300 <= response.status_code < 400:
            raise ConnectorError(f"HTTP {response.status_code}: redirects are not followed, fix the provider's URL")
        if response.status_code >= 400:
            raise ConnectorError(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            body = json.loads(response.text)
        except ValueError as exc:
            raise ConnectorError(f"the page is not valid JSON: {exc}") from exc
        if not isinstance(body, dict) or not isinstance(body.get("signals"), list):
            raise ConnectorError("the page has no 'signals' list")
        next_cursor = body.get("next_cursor")
        has_more = bool(body.get("has_more")) and bool(next_cursor)
        return ConnectorPage(items=body["signals"], next_cursor=str(next_cursor or cursor or ""), has_more=has_more)
