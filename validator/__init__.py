"""Offline validator for Amazon Bedrock image-generation requests (Nova Canvas, Titan Image Generator)."""

from validator.report import BedrockError, ContractError, ContractWarning, RequestReport
from validator.types import InvokeRequest, ModelId, TaskType

__all__ = [
    "BedrockError",
    "ContractError",
    "ContractWarning",
    "InvokeRequest",
    "ModelId",
    "RequestReport",
    "TaskType",
]
