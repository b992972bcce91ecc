"""`nova-canvas-validate`: check InvokeModel request bodies offline, as Bedrock would (docs/CONTRACT.md §2.4).

    nova-canvas-validate [--model ID] [--format text|json] [--content-type T] [--accept T]
                         [--strict-content-type] [--strict] FILE...
    nova-canvas-validate --schema [--model ID] [--task TASK]
    nova-canvas-validate --version

Each FILE holds one request body (`-` reads standard input). Exit status: 0 when every request is valid
(warnings are printed but do not fail, unless `--strict`), 1 when any request is invalid or, with
`--strict`, draws a warning, 2 on usage errors and unreadable files. `--schema` prints the draft 2020-12
JSON Schema of the model (or of one `--task`) and exits 0.

The JSON output (`--format json`) is one object:

    {"valid": bool, "strict": bool, "passed": bool,
     "files": [{"file": str, "valid": bool, "model": str | null, "taskType": str | null,
                "error": {"exception": str, "status": int, "message": str} | null,
                "errors": [{"pointer", "stage", "keyword", "detail", "exception", "status", "message"}],
                "warnings": [{"code", "pointer", "message"}]}]}

`valid` is Bedrock's verdict on every file; `passed` is what the exit status says (with `--strict`,
warnings fail too). `error` is the one error Bedrock answers with; `errors` lists every violation found,
each with the message Bedrock would send if it were the only one.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any, TextIO

from validator._render import semantic_message
from validator.api import invocation_error, resolve_model_id, validate_request
from validator.jsonschema_export import json_schema
from validator.messages import INVALID_MODEL_ID, MALFORMED, MALFORMED_PREFIX, MALFORMED_SUFFIX
from validator.report import BedrockError, ContractError, RequestReport
from validator.stability.messages import CONTAINER_CODES, container
from validator.stability.models import Operation
from validator.types import InvokeRequest, ModelId, ServedModel, TaskType

__all__ = ["main"]

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class _Outcome:
    """One input file: its report, or why it could not be read."""

    name: str
    report: RequestReport | None
    unreadable: str | None = None


_DISTRIBUTION = "nova-canvas-emulator"


def _version() -> str:
    try:
        return metadata.version(_DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nova-canvas-validate",
        description="Validate Amazon Bedrock image-generation InvokeModel request bodies offline. "
        "The rules and messages are those of docs/CONTRACT.md in the nova-canvas-emulator repository.",
        epilog="Exit status: 0 all valid, 1 some request invalid (with --strict: or warned about), "
        "2 usage error or unreadable file.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("files", nargs="*", metavar="FILE", help="request body file; '-' reads stdin")
    parser.add_argument(
        "--model",
        default=ModelId.NOVA_CANVAS.value,
        help="model id, ARN or inference profile (default: %(default)s). Also the Stability AI models of "
        "docs/CONTRACT.md §S1.2: the generators by bare id (e.g. stability.stable-image-ultra-v1:1, "
        "stability.sd3-5-large-v1:0, stability.stable-image-core-v1:1), the Image Services by their us. "
        "inference profile (e.g. us.stability.stable-image-inpaint-v1:0)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    parser.add_argument("--content-type", help="check this Content-Type header as Bedrock would")
    parser.add_argument("--accept", help="check this Accept header as Bedrock would")
    parser.add_argument(
        "--strict-content-type",
        action="store_true",
        help="reject Content-Type application/octet-stream instead of accepting it with a warning",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 1) on warnings too: inputs Bedrock accepts but that are probably mistakes",
    )
    parser.add_argument("--schema", action="store_true", help="print the JSON Schema and exit")
    tasks = [t.value for t in TaskType] + [o.value for o in Operation]
    parser.add_argument(
        "--task",
        choices=tasks,
        help="with --schema: print the schema of this task only (a Nova/Titan taskType, or a Stability "
        "operation such as image-to-image)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (the console script passes it to `sys.exit`)."""
    parser = _parser()
    args = parser.parse_args(argv)
    model = resolve_model_id(args.model)
    if model is None:
        parser.error(f"--model {args.model!r}: {INVALID_MODEL_ID}")
    on_demand = invocation_error(args.model, model)
    if on_demand is not None:
        parser.error(f"--model {args.model!r}: {on_demand.message}")
    if args.schema:
        if args.files:
            parser.error("--schema takes no FILE: it prints the schema instead of checking requests")
        return _print_schema(parser, model, args.task)
    if args.task is not None:
        parser.error("--task only applies to --schema (the taskType of a request is read from its body)")
    if not args.files:
        parser.error("at least one FILE is required (or --schema)")
    headers = _headers(args.content_type, args.accept)
    outcomes = [_check(name, args.model, headers, args.strict_content_type) for name in args.files]
    if args.format == "json":
        _write_json(outcomes, sys.stdout, args.strict)
    else:
        _write_text(outcomes, sys.stdout, args.strict)
    return _exit_status(outcomes, args.strict)


def _print_schema(parser: argparse.ArgumentParser, model: ServedModel, task: str | None) -> int:
    try:
        schema = json_schema(model, task)
    except ValueError as exc:
        parser.error(str(exc))
    sys.stdout.write(json.dumps(schema, indent=2) + "\n")
    return EXIT_VALID


def _headers(content_type: str | None, accept: str | None) -> dict[str, str] | None:
    """Headers to check, or None (a file carries no headers, so none are checked unless given)."""
    headers = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if accept is not None:
        headers["Accept"] = accept
    return headers or None


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    with open(name, "rb") as handle:
        return handle.read()


def _check(name: str, model_id: str, headers: dict[str, str] | None, strict: bool) -> _Outcome:
    try:
        body = _read(name)
    except OSError as exc:
        return _Outcome(name, None, exc.strerror or str(exc))
    report = validate_request(body, model_id, headers=headers, strict_content_type=strict)
    return _Outcome(name, report)


def _fails(report: RequestReport, strict: bool) -> bool:
    return not report.valid or (strict and bool(report.warnings))


def _exit_status(outcomes: Sequence[_Outcome], strict: bool) -> int:
    if any(o.report is None for o in outcomes):
        return EXIT_USAGE
    if any(o.report is not None and _fails(o.report, strict) for o in outcomes):
        return EXIT_INVALID
    return EXIT_VALID


def _own_message(error: ContractError) -> str:
    """The message Bedrock would send if this were the request's only violation."""
    if error.stage == "schema" and error.keyword != "json":
        return MALFORMED_PREFIX + error.text + MALFORMED_SUFFIX
    if error.stage == "schema":  # the body did not parse: the plain Malformed text
        return MALFORMED
    if error.stage == "protocol":
        return error.detail
    if error.keyword in CONTAINER_CODES:  # a Stability container text (docs/CONTRACT.md §S6.4)
        return container(error.detail)
    return semantic_message(error)


def _label(name: str) -> str:
    return "<stdin>" if name == "-" else name


def _task_of(report: RequestReport) -> str | None:
    request = report.request
    if request is None:
        return None
    return request.task_type.value if isinstance(request, InvokeRequest) else request.operation.value


# --- text output ---


def _write_text(outcomes: Sequence[_Outcome], out: TextIO, strict: bool) -> None:
    for outcome in outcomes:
        out.write(_printable("\n".join(_text_lines(outcome, strict)) + "\n", out))


def _printable(text: str, out: TextIO) -> str:
    """Text the stream can encode: messages quote request text, which may hold lone surrogates."""
    encoding = getattr(out, "encoding", None) or "utf-8"
    return text.encode(encoding, "backslashreplace").decode(encoding)


def _text_lines(outcome: _Outcome, strict: bool) -> list[str]:
    label = _label(outcome.name)
    report = outcome.report
    if report is None:
        return [f"{label}: UNREADABLE: {outcome.unreadable}"]
    if report.error is None:
        count = len(report.warnings)
        failed = f", FAILS --strict: {count} warning{'s' if count != 1 else ''}" if strict and count else ""
        lines = [f"{label}: valid ({_summary(report)}){failed}"]
    else:
        error = report.error
        lines = [f"{label}: INVALID", f"  {error.exception} ({error.status}): {error.message}"]
        lines += [f"  error {e.pointer or '-'} [{e.keyword}]: {e.detail}" for e in report.errors]
    lines += [f"  warning {w.code} {w.pointer or '-'}: {w.message}" for w in report.warnings]
    return lines


def _summary(report: RequestReport) -> str:
    request = report.request
    if request is None:  # not reachable for a valid report; keeps the text total
        return report.model.value if report.model is not None else "unknown model"
    if not isinstance(request, InvokeRequest):
        return (
            f"{request.model.value}, {request.operation.value}, 1 image of {request.output_size} "
            f"({request.output_format.value}), seed {request.seed}"
        )
    count = request.config.number_of_images
    return (
        f"{request.model.value}, {request.task_type.value}, "
        f"{count} image{'s' if count != 1 else ''} of {request.output_size}"
    )


# --- JSON output ---


def _write_json(outcomes: Sequence[_Outcome], out: TextIO, strict: bool) -> None:
    files = [_file_json(o) for o in outcomes]
    passed = _exit_status(outcomes, strict) == EXIT_VALID
    document = {"valid": all(f["valid"] for f in files), "strict": strict, "passed": passed, "files": files}
    out.write(json.dumps(document, indent=2) + "\n")  # ASCII: escapes anything the stream cannot encode


def _file_json(outcome: _Outcome) -> dict[str, Any]:
    report = outcome.report
    label = _label(outcome.name)
    if report is None:
        return {"file": label, "valid": False, "unreadable": outcome.unreadable}
    error = report.error
    return {
        "file": label,
        "valid": report.valid,
        "model": report.model.value if report.model is not None else None,
        "taskType": _task_of(report),
        "error": _bedrock_json(error),
        "errors": [_error_json(e, error) for e in report.errors] if error is not None else [],
        "warnings": [{"code": w.code, "pointer": w.pointer, "message": w.message} for w in report.warnings],
    }


def _bedrock_json(error: BedrockError | None) -> dict[str, Any] | None:
    if error is None:
        return None
    return {"exception": error.exception, "status": error.status, "message": error.message}


def _error_json(error: ContractError, reported: BedrockError) -> dict[str, Any]:
    # Every error a request body can draw offline is a ValidationException, so all share the reported one's.
    return {
        "pointer": error.pointer,
        "stage": error.stage,
        "keyword": error.keyword,
        "detail": error.detail,
        "exception": reported.exception,
        "status": reported.status,
        "message": _own_message(error),
    }


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
