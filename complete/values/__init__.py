"""The values everything else stands on: Params (and presets), Story, Generation, the tree.

Frozen attrs classes, their checks, their JSON form, prompt reformatting. Nothing
here asks a transport, writes a file or shows anything.
"""
