"""Looking at a pipeline without running it: the dependency tree, a table, Mermaid and DOT."""
