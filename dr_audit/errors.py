"""The one exception family the CLI turns into a single line and exit code 2."""


class BadInput(Exception):
    """Bad usage or bad input (a file, flag, plan, pack or waiver); the message is one line for the user."""
