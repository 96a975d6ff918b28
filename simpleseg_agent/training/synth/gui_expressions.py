"""Referring expressions for GUI elements: by text, by type and relation, by position, by icon.

Every element lists every expression that could describe it — for each word it can be called
("button", "icon", "close button"...) — so :func:`~._common.choose_expressions` can drop the ones
two elements share. Positions follow :func:`~._common.position_phrases`: with one element of a
word on the screen, thirds of the screen ("the search field at the top"); with several, clear
extremes only ("the button on the right", "the topmost checkbox").
"""

from __future__ import annotations

from collections import Counter

from ._common import BLOCK, Candidate, color_word, position_expression, position_phrases, quoted
from ...mockup.layout import Element, ScreenLayout
from .vocab import ICON_WORDS, ORDINALS

#: The words for each element kind; the tests check that an expression names one of them, the
#: element's text or its name.
TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "button": ("button",),
    "icon_button": ("button", "icon"),
    "text_field": ("text field", "field", "input"),
    "checkbox": ("checkbox",),
    "toggle": ("toggle", "switch"),
    "dropdown": ("dropdown",),
    "menu_item": ("menu item", "menu"),
    "tab": ("tab",),
    "nav_item": ("sidebar item", "item"),
    "link": ("link",),
    "text": ("label", "heading", "title", "text", "note"),
}


def words_of(el: Element) -> list[str]:
    """The nouns an element can be called in generic expressions (type, position, state, order)."""
    k = el.kind
    if k == "icon_button":
        return ["button", "icon", *ICON_WORDS[el.name]]
    if k == "text_field":
        return ["text field", "field"] + (["search field", "search box"] if el.state.get("search") else [])
    if k == "text":
        return {"label": ["label"], "heading": ["heading"], "title": ["window title", "title"], "note": ["note"]}[el.role]
    return {"button": ["button"], "checkbox": ["checkbox"], "toggle": ["toggle", "switch"], "dropdown": ["dropdown"],
            "menu_item": ["menu item"], "tab": ["tab"], "nav_item": ["sidebar item"], "link": ["link"]}[k]


def _naming(el: Element) -> list[Candidate]:
    t, n, k = el.text, el.name, el.kind
    out: list[str] = []
    if k == "button":
        out = [f"the {t} button", f"the button labeled {quoted(t)}"]
    elif k == "text_field":
        if not el.state.get("search"):
            out = [f"the {n} field", f"the {n} text field", f"the {n} input"]
        if el.state.get("placeholder"):
            out.append(f"the field with the placeholder {quoted(t)}")
        else:
            out.append(f"the field containing {quoted(t)}")
    elif k == "checkbox":
        out = [f"the {n} checkbox"]
    elif k == "toggle":
        out = [f"the {n} toggle", f"the {n} switch"]
    elif k == "dropdown":
        out = [f"the {n} dropdown", f"the dropdown showing {quoted(t)}"]
    elif k == "menu_item":
        out = [f"the {t} menu", f"the {t} menu item"]
    elif k == "tab":
        out = [f"the {t} tab"]
    elif k == "nav_item":
        out = [f"the {t} item in the sidebar", f"the {t} sidebar item"]
    elif k == "link":
        out = [f"the {quoted(t)} link", f"the link {quoted(t)}"]
    elif k == "text":
        noun = {"label": "label", "heading": "heading", "title": "window title", "note": "note"}[el.role]
        out = [f'the {noun} "{t}"', f'the text "{t}"']
    cands = [Candidate(s, "text") for s in out]
    if el.state.get("search"):  # the field shows a magnifier: "the search icon" would be ambiguous
        cands += [Candidate(f"the {w}", BLOCK) for w in ICON_WORDS["search"]]
    if k == "icon_button":
        cands += [Candidate(f"the {w}", "icon") for w in ICON_WORDS[el.name]]
        place = {"titlebar": "in the title bar", "toolbar": "in the toolbar"}.get(el.group)
        if place:
            cands += [Candidate(f"the {w} {place}", "relation") for w in ICON_WORDS[el.name]]
    return cands


def element_candidates(layout: ScreenLayout) -> list[list[Candidate]]:
    """All candidate expressions of every element of ``layout`` (same order as the elements)."""
    els = layout.elements
    by_word: dict[str, list[Element]] = {}
    for el in els:
        for w in words_of(el):
            by_word.setdefault(w, []).append(el)
    shown = Counter(e.text for e in els if e.text)
    groups: dict[str, list[Element]] = {}
    for el in els:
        if el.kind in ("tab", "menu_item", "nav_item"):
            groups.setdefault(el.kind, []).append(el)
    result: list[list[Candidate]] = []
    for el in els:
        cands = _naming(el)
        words = words_of(el)
        for w in words:
            cands.append(Candidate(f"the {w}", "type"))
            others = [o.box for o in by_word[w] if o is not el]
            for p in position_phrases(el.box, others, layout.size_wh):
                cands.append(Candidate(position_expression(p, w), "position"))
        if el.label_index is not None:
            anchor = els[el.label_index].text
            if shown[anchor] == 1:
                rel = {"above": ["below"], "left": ["next to", "to the right of"], "right": ["next to", "to the left of"]}
                for w in words:
                    cands += [Candidate(f"the {w} {r} {anchor}", "relation") for r in rel[el.label_side]]
        st = el.state
        if el.kind == "checkbox":
            cands.append(Candidate("the checked checkbox" if st["checked"] else "the unchecked checkbox", "state"))
        elif el.kind == "toggle":
            cands += [Candidate(f"the {w} that is {'on' if st['on'] else 'off'}", "state") for w in words]
        elif el.kind in ("tab", "nav_item") and st.get("selected"):
            cands += [Candidate(f"the {a} {w}", "state") for a in ("selected", "active") for w in words]
        elif el.kind == "button" and st.get("primary"):
            cands.append(Candidate("the primary button", "state"))
        if el.kind in ("button", "icon_button") and el.fill is not None:
            c = color_word(el.fill)
            if c:
                cands += [Candidate(f"the {c} {w}", "color") for w in words if w in ("button", "icon")]
        if el.kind in groups:
            seq = sorted(groups[el.kind], key=lambda e: (e.box[1], e.box[0]) if e.kind == "nav_item" else (e.box[0], e.box[1]))
            i = seq.index(el)
            if len(seq) >= 2:
                if i < len(ORDINALS):
                    cands += [Candidate(f"the {ORDINALS[i]} {w}", "ordinal") for w in words]
                if i == len(seq) - 1:
                    cands += [Candidate(f"the last {w}", "ordinal") for w in words]
        result.append(cands)
    return result
