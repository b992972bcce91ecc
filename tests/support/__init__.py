"""Helpers shared by the test suites and bench/, imported as `tests.support.<module>`:

- `server`: the real emulator as a subprocess (`EmulatorProcess`, `start_server`), its environment, free
  ports.
- `rawhttp`: HTTP/1.1 over a plain socket, for requests no client library will send.
- `clients`: boto3, the JavaScript SDK, the control API, Chromium; skip-or-fail for missing tools.
- `bodies`: model ids, InvokeModel paths, small valid bodies for every task and the images they carry.
- `responses`: Bedrock's error shape and the response contract, as assertions.
- `apps`: in-process apps (the app factory with an in-memory test double, recording hooks, the journal page).
- `fixtures`: the language-neutral contract cases of fixtures/requests and the images of fixtures/images.
- `scenes`: synthetic pictures and typed requests for calling the generators directly.
- `dockerfile`: enough of the Dockerfile and .dockerignore formats to run the image's command without Docker.
"""
