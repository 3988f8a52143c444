"""How a story shows: terminal text, notebook HTML, live updates, captions, tracebacks.

Rendering only: these modules never ask a transport and never change a story.
"""
