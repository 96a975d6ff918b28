"""parse_query on the phrasings people use to ask for a click: names quoted or not, verbs, role words,
ordinals, directions, relations, and names that hold relation or role words themselves."""

import pytest

from simpleseg_agent.screen.query import LABELLED_ROLES, ROW_CONTROLS, QueryIntent, parse_query


def intent(text: str) -> tuple:
    q = parse_query(text)
    return (q.name, q.role, q.ordinal, q.direction, q.relation, q.anchor)


# (query, (name, role, ordinal, direction, relation, anchor))
CASES = [
    # names, quoted and not, with and without a verb
    ('the "Log in" button', ("Log in", "button", None, None, None, "")),
    ("the 'Save' button", ("Save", "button", None, None, None, "")),
    ("the \u201cLog in\u201d button", ("Log in", "button", None, None, None, "")),
    ("the \u2018Save\u2019 button", ("Save", "button", None, None, None, "")),
    ("the button 'OK'", ("OK", "button", None, None, None, "")),
    ("the Save button", ("Save", "button", None, None, None, "")),
    ("Save", ("Save", None, None, None, None, "")),
    ("click Save", ("Save", None, None, None, None, "")),
    ("press the OK button", ("OK", "button", None, None, None, "")),
    ("Click on the Submit button.", ("Submit", "button", None, None, None, "")),
    ("please click the OK button", ("OK", "button", None, None, None, "")),
    ("tap the Menu button", ("Menu", "button", None, None, None, "")),
    ("CLICK THE SAVE BUTTON", ("SAVE", "button", None, None, None, "")),
    ("the OK Button", ("OK", "button", None, None, None, "")),
    ("right-click the Trash icon", ("Trash", "icon", None, None, None, "")),
    ("type into the Email field", ("Email", "field", None, None, None, "")),
    ("go to the Settings tab", ("Settings", "tab", None, None, None, "")),
    ("check the Remember me checkbox", ("Remember me", "checkbox", None, None, None, "")),
    ("select the Dark option", ("Dark", "listitem", None, None, None, "")),
    ("button Save", ("Save", "button", None, None, None, "")),
    ("link Docs", ("Docs", "link", None, None, None, "")),
    ("the button labelled Save", ("Save", "button", None, None, None, "")),
    ("the field named Email", ("Email", "field", None, None, None, "")),
    ("the checkbox labelled 'I agree'", ("I agree", "checkbox", None, None, None, "")),
    ("the button with the text Next", ("Next", "button", None, None, None, "")),
    ("the Forgot password? link", ("Forgot password?", "link", None, None, None, "")),
    ("the I'm feeling lucky button", ("I'm feeling lucky", "button", None, None, None, "")),
    ("the Don't save button", ("Don't save", "button", None, None, None, "")),
    # role words, one word and several
    ("the Email field", ("Email", "field", None, None, None, "")),
    ("the Email text field", ("Email", "field", None, None, None, "")),
    ("the Username text box", ("Username", "field", None, None, None, "")),
    ("the email input field", ("email", "field", None, None, None, "")),
    ("the Remember me checkbox", ("Remember me", "checkbox", None, None, None, "")),
    ("the Remember me check box", ("Remember me", "checkbox", None, None, None, "")),
    ("the Male radio button", ("Male", "radio", None, None, None, "")),
    ("the Country dropdown", ("Country", "select", None, None, None, "")),
    ("the Country drop-down", ("Country", "select", None, None, None, "")),
    ("the Country combo box", ("Country", "select", None, None, None, "")),
    ("the Settings tab", ("Settings", "tab", None, None, None, "")),
    ("the File menu", ("File", "menuitem", None, None, None, "")),
    ("the Open menu item", ("Open", "menuitem", None, None, None, "")),
    ("the Volume slider", ("Volume", "slider", None, None, None, "")),
    ("the Wi-Fi switch", ("Wi-Fi", "switch", None, None, None, "")),
    ("the Age spin box", ("Age", "spinbutton", None, None, None, "")),
    ("the Welcome heading", ("Welcome", "heading", None, None, None, "")),
    ("the search icon", ("search", "icon", None, None, None, "")),
    ("the icon", ("", "icon", None, None, None, "")),
    ("the Menu", ("", "menuitem", None, None, None, "")),
    # names holding role words: the last role word is the role, the others are the name
    ("the Check out streamlit.io list item", ("Check out streamlit.io", "listitem", None, None, None, "")),
    ("the Switch user button", ("Switch user", "button", None, None, None, "")),
    ("the Link account button", ("Link account", "button", None, None, None, "")),
    ("the Image title field", ("Image title", "field", None, None, None, "")),
    ("the Heading level dropdown", ("Heading level", "select", None, None, None, "")),
    ("the Input method field", ("Input method", "field", None, None, None, "")),
    ("the Select a file button", ("Select a file", "button", None, None, None, "")),
    ("the Title field", ("Title", "field", None, None, None, "")),
    ("the Check for updates button", ("Check for updates", "button", None, None, None, "")),
    # names holding relation words: a relation only follows a role word
    ("the Hover over me button", ("Hover over me", "button", None, None, None, "")),
    ("the Search for an item field", ("Search for an item", "field", None, None, None, "")),
    ("the Sign up for free button", ("Sign up for free", "button", None, None, None, "")),
    ("the Add to cart button", ("Add to cart", "button", None, None, None, "")),
    ("the Go to top link", ("Go to top", "link", None, None, None, "")),
    ("the Skip to content link", ("Skip to content", "link", None, None, None, "")),
    ("the Terms of Service link", ("Terms of Service", "link", None, None, None, "")),
    ("the Over 18 checkbox", ("Over 18", "checkbox", None, None, None, "")),
    ("the Above average option", ("Above average", "listitem", None, None, None, "")),
    ("the Left button", ("Left", "button", None, None, None, "")),
    ("the Top stories link", ("Top stories", "link", None, None, None, "")),
    ("the Turn on notifications switch", ("Turn on notifications", "switch", None, None, None, "")),
    # ordinals and directions
    ("the second Save button from the left", ("Save", "button", 2, "left", None, "")),
    ('click the second "Log in" button from the left', ("Log in", "button", 2, "left", None, "")),
    ("the last link", ("", "link", -1, None, None, "")),
    ("the last Delete button", ("Delete", "button", -1, None, None, "")),
    ("the last Delete button from the bottom", ("Delete", "button", -1, "bottom", None, "")),
    ("the 3rd item from the top", ("", "listitem", 3, "top", None, "")),
    ("the first Docs link from the top", ("Docs", "link", 1, "top", None, "")),
    ("the 2nd Edit link", ("Edit", "link", 2, None, None, "")),
    ("the 1st tab", ("", "tab", 1, None, None, "")),
    ("the 22nd item", ("", "listitem", 22, None, None, "")),
    ("the first option", ("", "listitem", 1, None, None, "")),
    ("the tenth Save button from the right", ("Save", "button", 10, "right", None, "")),
    ("the second checkbox", ("", "checkbox", 2, None, None, "")),
    ("the Edit link on the left side", ("Edit", "link", 1, "left", None, "")),  # a side alone: the first from it
    # relations
    ("the text field below Password", ("", "field", None, None, "below", "Password")),
    ("the field below the Password field", ("", "field", None, None, "below", "Password")),
    ('the button below "Password"', ("", "button", None, None, "below", "Password")),
    ("the Submit button below the Password field", ("Submit", "button", None, None, "below", "Password")),
    ("the Password field under Username", ("Password", "field", None, None, "below", "Username")),
    ("the button above Cancel", ("", "button", None, None, "above", "Cancel")),
    ("the field left of Go", ("", "field", None, None, "left_of", "Go")),
    ("the Cancel button to the left of OK", ("Cancel", "button", None, None, "left_of", "OK")),
    ("the field right of Email", ("", "field", None, None, "right_of", "Email")),
    ("the field to the right of Email", ("", "field", None, None, "right_of", "Email")),
    ("the field right of the Email label", ("", "field", None, None, "right_of", "Email")),
    ("the checkbox next to Remember me", ("", "checkbox", None, None, "near", "Remember me")),
    ("the checkbox left of I agree", ("", "checkbox", None, None, "left_of", "I agree")),
    ("the field next to 'First name'", ("", "field", None, None, "near", "First name")),
    ("the Apply button by Cancel", ("Apply", "button", None, None, "near", "Cancel")),
    ("the input for Age", ("", "field", None, None, "near", "Age")),
    ("the field for Email", ("", "field", None, None, "near", "Email")),
    ("the checkbox for Remember me", ("", "checkbox", None, None, "near", "Remember me")),
    ("the dropdown for Country", ("", "select", None, None, "near", "Country")),
    ("the slider for Volume", ("", "slider", None, None, "near", "Volume")),
    ("the number input for Age spin box", ("", "spinbutton", None, None, "near", "Age")),
    ("the Remember me checkbox below Password", ("Remember me", "checkbox", None, None, "below", "Password")),
    ("the OK button in the dialog", ("OK", "button", None, None, "inside", "")),
    ("the OK button in the Save dialog", ("OK", "button", None, None, "inside", "Save")),
    ("the OK button in the popup", ("OK", "button", None, None, "inside", "")),
    ("the Name field in the form", ("Name", "field", None, None, "inside", "")),
    ("the Log in button in the login form", ("Log in", "button", None, None, "inside", "login")),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_parse_query(text, expected):
    assert intent(text) == expected


def test_quoted_flag_and_text_kept():
    q = parse_query('  click   the "Save"   button ')
    assert q.quoted and q.name == "Save" and q.text == 'click the "Save" button'
    assert not parse_query("the Save button").quoted


def test_labelled_property_follows_the_role():
    assert parse_query("the Email field").labelled and parse_query("the Country dropdown").labelled
    assert not parse_query("the Save button").labelled and not parse_query("the Remember me checkbox").labelled
    assert {"field", "select", "spinbutton", "slider"} == set(LABELLED_ROLES)
    assert {"checkbox", "radio", "switch"} == set(ROW_CONTROLS)


def test_relation_is_noted():
    assert parse_query("the field below Password").notes == ("below 'Password'",)
    assert parse_query("the Save button").notes == ()


def test_empty_and_odd_input_gives_an_empty_intent():
    for text in ("", "   ", "the", "click", "!!!"):
        q = parse_query(text)
        assert isinstance(q, QueryIntent) and q.role is None and q.ordinal is None and q.relation is None
    assert parse_query("").name == "" and parse_query("  ").name == ""


# Phrasings the parser gets wrong today: each test says what is right, and why it fails now.
def test_apostrophe_inside_a_double_quoted_name():
    assert intent('the "Don\'t allow" button') == ("Don't allow", "button", None, None, None, "")


def test_at_the_top_is_a_direction():
    q = parse_query("the Save button at the top")
    assert (q.name, q.role, q.direction) == ("Save", "button", "top")


def test_second_to_last():
    assert intent("the second to last item") == ("", "listitem", -2, None, None, "")


@pytest.mark.parametrize(("text", "direction"), [("the leftmost button", "left"), ("the rightmost tab", "right"),
                                                 ("the topmost item", "top")])
def test_superlative_is_an_order(text, direction):
    q = parse_query(text)
    assert (q.name, q.ordinal, q.direction) == ("", 1, direction)


@pytest.mark.parametrize("text", ["the first item in the list", "the link in the footer", "the Help link in the header"])
def test_in_a_named_part_of_the_page_is_a_container(text):
    q = parse_query(text)
    assert q.relation == "inside" and "in the" not in q.name


def test_search_box_keeps_its_word():
    q = parse_query("the Search box")
    assert (q.name, q.role) == ("Search", "field")
