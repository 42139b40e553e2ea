from .browser import browser, page  # noqa: F401 - fixtures, found by pytest here
