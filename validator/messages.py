"""Every fixed message text of the contract, in one place (docs/CONTRACT.md §2.2, §7.2, §7.4).

Schema-stage details (docs/CONTRACT.md §7.1) and project-phrased semantic messages (§7.3) are rendered from
templates that live with the checks (`validator._render`); this module holds the texts that never vary. Texts
marked Real were observed from AWS; the rest are the project's choices listed in docs/CONTRACT.md §10.
"""

from __future__ import annotations

from typing import Final

ERROR_TYPE_SUFFIX: Final = ":http://internal.amazon.com/coral/com.amazon.bedrock/"

# docs/CONTRACT.md §7.2 (Real)
MALFORMED: Final = "Malformed input request, please reformat your input and try again."
MALFORMED_PREFIX: Final = "Malformed input request: "
MALFORMED_SUFFIX: Final = ", please reformat your input and try again."
INVALID_MODEL_ID: Final = "The provided model identifier is invalid."
INVALID_CONTENT_TYPE: Final = "The provided Content Type is invalid or not supported for this model"
INVALID_ACCEPT: Final = "The provided Accept Type is invalid or not supported for this model"
STREAMING_UNSUPPORTED: Final = "The model is unsupported for streaming."
CONVERSE_UNSUPPORTED: Final = (
    "This action doesn't support the model that you provided. Try again with a supported text or chat model."
)
NOVA_TEXT_BLOCKED: Final = (
    "This request has been blocked by our content filters. "
    "Please adjust your text prompt to submit a new request."
)
IMAGE_BLOCKED: Final = (
    "This request has been blocked by our content filters. "
    "Please adjust your input image to submit a new request."
)
TITAN_TEXT_BLOCKED: Final = (
    "This request has been blocked by our content filters. Our filters automatically flagged this prompt "
    "because it may conflict our AUP or AWS Responsible AI Policy. "
    "Please adjust your text prompt to submit a new request."
)
MASK_PROMPT_FAILED: Final = (
    "400 Bad Request: Unable to auto-generate mask image with given input image and mask prompt."
)
LIFECYCLE_LEGACY: Final = (
    "Access denied. This Model is marked by provider as Legacy and you have not been actively using the "
    "model in the last 30 days. Please upgrade to an active model on Amazon Bedrock"
)
LIFECYCLE_EOL: Final = (
    "This model version has reached the end of its life. "
    "Please refer to the AWS documentation for more details."
)
ALL_IMAGES_BLOCKED: Final = "All of the generated images have been blocked by our content filters."
SOME_IMAGES_BLOCKED: Final = "Some of the generated images have been blocked by our content filters."

# docs/CONTRACT.md §2.4 step 3 / §7.3 SEM-BODY-SIZE (D23)
MAX_BODY_BYTES: Final = 25_000_000
BODY_TOO_LARGE: Final = (
    "1 validation error detected: Value at 'body' failed to satisfy constraint: "
    "Member must have length less than or equal to 25000000"
)

# docs/CONTRACT.md §2.5.3 strict authentication
MISSING_AUTH_TOKEN: Final = "Missing Authentication Token"
WRONG_SERVICE_SCOPE: Final = "Credential should be scoped to correct service: 'bedrock'. "
INVALID_SECURITY_TOKEN: Final = "The security token included in the request is invalid."
INVALID_API_KEY: Final = "Authentication failed: Please make sure your API Key is valid."

# Statuses (docs/CONTRACT.md §2.9) and default texts (§7.2, §7.4) of every modelled exception: the defaults
# of injected faults (D29).
EXCEPTION_STATUS: Final[dict[str, int]] = {
    "ValidationException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ModelTimeoutException": 408,
    "ModelErrorException": 424,
    "ThrottlingException": 429,
    "ModelNotReadyException": 429,
    "ServiceQuotaExceededException": 400,
    "InternalServerException": 500,
    "ServiceUnavailableException": 503,
}
DEFAULT_EXCEPTION_MESSAGE: Final[dict[str, str]] = {
    "ValidationException": MALFORMED,
    "AccessDeniedException": "You don't have access to the model with the specified model ID.",
    "ResourceNotFoundException": "Could not resolve the foundation model from the provided model identifier.",
    "ModelTimeoutException": "Model has timed out in processing the request. Try your request again.",
    "ModelErrorException": "The request failed due to an error while processing the model.",
    "ThrottlingException": "Too many requests, please wait before trying again.",
    "ModelNotReadyException": (
        "The model specified in the request is not ready to serve inference requests."
    ),
    "ServiceQuotaExceededException": (
        "Your request exceeds the service quota for your account. "
        "You can view your quotas at Viewing service quotas. You can resubmit your request later."
    ),
    "InternalServerException": "An internal server error occurred.",
    "ServiceUnavailableException": "Bedrock is unable to process your request.",
}

# docs/CONTRACT.md §2.2 (D24): the one error whose body is not {"message": ...}.
UNKNOWN_OPERATION_ERROR_TYPE: Final = (
    "UnknownOperationException:http://internal.amazon.com/coral/com.amazon.coral.service/"
)
UNKNOWN_OPERATION_BODY: Final = (
    '{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},"Version":"1.0"}'
)
