"""The characters that XML 1.0 cannot carry (https://www.w3.org/TR/xml/#charsets), removed (pure).

XML 1.0 allows tab, newline, carriage return, U+0020–U+D7FF, U+E000–U+FFFD and U+10000–U+10FFFF: NUL and the
other C0 controls, the surrogates U+D800–U+DFFF (which, alone, are not even encodable as UTF-8) and U+FFFE and
U+FFFF are refused by every conforming parser. One such character in one feed title would make every Atom feed,
OPML export and SVG chart that shows it unreadable, so the feed parser removes them and so does every writer of XML.
"""

import re
from xml.etree.ElementTree import Element

XML_FORBIDDEN_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
"""The forbidden ranges, for a regular-expression character class."""

_FORBIDDEN = re.compile(f"[{XML_FORBIDDEN_CHARS}]")


def xml_safe(value: str) -> str:
    """`value` without the characters that XML 1.0 forbids."""
    return _FORBIDDEN.sub("", value)


def xml_safe_tree(root: Element) -> Element:
    """`root`, with the forbidden characters removed from every text, tail and attribute of it and its descendants."""
    for element in root.iter():
        if element.text:
            element.text = xml_safe(element.text)
        if element.tail:
            element.tail = xml_safe(element.tail)
        for name, value in element.attrib.items():
            element.attrib[name] = xml_safe(value)
    return root
