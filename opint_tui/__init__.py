"""opint's terminal side: the command line and the Textual app. Uses opint_core's public API only."""
