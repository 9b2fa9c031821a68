import json

import requests

from .base import BureauConnector, ConnectorError, ConnectorPage, ConnectorTemporaryError


class HttpJsonConnector(BureauConnector):
    """HTTP JSON API paged by an opaque cursor.

    ``GET <url>?cursor=<cursor>&limit=<page_size>`` answers
    ``{"signals": [...], "next_cursor": "...", "has_more": true}``.
    Authentication: HTTP basic when a login is set, else a bearer token.
    """

    def __init__(self, url, login=None, api_key=None, page_size=500, timeout=10.0, session=None):
        super().__init__(page_size=page_size, timeout=timeout)
        self.url = url
        self.login = login
        self.api_key = api_key
        self.session = session or requests.Session()

    def _request_kwargs(self, cursor):
        kwargs = {
            "params": {"cursor": cursor or "", "limit": self.page_size},
            "timeout": self.timeout,
            "headers": {"Accept": "application/json"},
        }
        if self.login:
            kwargs["auth"] = (self.login, self.api_key or "")
        elif self.api_key:
            kwargs["headers"]["Authorization"] = f"Bearer {self.api_key}"
        return kwargs

    def fetch_page(self, cursor):
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
