"""A real boto3 call against the emulator, as an application would make it; exits 0 when it works.

boto3 finds the emulator through AWS_ENDPOINT_URL_BEDROCK_RUNTIME (compose.yaml sets it to
http://emulator:8000), so this code is exactly what would run against AWS. Any credentials will do: the
emulator checks none unless strict authentication is switched on.
"""

from __future__ import annotations

import base64
import json
import struct
import sys

import boto3
from botocore.config import Config

MODEL_ID = "amazon.nova-canvas-v1:0"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def main() -> int:
    """Generate two images, then show that a bad request raises the modelled ValidationException."""
    client = boto3.client("bedrock-runtime", config=Config(retries={"mode": "standard", "max_attempts": 1}))
    body = {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a lighthouse on a cliff at dawn"},
        "imageGenerationConfig": {"numberOfImages": 2, "width": 512, "height": 512, "seed": 7},
    }
    response = client.invoke_model(modelId=MODEL_ID, body=json.dumps(body))
    result = json.loads(response["body"].read())
    sizes = [png_size(base64.b64decode(image)) for image in result["images"]]
    print(f"{MODEL_ID}: {len(sizes)} images {sizes}, request id {response['ResponseMetadata']['RequestId']}")
    if sizes != [(512, 512), (512, 512)]:
        return 1

    body["imageGenerationConfig"]["width"] = 500  # not a multiple of 16
    try:
        client.invoke_model(modelId=MODEL_ID, body=json.dumps(body))
    except client.exceptions.ValidationException as exc:
        print(f"ValidationException: {exc.response['Error']['Message']}")
        return 0
    print("expected a ValidationException for width 500", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
