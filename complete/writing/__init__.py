"""The writing operations: pure functions from a Session or Story to the next one.

Continuing through a transport, the prompt window, branches, the writer's own
words, token data. No I/O of their own beyond the transport they are handed.
"""
