"""The original README's prompt, as a writer pastes it, and as ``Completer`` reformats it."""

SEED_PROMPT = """
Sometimes I marvel at how the sky contains no advertisements. Oh, sometimes
someone goes up in a little plane and skywrites a birthday greeting. But the
sky... you don't have to watch an ad to see it.

When people learn I fought in the war to free the sky, they say, "Thank you for
"""

SEED_REFORMATTED = (
    "Sometimes I marvel at how the sky contains no advertisements. Oh, sometimes someone goes up in a "
    "little plane and skywrites a birthday greeting. But the sky... you don't have to watch an ad to see it.\n"
    'When people learn I fought in the war to free the sky, they say, "Thank you for'
)
"""``SEED_PROMPT`` reformatted: single line breaks are spaces, paragraphs one newline,
and the unfinished last sentence keeps its end."""
