"""Reading feed XML, ours or another host's: one parser setup for every reader.

The parsers never fetch or expand anything the XML names (no network, no entities), so a
hostile feed cannot make showpipe read local files or call out.
"""

from __future__ import annotations

from lxml import etree

_STRICT = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
# For other hosts' feeds, as podcast apps read them: what a broken tag leaves is kept.
_RECOVERING = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, recover=True)


def parse_xml(data: bytes, *, recover: bool = False) -> etree._Element:
    """The root element of `data`.

    Raises:
        etree.XMLSyntaxError: `data` is not well-formed XML (never with `recover`, unless
            nothing at all can be read).
    """
    root = etree.fromstring(data, _RECOVERING if recover else _STRICT)
    if root is None:  # recover=True on bytes with no element at all
        raise etree.XMLSyntaxError("no XML element found", None, 1, 1, "<feed>")
    return root
