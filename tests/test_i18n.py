"""Dutch by default, English complete, a visible switch that is remembered."""

from pathlib import Path

from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def test_dutch_is_the_default(client, demo):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="nl">' in page and "Laatste berichten" in page


def test_accept_language_chooses_english(client, demo):
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Latest posts" in page


def test_the_switch_is_visible_and_remembered(client, demo):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/?lang=en"' in home
    response = client.get("/?lang=en")
    assert "Latest posts" in response.get_data(as_text=True)
    assert "lang=en" in response.headers["Set-Cookie"]
    assert "Page not found" in client.get("/blogs/nope/").get_data(as_text=True)
    again = client.get("/", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert "Latest posts" in again


def test_unknown_language_falls_back_to_dutch(client, demo):
    page = client.get("/?lang=xx", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Laatste berichten" in page


def test_numbers_are_localised(client, demo):
    from flask_babel import force_locale, format_decimal

    with force_locale("nl"):
        assert format_decimal(1234.5) == "1.234,5"
    with force_locale("en"):
        assert format_decimal(1234.5) == "1,234.5"


def test_dutch_catalogue_is_complete():
    with (TRANSLATIONS / "nl/LC_MESSAGES/messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    missing = [m.id for m in template if m.id and m.id not in catalogue]
    untranslated = [
        m.id
        for m in catalogue
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert missing == [] and untranslated == [] and fuzzy == []
