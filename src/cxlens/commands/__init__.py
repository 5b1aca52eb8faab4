"""Commands of the CLI that live beside ``cxlens.cli``: one module per action."""
