"""What a writer sees in real JupyterLab, in headless Chromium (see tests/helpers/lab.py).

Every assertion is on the page's text, never on the kernel's state: these tests
exist because the kernel can be right while the screen is wrong (issue 16: the
widget's Continue changed the story in the kernel and nothing on the page).
Screenshots of each step go to ``$COMPLETE_SCREENSHOTS`` when it is set (see
tests/helpers/lab_fixtures.py).

The stories come from the embedded model (what a new writer runs first), from a
``ScriptedTransport``, or from a loopback server this test process runs
(``tests.helpers.fault_server``), so that every reply and delay is known where the test
needs to know it.
"""

from __future__ import annotations

import itertools
import re

from tests.conftest import needs_programs
from tests.helpers.fault_server import Handler, Received, closed_port, openai_chunk, serve, sse
from tests.helpers.lab import (
    BROWSER_PROGRAMS,
    INSTALL_BROWSER,
    NotebookPage,
    Seen,
)
from tests.helpers.lab_fixtures import browser, lab, page, screenshots

pytestmark = needs_programs(BROWSER_PROGRAMS, INSTALL_BROWSER)

__all__ = ["browser", "lab", "page", "screenshots"]  # the fixtures this module uses


ISSUE_16 = """\
from complete import Completer, TransportError
from complete.testing import ScriptedTransport
refused = TransportError('could not connect to http://127.0.0.1:9/v1/completions\\nStart the server.')
replies = [' there was a fox.', ' It ran.', ' It hid.', ' It slept.', refused]
b = Completer('Once upon a time', transport=ScriptedTransport(replies))
b()"""


def test_widget_buttons_and_slider_change_the_story_on_the_page(page: NotebookPage) -> None:
    page.open("widget.ipynb", [ISSUE_16, "b.widget()"])
    page.run(0)
    assert page.texts(0, ".complete-story p") == ["Once upon a time there was a fox."]
    assert page.texts(0, ".complete-new") == ["there was a fox."]

    page.run(1)
    page.wait_for(lambda: page.texts(1, ".widget-button") == ["Continue", "Retry", "Undo"], "the widget's buttons")

    def story() -> list[str]:
        return page.texts(1, ".complete-widget-story p")

    def highlighted() -> list[str]:
        return page.texts(1, ".complete-widget-story .complete-new")

    def footer() -> str:
        return " ".join(page.texts(1, ".complete-widget-story .complete-params"))

    assert story() == ["Once upon a time there was a fox."]
    sliders = ("temperature", "top_p", "top_k", "min_p", "dry_multiplier", "max_new_tokens")
    assert [page.slider_readout(1, name) for name in sliders] == [*["backend default"] * 5, "64"]
    lengths = page.slider_lengths(1)
    assert len(set(lengths)) == 1, f"every slider as long as the others, set or not: {lengths}"
    page.screenshot("widget-1-opened")

    page.click(1, "Continue")
    page.wait_for(lambda: story() == ["Once upon a time there was a fox. It ran."], "the story to grow after Continue")
    assert highlighted() == ["It ran."]
    page.screenshot("widget-2-continue")

    page.click(1, "Retry")
    page.wait_for(lambda: story() == ["Once upon a time there was a fox. It hid."], "a new last sentence after Retry")
    assert highlighted() == ["It hid."]
    page.screenshot("widget-3-retry")

    page.click(1, "Undo")
    page.wait_for(lambda: story() == ["Once upon a time there was a fox."], "the story to step back after Undo")
    assert highlighted() == []
    page.screenshot("widget-4-undo")

    assert footer().startswith("max_new_tokens=64 · scripted scripted")
    page.nudge_slider(1, "temperature", 2)
    page.wait_for(lambda: footer().startswith("temperature=1.1 max_new_tokens=64"), "the new temperature in the footer")
    assert page.slider_readout(1, "temperature") == "1.10"
    page.nudge_slider(1, "dry_multiplier", 3)
    page.wait_for(lambda: "dry_multiplier=0.15" in footer(), "DRY's multiplier in the footer")
    assert page.slider_readout(1, "dry_multiplier") == "0.15"
    assert page.slider_lengths(1) == lengths  # no handle jumped when its number appeared
    page.screenshot("widget-5-temperature-and-dry")

    page.click(1, "Continue")
    page.wait_for(lambda: story() == ["Once upon a time there was a fox. It slept."], "the story to grow again")
    assert footer().startswith("temperature=1.1 max_new_tokens=64 dry_multiplier=0.15 · scripted scripted · finish")
    assert page.outputs(1) == 1  # the panel, and nothing printed beside it
    page.screenshot("widget-6-continue-at-1.1")

    page.click(1, "Continue")  # the transport refuses this time
    error = "[data-mime-type='application/vnd.jupyter.stderr']"
    page.wait_for(lambda: page.texts(1, f".widget-output {error}") != [], "the error block in the widget")
    assert page.texts(1, f".widget-output {error}")[0].splitlines() == [
        "TransportError: could not connect to http://127.0.0.1:9/v1/completions",
        "Start the server.",
        "Full traceback: %tb verbose. Original exception: sys.last_value.__cause__",
    ]
    assert story() == ["Once upon a time there was a fox. It slept."]
    page.screenshot("widget-7-error")


def _words(text: str) -> str:
    """``text`` as a browser shows it: runs of white space are one space."""
    return " ".join(text.split())


EMBEDDED = (
    "from complete import Completer\n"
    "b = Completer('The lighthouse keeper opened the door', backend='local', max_new_tokens=40, seed=11)",
    "b()",
    "b.widget()",
    "b.undo()\nb.redo()",
    "print(b.text)",
    "b.preview()",
)


def test_the_embedded_model_streams_into_one_output_and_the_widget_drives_it(page: NotebookPage) -> None:
    page.open("embedded.ipynb", list(EMBEDDED))
    page.run(0)
    assert page.output_text(0) == "complete: using the local model SmolLM2-135M-Instruct (Q4_1) (backend='local')."

    prompt = "The lighthouse keeper opened the door"
    page.record(1)
    page.run(1)
    seen = page.recorded(1)
    page.screenshot("embedded-1-streamed")
    final = "\n".join(page.texts(1, ".complete-story p"))
    new = "\n".join(page.texts(1, ".complete-new"))
    assert final.startswith(prompt)
    assert len(final) > len(prompt)
    assert _words(new) == _words(final[len(prompt) :])  # the new part, and only it, highlighted
    # The first start of the engine is said while it loads, then the story grows in
    # one output, each state the one before it and more, up to the final story.
    assert Seen(1, prompt, "loading the model SmolLM2-135M-Instruct.Q4_1.gguf (the first call only)") in seen
    stories = [state.story for state in seen if state.story]
    assert {state.outputs for state in seen if state.story} == {1}
    assert (stories[0], stories[-1]) == (prompt, final)
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(stories))
    assert len(set(stories)) >= 4, f"the story grew in {len(set(stories))} steps only: {stories}"

    page.run(2)
    page.wait_for(lambda: page.texts(2, ".widget-button") == ["Continue", "Retry", "Undo"], "the widget's buttons")

    def story() -> str:
        return "\n".join(page.texts(2, ".complete-widget-story p"))

    def highlighted() -> str:
        return "\n".join(page.texts(2, ".complete-widget-story .complete-new"))

    def footer() -> str:
        return " ".join(page.texts(2, ".complete-widget-story .complete-params"))

    assert story() == final
    page.click(2, "Continue")
    page.wait_for(lambda: story().startswith(final) and "finish:" in footer() and story() != final, "Continue")
    continued = story()
    assert _words(highlighted()) == _words(continued[len(final) :])
    page.screenshot("embedded-2-continue")

    page.click(2, "Retry")
    page.wait_for(lambda: story().startswith(final) and story() != continued and "seed 12" in footer(), "Retry")
    retried = story()
    assert _words(highlighted()) == _words(retried[len(final) :])
    page.screenshot("embedded-3-retry")

    page.click(2, "Undo")
    page.wait_for(lambda: story() == final, "the story to step back after Undo")
    assert highlighted() == ""
    page.screenshot("embedded-4-undo")

    page.nudge_slider(2, "temperature", -6)
    page.nudge_slider(2, "min_p", 10)
    page.wait_for(lambda: footer().startswith("temperature=0.7 max_new_tokens=40 seed=11 min_p=0.1"), "the params")
    assert [page.slider_readout(2, name) for name in ("temperature", "min_p")] == ["0.70", "0.10"]
    page.click(2, "Continue")
    page.wait_for(lambda: story().startswith(final) and story() not in (final, retried), "text streaming in at 0.7")
    page.screenshot("embedded-5-streaming-at-0.7")
    page.wait_for(lambda: "finish:" in footer(), "the continuation at 0.7 to finish")
    assert footer().startswith("temperature=0.7 max_new_tokens=40 seed=11 min_p=0.1 · local SmolLM2")
    assert page.outputs(2) == 1
    page.screenshot("embedded-6-continued-at-0.7")

    page.run(3)  # undo and redo in one cell: the story once
    assert page.outputs(3) == 1
    assert "\n".join(page.texts(3, ".complete-story p")) == story()
    page.run(4)  # what the kernel holds is what the page showed
    assert _words(page.output_text(4)) == _words(story())
    page.screenshot("embedded-7-kernel-agrees")
    page.run(5)  # the prompt wraps between words (JupyterLab breaks its text outputs anywhere)
    assert page.style(5, ".complete-prompt", "wordBreak") == "normal"
    assert page.texts(5, ".complete-prompt")[0].startswith("  story ")
    page.screenshot("embedded-8-preview")


def _slow_stream(handler: Handler, received: Received) -> None:
    """An OpenAI-compatible stream that keeps the writer waiting, then arrives slowly."""
    handler.wait(2.5)
    handler.head(200, {"Content-Type": "text/event-stream", "Transfer-Encoding": "chunked"})
    for piece in (" was", " wide", " and", " blue."):
        handler.chunk(openai_chunk(piece))
        handler.wait(0.6)
    handler.chunk(openai_chunk("", finish="length") + sse(b"[DONE]"))
    handler.end_chunks()


def test_a_wait_is_shown_in_place_then_streams_into_one_output_or_is_interrupted(page: NotebookPage) -> None:
    with serve() as server:
        server.route("/slow/v1/completions", _slow_stream)
        server.route("/never/v1/completions", lambda handler, received: handler.wait())  # never answers
        slow, never = f"'{server.url}/slow/v1'", f"'{server.url}/never/v1'"
        cells = [
            "from complete import Completer, OpenAICompletions\n"
            f"sky = Completer('The sky', transport=OpenAICompletions(base_url={slow}))\n"
            "sky()",
            f"sea = Completer('The sea', transport=OpenAICompletions(base_url={never}), stream=False)\nsea()",
            f"hill = Completer('The hill', transport=OpenAICompletions(base_url={never}))\nhill()",
            "print(repr(sky.text), repr(sea.text), repr(hill.text))",
        ]
        page.open("waiting.ipynb", cells)
        page.run(0, wait=False)
        waiting = re.compile(rf"waiting for 127\.0\.0\.1:{server.port} \([12] s, interrupt to stop\)")
        page.text_when(0, lambda text: waiting.search(text) is not None, "the waiting status")
        assert page.texts(0, ".complete-story p") == ["The sky"]
        page.screenshot("waiting-1-status")

        page.text_when(0, lambda text: "The sky was wide" in text, "the story to stream in")
        assert "waiting for" not in page.output_text(0)
        assert page.outputs(0) == 1
        page.screenshot("waiting-2-streaming")

        page.wait_until_run(0)
        assert page.texts(0, ".complete-story p") == ["The sky was wide and blue."]
        assert page.texts(0, ".complete-new") == ["was wide and blue."]
        assert page.outputs(0) == 1
        page.screenshot("waiting-3-done")

        # Without streaming the wait is shown the same way; an interrupt stops the
        # call and leaves the story, as with streaming (requests always stream).
        page.run(1, wait=False)
        page.text_when(1, lambda text: "interrupt to stop" in text, "the waiting status without streaming")
        assert page.texts(1, ".complete-story p") == ["The sea"]
        page.screenshot("interrupt-1-waiting-without-streaming")
        page.interrupt()
        page.wait_until_run(1)
        assert page.output_text(1).splitlines()[-1] == "Interrupted before any text arrived."
        assert "waiting for" not in page.output_text(1)

        # While streaming, an interrupt before any text keeps the story and says so.
        page.run(2, wait=False)
        page.text_when(2, lambda text: "interrupt to stop" in text, "the waiting status")
        page.interrupt()
        page.wait_until_run(2)
    assert page.output_text(2).splitlines()[-1] == "Interrupted before any text arrived."
    assert "waiting for" not in page.output_text(2)
    page.screenshot("interrupt-2-stopped")
    page.run(3)
    assert page.output_text(3) == "'The sky was wide and blue.' 'The sea' 'The hill'"


def test_a_refused_connection_is_a_short_block_that_says_what_to_do(page: NotebookPage) -> None:
    port = closed_port()
    cell = (
        "from complete import Completer, OpenAICompletions, RetryingTransport\n"
        f"server = OpenAICompletions(base_url='http://127.0.0.1:{port}/v1')\n"
        "hello = Completer('Hello', transport=RetryingTransport(server, attempts=2, initial_wait=2, jitter=0))\n"
        "hello()"
    )
    page.open("refused.ipynb", [cell, "%tb verbose"])
    page.run(0, wait=False)
    refused = f"could not connect to http://127.0.0.1:{port}/v1/completions: [Errno 111] Connection refused"
    page.text_when(0, lambda text: f"{refused}: retrying in 2 s, attempt 2 of 2" in text, "the retry status")
    page.screenshot("refused-1-retrying")

    page.wait_until_run(0)
    block = page.texts(0, "[data-mime-type='application/vnd.jupyter.stderr']")
    assert len(block) == 1
    lines = block[0].splitlines()
    assert len(lines) <= 25
    assert max(len(line) for line in lines) <= 78  # wrapped between words, not by the browser mid-word
    assert " ".join(lines) == (
        f"TransportError: {refused} "
        f"Nothing is listening at http://127.0.0.1:{port}: start the server, check url=, "
        'or write offline with backend="local". '
        "Gave up after 2 tries, having waited 2.0 s between them. "
        "Full traceback: %tb verbose. Original exception: sys.last_value.__cause__"
    )
    assert page.texts(0, ".complete-story p") == ["Hello"]
    assert "retrying" not in page.output_text(0)
    page.screenshot("refused-2-short-block")

    page.run(1)
    full = page.output_text(1).splitlines()
    assert len(full) > 25
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in full
    page.screenshot("refused-3-full-traceback")
