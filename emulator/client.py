"""A small Python client for the emulator's control API (`/_emulator/`, docs/CONTROL_API.md).

Standard library only (urllib), so a test suite needs nothing beyond this package:

    from emulator.client import EmulatorControl

    control = EmulatorControl("http://127.0.0.1:8000")
    control.add_rule(sequence=["ThrottlingException", "ThrottlingException", "ok"], count="call")
    ...  # call Bedrock through boto3
    assert [e["status"] for e in control.journal()] == [429, 429, 200]

Every write sends `Content-Type: application/json`, which the control API requires of writes.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

JSON = dict[str, Any]
MAX_JOURNAL_PAGE = 1000  # the server's largest page


class EmulatorControlError(Exception):
    """The control API answered with an error status; `message` is its `{"message": ...}` text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class EmulatorControl:
    """Typed access to the control API of one emulator server."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _request(
        self, method: str, path: str, body: object = None, query: Mapping[str, object] | None = None
    ) -> Any:
        url = f"{self.base_url}/_emulator/{path}"
        params = {k: str(v) for k, v in (query or {}).items() if v is not None}
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        if method not in ("GET", "HEAD"):
            # Writes must declare JSON (even without a body): a web page cannot send that to another origin
            # without the browser asking first, which the emulator never allows.
            req.add_header("Content-Type", "application/json")
        if self.token is not None:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise EmulatorControlError(exc.code, _message(exc.read())) from None

    # --- rules -------------------------------------------------------------------------------------------

    def add_rule(
        self,
        action: object = None,
        *,
        sequence: Sequence[object] | None = None,
        match: Mapping[str, object] | None = None,
        times: int | None = None,
        probability: float | None = None,
        count: str | None = None,
        name: str | None = None,
    ) -> JSON:
        """Add a rule; returns it with its `id`. `action`/`sequence` items may be names or action objects.

        Examples: `add_rule("ThrottlingException", times=2)`, `add_rule({"latency_ms": [50, 150]})`,
        `add_rule(sequence=["InternalServerException", "ok"], count="call", match={"task": "TEXT_IMAGE"})`.
        """
        rule: JSON = {"match": dict(match or {})}
        if action is not None:
            rule["action"] = action
        if sequence is not None:
            rule["sequence"] = list(sequence)
        optional = {"times": times, "probability": probability, "count": count, "name": name}
        rule.update({key: value for key, value in optional.items() if value is not None})
        result: JSON = self._request("POST", "rules", rule)
        return result

    def rules(self) -> list[JSON]:
        """Every rule, in evaluation order, with its `matched` and `fired` counters."""
        return list(self._request("GET", "rules")["rules"])

    def rule(self, rule_id: int) -> JSON:
        """One rule with its counters."""
        result: JSON = self._request("GET", f"rules/{rule_id}")
        return result

    def delete_rule(self, rule_id: int) -> None:
        """Remove one rule."""
        self._request("DELETE", f"rules/{rule_id}")

    def clear_rules(self) -> int:
        """Remove every rule; returns how many there were."""
        return int(self._request("DELETE", "rules")["deleted"])

    # --- journal -----------------------------------------------------------------------------------------

    def journal(
        self,
        *,
        model: str | None = None,
        task: str | None = None,
        status: int | None = None,
        operation: str | None = None,
        invocation_id: str | None = None,
        error_type: str | None = None,
        since_id: int | None = None,
        limit: int | None = None,
        offset: int = 0,
        descending: bool = False,
    ) -> list[JSON]:
        """Journal entries matching every given filter (all of them, or the first `limit`), oldest first
        unless `descending`.

        The server answers at most 1,000 entries and about 8 MiB per request, so this fetches one such page
        at a time until it has them all (the journal itself holds at most 256 MiB). `iter_journal` walks the
        same entries without keeping them.
        """
        filters = {
            "model": model,
            "task": task,
            "status": status,
            "operation": operation,
            "invocation_id": invocation_id,
            "error_type": error_type,
            "since_id": since_id,
        }
        entries: list[JSON] = []
        for page in self._journal_pages(filters, offset, descending, limit):
            entries.extend(page if limit is None else page[: limit - len(entries)])
        return entries

    def iter_journal(
        self, *, since_id: int | None = None, descending: bool = False, **filters: object
    ) -> Iterator[JSON]:
        """Every matching journal entry, fetched one page at a time (filters as for `journal`)."""
        for page in self._journal_pages({**filters, "since_id": since_id}, 0, descending, None):
            yield from page

    def _journal_pages(
        self, filters: Mapping[str, object], offset: int, descending: bool, limit: int | None
    ) -> Iterator[list[JSON]]:
        taken = 0
        while limit is None or taken < limit:
            query = {
                **filters,
                "limit": min(limit - taken, MAX_JOURNAL_PAGE) if limit is not None else MAX_JOURNAL_PAGE,
                "offset": offset + taken,
                "order": "desc" if descending else "asc",
            }
            page = self._request("GET", "journal", query=query)
            entries = list(page["entries"])
            yield entries
            taken += len(entries)
            if not entries or not page.get("more"):
                return

    def journal_entry(self, entry_id: int) -> JSON:
        """One journal entry by id."""
        result: JSON = self._request("GET", f"journal/{entry_id}")
        return result

    def clear_journal(self) -> int:
        """Empty the journal; returns how many entries there were."""
        return int(self._request("DELETE", "journal")["deleted"])

    # --- filters, lifecycle, reset, config ---------------------------------------------------------------

    def filters(self) -> JSON:
        """The content-filter settings in force."""
        result: JSON = self._request("GET", "filters")
        return result

    def set_filters(
        self,
        *,
        blocked_words: Sequence[str] = (),
        blocked_image_hashes: Sequence[str] = (),
        blocked_image_marker: str | None = None,
        mask_prompt_failure_words: Sequence[str] = (),
        output_block: Mapping[str, object] | None = None,
    ) -> JSON:
        """Replace the content filters (anything not given is off). `output_block` e.g. `{"mode": "all"}`."""
        body = {
            "blocked_words": list(blocked_words),
            "blocked_image_hashes": list(blocked_image_hashes),
            "blocked_image_marker": blocked_image_marker,
            "mask_prompt_failure_words": list(mask_prompt_failure_words),
            "output_block": dict(output_block or {}),
        }
        result: JSON = self._request("PUT", "filters", body)
        return result

    def lifecycle(self) -> dict[str, str]:
        """Every served model with its state (`active`, `legacy` or `eol`)."""
        return dict(self._request("GET", "lifecycle"))

    def set_lifecycle(self, model: str, state: str) -> dict[str, str]:
        """Set one model's lifecycle state; returns every model's state."""
        return dict(self._request("PUT", f"lifecycle/{model}", {"state": state}))

    def reset(self) -> None:
        """Back to the start state: configured rules, filters and lifecycle; counters and journal empty."""
        self._request("POST", "reset")

    def config(self) -> JSON:
        """The test double's settings."""
        result: JSON = self._request("GET", "config")
        return result


def _message(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return json.dumps(data)
