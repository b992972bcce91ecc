"""Offline emulator of Amazon Bedrock's image-generation InvokeModel API."""
