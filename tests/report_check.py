"""Checks that an HTML report is well-formed and self-contained (shared by the tests)."""

from html.parser import HTMLParser

VOID = {"meta", "link", "img", "br", "hr", "input", "source", "wbr", "col", "area", "base"}


class _Walker(HTMLParser):
    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.problems: list[str] = []
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v is not None]
        if tag == "script":
            self.problems.append("a <script> element")
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.open[-1] if self.open else ''}>")
        else:
            self.open.pop()


def check_report(html: str) -> list[str]:
    """The tags of a report page, after asserting it is one well-formed document whose
    every src / href is a data: URI or a link within the page."""
    assert html.startswith("<!DOCTYPE html>")
    walker = _Walker()
    walker.feed(html)
    walker.close()
    assert not walker.problems, walker.problems[:3]
    assert not walker.open, f"unclosed: {walker.open}"
    outside = [u[:60] for u in walker.urls if not u.startswith(("data:", "#"))]
    assert not outside, f"links outside the file: {outside}"
    return walker.tags
