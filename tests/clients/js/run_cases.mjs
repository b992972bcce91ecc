// Runs InvokeModel cases with the AWS SDK for JavaScript v3 against the emulator and prints one JSON result per
// case. The client keeps its DEFAULT request handler (NodeHttp2Handler: HTTP/2 with prior knowledge over
// cleartext), exactly what users get; no NodeHttpHandler workaround.
//
// Usage: node run_cases.mjs <cases.json>   where cases.json is
//   {"endpoint": "http://127.0.0.1:PORT", "credentials"?: {accessKeyId, secretAccessKey}, "cases": [{"id", "modelId", "body", "contentType"?, "accept"?,
//    "headers"?: {name: value}}]}
// Output (stdout): [{"id", "ok": true, "contentType", "bodyLength", "body"} | {"id", "ok": false, "name",
//   "message", "status", "fault"}]
import { readFileSync } from "node:fs";
import { BedrockRuntimeClient, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));

const client = new BedrockRuntimeClient({
  endpoint: spec.endpoint,
  region: "us-east-1",
  credentials: spec.credentials ?? {
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  },
  maxAttempts: 1, // one attempt, so retryable faults surface at once (CONTRACT.md §8.6)
});

// Extra request headers per case (e.g. the header the tests' fault rules match on), added before signing.
client.middlewareStack.add(
  (next, context) => async (args) => {
    const extra = context.__extraHeaders ?? {};
    for (const [name, value] of Object.entries(extra)) args.request.headers[name] = value;
    return next(args);
  },
  { step: "build", name: "extraHeaders" },
);

async function runCase(c) {
  const input = { modelId: c.modelId, body: new TextEncoder().encode(c.body) };
  if (c.contentType) input.contentType = c.contentType;
  if (c.accept) input.accept = c.accept;
  const command = new InvokeModelCommand(input);
  command.middlewareStack.add(
    (next, context) => async (args) => {
      context.__extraHeaders = c.headers ?? {};
      return next(args);
    },
    { step: "initialize", name: "setExtraHeaders" },
  );
  try {
    const out = await client.send(command);
    const text = new TextDecoder().decode(out.body);
    return { id: c.id, ok: true, contentType: out.contentType, bodyLength: out.body.length, body: JSON.parse(text) };
  } catch (err) {
    return {
      id: c.id,
      ok: false,
      name: err.name,
      message: err.message,
      status: err.$metadata?.httpStatusCode ?? null,
      fault: err.$fault ?? null,
    };
  }
}

const results = [];
for (const c of spec.cases) results.push(await runCase(c));
process.stdout.write(JSON.stringify(results));
client.destroy();
