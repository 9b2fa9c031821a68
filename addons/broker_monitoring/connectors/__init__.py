from .base import (
    BureauConnector,
    ConnectorError,
    ConnectorPage,
    ConnectorTemporaryError,
    MalformedItem,
)
from .http_json import HttpJsonConnector
from .jsonl import JsonLinesConnector
