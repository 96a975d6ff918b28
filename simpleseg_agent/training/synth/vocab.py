"""Words the GUI generator puts on screens: window titles, labels, placeholders, button texts.

Kept apart from the layout code so a recipe can swap in its own vocabulary (another language, a
product's real labels) without touching geometry. Every tuple is sampled uniformly.
"""

from __future__ import annotations

WINDOW_TITLES: tuple[str, ...] = (
    "Settings", "Sign in", "Create account", "Preferences", "Checkout", "Contact us", "Export",
    "Print", "New project", "Profile", "Notifications", "Account", "Security", "Payment",
    "Shipping address", "Feedback", "Upload files", "Share document", "Network", "Display",
    "Privacy", "Subscription", "Order summary", "Edit event", "New message", "Backup",
)

BUTTON_TEXTS: tuple[str, ...] = (
    "Submit", "Cancel", "OK", "Save", "Delete", "Next", "Back", "Sign in", "Sign up", "Apply",
    "Reset", "Continue", "Close", "Send", "Upload", "Download", "Edit", "Share", "Export",
    "Import", "Print", "Refresh", "Add", "Remove", "Confirm", "Done", "Help", "Log out", "Browse",
    "Retry", "Skip", "Finish", "Update", "Install", "Open", "Create", "Buy now", "Subscribe",
    "Learn more", "Save changes", "Discard", "Preview", "Publish", "Archive", "Copy link",
)

#: (label, placeholder) pairs of text fields.
FIELDS: tuple[tuple[str, str], ...] = (
    ("Email", "name@example.com"), ("Password", "Enter your password"), ("Username", "Choose a username"),
    ("First name", "Jane"), ("Last name", "Doe"), ("Phone", "+1 555 0100"), ("Address", "Street and number"),
    ("City", "Your city"), ("Zip code", "12345"), ("Company", "Company name"), ("Website", "https://"),
    ("Subject", "What is it about?"), ("Message", "Write a message"), ("Card number", "1234 5678 9012 3456"),
    ("Name on card", "As printed on the card"), ("Coupon", "Enter a code"), ("Title", "Untitled"),
    ("Tags", "Add tags"), ("Display name", "How others see you"), ("Job title", "e.g. Designer"),
    ("Project name", "My project"), ("Recipient", "To"), ("Amount", "0.00"), ("Notes", "Optional"),
)

#: Typed values a field may show instead of its placeholder.
FIELD_VALUES: tuple[str, ...] = (
    "alice@mail.com", "bob", "Berlin", "Acme Inc.", "42 Main St", "Hello there", "2024-05-01",
    "Quarterly report", "jdoe", "Paris", "10115", "Oslo",
)

CHECKBOX_LABELS: tuple[str, ...] = (
    "Remember me", "I agree to the terms", "Subscribe to newsletter", "Show password",
    "Keep me signed in", "Send me updates", "Use as default", "Enable logging", "Include images",
    "Open after export", "Email receipts", "Mark as important", "Save card", "Private",
    "Notify me", "Check for updates", "Select all", "Ignore case",
)

TOGGLE_LABELS: tuple[str, ...] = (
    "Dark mode", "Wi-Fi", "Bluetooth", "Auto-save", "Notifications", "Location", "Airplane mode",
    "Sync", "Sound", "Auto update", "Two-factor login", "Do not disturb", "Public profile",
    "Show previews", "Battery saver",
)

#: (label, possible values) of dropdowns.
DROPDOWNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Country", ("United States", "Germany", "Japan", "Brazil", "Canada")),
    ("Language", ("English", "Deutsch", "Francais", "Espanol")),
    ("Size", ("Small", "Medium", "Large")),
    ("Sort by", ("Newest", "Oldest", "Price", "Name")),
    ("Theme", ("System", "Light", "Dark")),
    ("Format", ("PDF", "PNG", "CSV", "JSON")),
    ("Priority", ("Low", "Normal", "High")),
    ("Time zone", ("UTC", "CET", "PST")),
    ("Currency", ("USD", "EUR", "JPY")),
    ("Quality", ("Draft", "Standard", "Best")),
)

MENU_ITEMS: tuple[str, ...] = ("File", "Edit", "View", "Insert", "Format", "Tools", "Window", "Help", "Go", "Run")

TAB_LABELS: tuple[str, ...] = (
    "General", "Account", "Privacy", "Security", "Advanced", "Appearance", "Billing", "Team",
    "Overview", "Details", "History", "Files", "Activity", "Members",
)

SIDEBAR_ITEMS: tuple[str, ...] = (
    "Home", "Inbox", "Drafts", "Sent", "Archive", "Trash", "Downloads", "Documents", "Photos",
    "Music", "Projects", "Reports", "Calendar", "Contacts", "Starred",
)

LINKS: tuple[str, ...] = (
    "Forgot password?", "Learn more", "Privacy policy", "Terms of service", "Create an account",
    "Need help?", "View details", "Show all", "Read the docs", "Contact support", "Change plan",
    "Edit profile", "See history",
)

HEADINGS: tuple[str, ...] = (
    "Account", "Notifications", "Personal details", "Payment method", "Appearance", "Security",
    "Billing address", "Connected devices", "Storage", "General", "Your profile", "Advanced",
)

NOTES: tuple[str, ...] = (
    "Changes are saved automatically.", "All fields are required.", "We never share your email.",
    "You can change this later.", "Last synced 5 minutes ago.", "This cannot be undone.",
)

#: Icon name -> the words people use for an icon button with that glyph (first: the main one).
ICON_WORDS: dict[str, tuple[str, ...]] = {
    "close": ("close button", "close icon", "X button"),
    "search": ("search icon", "search button", "magnifier icon"),
    "gear": ("gear icon", "settings button", "settings icon"),
    "trash": ("trash icon", "delete button", "trash can icon"),
    "plus": ("plus button", "add button", "plus icon"),
    "menu": ("menu button", "hamburger icon"),
    "home": ("home icon", "home button"),
    "star": ("star icon", "favorite button"),
    "minimize": ("minimize button",),
    "maximize": ("maximize button",),
}

#: Icons that may appear in toolbars and icon rows (title-bar controls are placed separately).
TOOL_ICONS: tuple[str, ...] = ("search", "gear", "trash", "plus", "menu", "home", "star")

ORDINALS: tuple[str, ...] = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
