from .base import (
    BureauConnector,
    ConnectorError,
    ConnectorPage,
    ConnectorTemporaryError,
    MalformedItem,
)
from .http_json import URL_PROBLEMS, HttpJsonConnector, parse_allowed_hosts, url_problem
from .jsonl import JsonLinesConnector
