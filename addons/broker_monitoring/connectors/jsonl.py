import json

from .base import BureauConnector, ConnectorError, ConnectorPage, MalformedItem


class JsonLinesConnector(BureauConnector):
    """A JSON-lines export of a bureau, one signal per line.

    The cursor is the number of lines already consumed, so a rerun resumes
    after the last committed page. Blank lines count but yield nothing.
    """

    def __init__(self, content, page_size=500, timeout=10.0):
        super().__init__(page_size=page_size, timeout=timeout)
        if isinstance(content, bytes):
            content = content.decode("utf-8-sig", errors="replace")
        self.lines = (content or "").splitlines()

    def fetch_page(self, cursor):
        try:
            start = int(cursor or 0)
        except ValueError as exc:
            raise ConnectorError(f"invalid file position {cursor!r}") from exc
        stop = min(start + self.page_size, len(self.lines))
        items = []
        for line in self.lines[start:stop]:
            line = line.strip()
            if not line:
                continue
            try:
                items.append(json.loads(line))
            except ValueError as exc:
                items.append(MalformedItem(raw=line[:1000], error=f"invalid JSON: {exc}"))
        return ConnectorPage(items=items, next_cursor=str(stop), has_more=stop < len(self.lines))
