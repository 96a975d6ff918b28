"""What a query asks for on a screen: the words written on the target, its role, and where it is.

:func:`parse_query` reads plain English the way people ask an agent for a click, with no model:

- **the target's words**, quoted or not: ``the "Log in" button``, ``the Save button``, ``click Save``,
  ``the button labelled Save``, ``the field named Email``;
- **its role**, from the role words (:data:`ROLE_WORDS`): button, link, field (text box, input, entry),
  checkbox, radio button, dropdown (select, combo box), tab, menu item, list item, heading, label, icon,
  image, slider, switch, spin box;
- **its order** among elements with the same words: ``the second Save button from the left``,
  ``the last link``, ``the 3rd item from the top``;
- **a relation** to other words on the screen: ``the field right of Email``, ``the button below
  "Password"``, ``the checkbox next to Remember me``, ``the OK button in the dialog``.

A field, checkbox, dropdown, spin box or slider named by words (``the Email field``) is named by its
label: :mod:`.grounding` finds the label and then the control it labels, not the label itself.

Example:
    >>> q = parse_query('click the second "Log in" button from the left')
    >>> q.name, q.role, q.ordinal, q.direction
    ('Log in', 'button', 2, 'left')
    >>> parse_query("the Check out streamlit.io list item").name
    'Check out streamlit.io'
    >>> q = parse_query("the text field below Password"); q.role, q.name, q.relation, q.anchor
    ('field', '', 'below', 'Password')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Role words, longest first, and the role each names (the benchmark's element types).
ROLE_WORDS: tuple[tuple[str, str], ...] = (
    ("radio button", "radio"), ("check box", "checkbox"), ("list item", "listitem"), ("menu item", "menuitem"),
    ("tree item", "listitem"), ("spin button", "spinbutton"), ("spin box", "spinbutton"), ("combo box", "select"),
    ("text field", "field"), ("text box", "field"), ("input field", "field"), ("search box", "field"),
    ("drop-down", "select"), ("dropdown", "select"), ("combobox", "select"), ("select", "select"),
    ("checkbox", "checkbox"), ("radio", "radio"), ("textbox", "field"), ("field", "field"), ("input", "field"),
    ("entry", "field"), ("button", "button"), ("link", "link"), ("tab", "tab"), ("heading", "heading"),
    ("title", "heading"), ("label", "label"), ("icon", "icon"), ("image", "image"), ("picture", "image"),
    ("slider", "slider"), ("switch", "switch"), ("toggle", "switch"), ("spinner", "spinbutton"), ("menu", "menuitem"),
    ("item", "listitem"), ("option", "listitem"),
)
#: Roles whose element is a control a label names: the label is found, then the control it labels.
LABELLED_ROLES = frozenset({"field", "select", "spinbutton", "slider"})
#: Roles whose control sits beside its label on one row (a click on the label works as well).
ROW_CONTROLS = frozenset({"checkbox", "radio", "switch"})
#: Roles that may show no words at all: when their words are not on the screen, the model looks.
WORDLESS_ROLES = frozenset({"icon", "image", "slider", "checkbox", "radio", "switch", "field", "select", "spinbutton"})
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
            "ninth": 9, "tenth": 10, "last": -1}
#: Relations to other words, and how they are written.
RELATIONS: tuple[tuple[str, str], ...] = (
    ("to the left of", "left_of"), ("left of", "left_of"), ("to the right of", "right_of"), ("right of", "right_of"),
    ("below", "below"), ("under", "below"), ("beneath", "below"), ("above", "above"), ("over", "above"),
    ("next to", "near"), ("beside", "near"), ("near", "near"), ("by", "near"), ("for", "near"),
    ("in the", "inside"), ("inside", "inside"), ("within", "inside"),
)
_VERBS = re.compile(r"^(?:please\s+)?(?:click|double[- ]click|right[- ]click|press|tap|hit|select|choose|pick|open|"
                    r"toggle|check|uncheck|focus|go to|type (?:in|into)|find|locate|point at|segment)\s+(?:on\s+)?",
                    re.IGNORECASE)
_ARTICLE = re.compile(r"^(?:the|a|an|this|that)\s+", re.IGNORECASE)
_NAMED = re.compile(r"\b(?:labell?ed|named|called|titled|saying|reading|that says|with (?:the )?(?:text|label))\s+(.+)$",
                    re.IGNORECASE)
_DIRECTION = re.compile(r"\s*\b(?:from|on|at)\s+the\s+(left|right|top|bottom)\b(?:\s+side)?", re.IGNORECASE)
_SUPERLATIVE = {"leftmost": "left", "rightmost": "right", "topmost": "top", "bottommost": "bottom", "uppermost": "top",
                "lowest": "bottom"}
_ORD_NUM = re.compile(r"^(\d+)(?:st|nd|rd|th)$", re.IGNORECASE)
_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|‘([^’]+)’|(?<![A-Za-z0-9])\'([^\']+)\'(?![A-Za-z0-9])')
_CONTAINERS = ("dialog", "window", "form", "toolbar", "sidebar", "menu", "popup", "box", "panel", "page", "list", "footer",
               "header", "table", "navigation", "nav", "section", "card", "bar", "pane", "tree", "group")


@dataclass(frozen=True)
class QueryIntent:
    """What a query asks for: the target's ``name`` (the words written on it or on its label; ``""`` when
    the query gives none), its ``role`` (``None``: not said), its ``ordinal`` among same-named elements
    (1 the first, -1 the last; ``None``: not said) counted from ``direction`` (``left``, ``right``,
    ``top``, ``bottom``; ``None``: reading order), and a ``relation`` (``left_of``, ``right_of``,
    ``below``, ``above``, ``near``, ``inside``) to the words ``anchor``. ``quoted``: the name was in quotes."""

    text: str
    name: str = ""
    role: str | None = None
    ordinal: int | None = None
    direction: str | None = None
    relation: str | None = None
    anchor: str = ""
    quoted: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def labelled(self) -> bool:
        """Whether the target is a control its ``name`` labels (a field, dropdown, spin box, slider)."""
        return self.role in LABELLED_ROLES


def _role_at_end(words: list[str]) -> tuple[str | None, int]:
    """The role named by the last words of ``words`` and how many words name it."""
    low = [w.lower() for w in words]
    for phrase, role in ROLE_WORDS:
        n = len(phrase.split())
        if len(low) >= n and " ".join(low[-n:]) == phrase:
            return role, n
    return None, 0


def _role_at_start(words: list[str]) -> tuple[str | None, int]:
    low = [w.lower() for w in words]
    for phrase, role in ROLE_WORDS:
        n = len(phrase.split())
        if len(low) >= n and " ".join(low[:n]) == phrase:
            return role, n
    return None, 0


def parse_query(text: str) -> QueryIntent:
    """The :class:`QueryIntent` of ``text`` (see the module docstring).

    Example:
        >>> parse_query("the Username field")
        QueryIntent(text='the Username field', name='Username', role='field', ordinal=None, direction=None, relation=None, anchor='', quoted=False, notes=())
        >>> parse_query("the first Docs link from the top")[:0] if False else parse_query("the first Docs link from the top").ordinal
        1
        >>> parse_query("Save").name, parse_query("Save").role
        ('Save', None)
    """
    raw = " ".join(str(text).split())
    s = _VERBS.sub("", raw).strip().rstrip(".!?")
    quoted = _QUOTED.search(s)
    quoted_name = next(g for g in quoted.groups() if g is not None).strip() if quoted else None
    if quoted:
        s = (s[: quoted.start()] + " \x00 " + s[quoted.end():]).strip()
    direction = None
    m = _DIRECTION.search(s)
    if m:
        direction = m.group(1).lower()
        s = (s[: m.start()] + s[m.end():]).strip()
    # a role named last ("the number input for Age spin box") is the target's; what comes before it may
    # still relate it to a label ("for Age"). Otherwise a relation follows the role ("the field below Password").
    relation, anchor = None, ""
    tail_role, n_tail = _role_at_end(_ARTICLE.sub("", s).split())
    core = s
    if tail_role is not None:
        core = " ".join(s.split()[:-n_tail])
    low = f" {core.lower()} "
    best = None
    for phrase, rel in RELATIONS:
        k = low.find(f" {phrase} ")
        if k > 0 and (best is None or k < best[0]):
            best = (k, phrase, rel)
    if best is not None:
        k, phrase, rel = best
        head, tail = core[: k].strip(), core[k + len(phrase) + 1:].strip()
        head_words = _ARTICLE.sub("", head).split()
        tail_words = _ARTICLE.sub("", tail).split()
        head_role = _role_at_end(head_words)[0] if head_words else None
        if rel == "inside":
            # "in the dialog", "in the Save dialog": a container; otherwise the words are part of the name
            if tail_words and tail_words[-1].lower().strip(",.") in _CONTAINERS:
                relation, anchor = rel, " ".join(tail_words[:-1])
                s = head + (" " + " ".join(s.split()[-n_tail:]) if tail_role is not None else "")
        elif head_role is not None and tail_words and (
                phrase != "for" or head_role in LABELLED_ROLES | ROW_CONTROLS
                or tail_role in LABELLED_ROLES | ROW_CONTROLS):
            # only after a role word: in "the Hover over me button" the words are the name; "for" only
            # ties a control to its label ("the field for Email"), not a button to its words
            relation, anchor = rel, " ".join(tail_words)
            s = head  # with a role named last too, that one is the target's (set below)
    if anchor == "\x00" and quoted_name is not None:
        anchor, quoted_name = quoted_name, None
    named = _NAMED.search(s)
    name_after = None
    if named:
        name_after = named.group(1).strip()
        s = s[: named.start()].strip()
    words = _ARTICLE.sub("", s).split()
    ordinal = None
    if words:
        w0 = words[0].lower()
        if w0 in ORDINALS:
            ordinal, words = ORDINALS[w0], words[1:]
        elif _ORD_NUM.match(w0):
            ordinal, words = int(_ORD_NUM.match(w0).group(1)), words[1:]
        elif w0 == "next" and [w.lower() for w in words[1:3]] == ["to", "last"]:
            ordinal, words = 1, words[1:]  # "next to last": the second from the end (below)
        elif w0 in _SUPERLATIVE:
            ordinal, direction, words = 1, _SUPERLATIVE[w0], words[1:]
        if ordinal is not None and ordinal > 0 and [w.lower() for w in words[:2]] == ["to", "last"]:
            ordinal, words = -(ordinal + (1 if w0 == "next" else 0)), words[2:]  # "the second to last item"
    role, n = _role_at_end(words)
    if role == "field" and n and words[-n].lower() == "search" and len(words) == n and not (name_after or quoted_name):
        words = ["Search"] + words  # "the Search box": a search box shows the word (its placeholder or label)
    if role is not None and (len(words) > n or name_after or quoted_name):
        words = words[:-n]
    elif role is not None:
        words = []
    else:
        role, n = _role_at_start(words)
        if role is not None:
            words = words[n:]
    if relation is not None and tail_role is not None and relation in ("near",) and role != tail_role:
        role = tail_role
    if relation == "near" and anchor and role in LABELLED_ROLES | ROW_CONTROLS and not quoted_name:
        words = []  # "the number input for Age spin box": the words before the relation only describe it
    if direction is not None and ordinal is None:
        ordinal = 1  # "the Cancel button on the right": the first from that side
    name = " ".join(w for w in words if w != "\x00")
    if quoted_name is not None:
        name = quoted_name
    elif name_after is not None:
        name = name_after.strip("\"'“”")
    notes = []
    if relation is not None:
        notes.append(f"{relation} {anchor!r}")
    return QueryIntent(raw, name.strip(), role, ordinal, direction, relation, anchor.strip(), quoted_name is not None,
                       tuple(notes))


__all__ = [
    "LABELLED_ROLES",
    "ORDINALS",
    "RELATIONS",
    "ROLE_WORDS",
    "ROW_CONTROLS",
    "WORDLESS_ROLES",
    "QueryIntent",
    "parse_query",
]
