"""Authentication (docs/CONTRACT.md §2.5.3): record the form a client used; in strict mode, check it like AWS.

By default nothing is checked: any `Authorization` header, or none, is accepted and its form (SigV4 access key
id, region and service scope; Bearer; none) is recorded on the call. Strict mode answers the four
docs/CONTRACT.md §2.5.3 cases in order, then refuses an `X-Amz-Date` more than 5 minutes from the server's
clock, and then verifies the SigV4 signature itself against the configured secret, recomputing it the way
botocore's `SigV4Auth` and the JS SDK's `SignatureV4` build it.

Granian's WSGI environ carries only the percent-decoded `PATH_INFO`, not the raw request target, so when no
raw URI is available the canonical URI is rebuilt from the encodings real clients use (docs/CONTRACT.md §9):
every byte outside `A-Za-z0-9-_.~` encoded (botocore, JS SDK, litellm ARNs), or a raw `:` (litellm bare ids).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from emulator.errors import (
    SIGNATURE_MISMATCH,
    AccessDeniedException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)
from validator import messages

SIGV4_ALGORITHM = "AWS4-HMAC-SHA256"
SIGNING_NAME = "bedrock"  # not bedrock-runtime (docs/CONTRACT.md §2.2, botocore model)
# Bedrock Runtime accepts a signature within 5 minutes of its clock either way, and words the refusal (403
# InvalidSignatureException) like the rest of AWS, e.g. "Signature expired: 20250130T203827Z is now earlier
# than 20250130T204131Z (20250130T204631Z - 5 min.)".
SIGNATURE_WINDOW = timedelta(minutes=5)
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
SIGNATURE_EXPIRED = "Signature expired: {date} is now earlier than {earliest} ({now} - {window} min.)"
SIGNATURE_NOT_YET_CURRENT = (
    "Signature not yet current: {date} is still later than {latest} ({now} + {window} min.)"
)
_UNSIGNED = frozenset({"UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"})
_SIGV4 = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+)\s*,\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*Signature=(?P<signature>[0-9a-fA-F]+)\s*$"
)


@dataclass(frozen=True)
class SigV4Credential:
    """The parsed `Authorization: AWS4-HMAC-SHA256 ...` header."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        """`<date>/<region>/<service>/aws4_request`."""
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


@dataclass(frozen=True)
class AuthForm:
    """What a request presented: `sigv4`, `bearer`, `none`, or `other` (an unrecognised scheme)."""

    form: str
    sigv4: SigV4Credential | None = None
    token: str | None = None

    def record(self) -> dict[str, object]:
        """The journal's view (`Call.auth`): the form and SigV4 scope, never secrets or tokens."""
        if self.sigv4 is None:
            return {"form": self.form}
        cred = self.sigv4
        return {
            "form": self.form,
            "access_key_id": cred.access_key_id,
            "region": cred.region,
            "service": cred.service,
        }


def parse_authorization(value: str | None) -> AuthForm:
    """Classify an `Authorization` header value."""
    if not value:
        return AuthForm("none")
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() == "bearer" and rest.strip():
        return AuthForm("bearer", token=rest.strip())
    match = _SIGV4.match(value.strip())
    if match is None:
        return AuthForm("other")
    parts = match["credential"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        return AuthForm("other")
    cred = SigV4Credential(
        parts[0], parts[1], parts[2], parts[3], tuple(match["signed"].split(";")), match["signature"].lower()
    )
    return AuthForm("sigv4", sigv4=cred)


def check_presented(form: AuthForm, access_keys: Mapping[str, str], bearer_tokens: frozenset[str]) -> None:
    """docs/CONTRACT.md §2.5.3 strict mode, the four header-level cases in their order; raises the 403 AWS
    answers."""
    if form.form in ("none", "other"):
        raise MissingAuthenticationTokenException(messages.MISSING_AUTH_TOKEN)
    if form.sigv4 is not None:
        if form.sigv4.service != SIGNING_NAME:
            raise InvalidSignatureException(messages.WRONG_SERVICE_SCOPE)
        if form.sigv4.access_key_id not in access_keys:
            raise UnrecognizedClientException(messages.INVALID_SECURITY_TOKEN)
    elif form.token not in bearer_tokens:
        raise AccessDeniedException(messages.INVALID_API_KEY)


@dataclass(frozen=True)
class SignedRequest:
    """The parts of an HTTP request that SigV4 signs. `headers` keys are lowercase."""

    method: str
    path_candidates: tuple[str, ...]  # the raw path if known, else the plausible client encodings
    query: str
    headers: Mapping[str, str]
    body: bytes


def check_request_time(amz_date: str, now: float | None = None) -> None:
    """Refuse an `X-Amz-Date` more than `SIGNATURE_WINDOW` away from the server's clock, as AWS does.

    A value that is not a SigV4 timestamp is left to the signature check (it cannot match).
    """
    try:
        signed = datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return
    current = datetime.fromtimestamp(time.time() if now is None else now, UTC).replace(microsecond=0)
    window = int(SIGNATURE_WINDOW.total_seconds() // 60)
    if signed < current - SIGNATURE_WINDOW:
        earliest = (current - SIGNATURE_WINDOW).strftime(AMZ_DATE_FORMAT)
        raise InvalidSignatureException(
            SIGNATURE_EXPIRED.format(
                date=amz_date, earliest=earliest, now=current.strftime(AMZ_DATE_FORMAT), window=window
            )
        )
    if signed > current + SIGNATURE_WINDOW:
        latest = (current + SIGNATURE_WINDOW).strftime(AMZ_DATE_FORMAT)
        raise InvalidSignatureException(
            SIGNATURE_NOT_YET_CURRENT.format(
                date=amz_date, latest=latest, now=current.strftime(AMZ_DATE_FORMAT), window=window
            )
        )


def verify_signature(
    cred: SigV4Credential, secret: str, req: SignedRequest, now: float | None = None
) -> None:
    """Refuse a stale or future `X-Amz-Date` (`check_request_time`), then recompute the SigV4 signature;
    raise `InvalidSignatureException` (AWS's text) when none matches."""
    check_request_time(req.headers.get("x-amz-date", ""), now)
    declared = req.headers.get("x-amz-content-sha256")
    actual = hashlib.sha256(req.body).hexdigest()
    if declared is not None and declared not in _UNSIGNED and declared != actual:
        raise InvalidSignatureException(SIGNATURE_MISMATCH)
    payload_hash = declared or actual
    key = signing_key(secret, cred.date, cred.region, cred.service)
    amz_date = req.headers.get("x-amz-date", "")
    for path in req.path_candidates:
        canonical = canonical_request(req, path, cred.signed_headers, payload_hash)
        to_sign = "\n".join((SIGV4_ALGORITHM, amz_date, cred.scope, _sha256(canonical)))
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, cred.signature):
            return
    raise InvalidSignatureException(SIGNATURE_MISMATCH)


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The derived SigV4 key: HMAC chain over date, region, service and `aws4_request`."""
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def canonical_request(req: SignedRequest, raw_path: str, signed: Iterable[str], payload_hash: str) -> str:
    """The SigV4 canonical request; non-S3 services encode the (already encoded) path once more."""
    names = sorted({name.lower() for name in signed})
    header_lines = "".join(f"{name}:{' '.join(_header(req.headers, name).split())}\n" for name in names)
    return "\n".join(
        (
            req.method.upper(),
            quote(raw_path, safe="/~"),
            _canonical_query(req.query),
            header_lines,
            ";".join(names),
            payload_hash,
        )
    )


def path_candidates(raw_uri: str | None, decoded_path: str) -> tuple[str, ...]:
    """The raw path when the server gave it; otherwise the encodings clients use for the decoded path
    (docs/CONTRACT.md §9)."""
    if raw_uri:
        return (raw_uri.split("?", 1)[0],)
    segments = decoded_path.split("/")
    encoded = "/".join(quote(seg, safe="") for seg in segments)
    if decoded_path.startswith("/model/") and len(segments) > 3:
        # The modelId may itself contain "/" (ARNs): clients encode it as one label (%2F).
        encoded = "/model/" + quote("/".join(segments[2:-1]), safe="") + "/" + quote(segments[-1], safe="")
    return tuple(dict.fromkeys((encoded, decoded_path)))


def _header(headers: Mapping[str, str], name: str) -> str:
    """A signed header's value. The JS SDK over HTTP/2 signs `:authority`, which WSGI exposes as Host."""
    if name == ":authority":
        return headers.get(name) or headers.get("host", "")
    return headers.get(name, "")


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    pairs = sorted(tuple(item.partition("=")[::2]) for item in query.split("&"))
    return "&".join(f"{key}={value}" for key, value in pairs)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
