"""Shared test helpers: fake servers, a fake kernel, JupyterLab, llama-server, recorders."""
