"""Plain-Python interface that any credit-bureau API implements.

A connector knows nothing about Odoo: it turns a cursor into a page of raw
items. Validation, deduplication and storage are done by the provider model,
so a new bureau only needs a class with ``fetch_page``.
"""

from dataclasses import dataclass, field


class ConnectorError(Exception):
    """Permanent failure: retrying the same request will not help."""


class ConnectorTemporaryError(ConnectorError):
    """Timeout, connection reset or 5xx: the same request may be retried."""


@dataclass
class MalformedItem:
    """An item the transport could not decode; rejected, the rest of the page lands."""

    raw: str
    error: str


@dataclass
class ConnectorPage:
    items: list = field(default_factory=list)
    next_cursor: str = ""
    has_more: bool = False


class BureauConnector:
    """Fetches signals page by page.

    ``fetch_page(cursor)`` returns a :class:`ConnectorPage` whose ``items`` are
    decoded JSON values (normally dicts) or :class:`MalformedItem`, and whose
    ``next_cursor`` is the position to pass next time. Fetching the same cursor
    again must return the same items, which makes retries safe.
    """

    def __init__(self, page_size=500, timeout=10.0):
        self.page_size = page_size
        self.timeout = timeout

    def fetch_page(self, cursor):
        raise NotImplementedError
