"""Fixtures for the journal page's unit tests: an app with the page over an in-memory journal."""

from __future__ import annotations

import pytest

from tests.support.apps import ListJournal, failing_record, inpainting_record, journal_page_app


@pytest.fixture
def journal() -> ListJournal:
    """An in-memory journal with an inpainting call and a validation failure."""
    return ListJournal([inpainting_record(), failing_record()])


@pytest.fixture
def client(journal: ListJournal):
    """A test client of the page over `journal`."""
    return journal_page_app(journal).test_client()
