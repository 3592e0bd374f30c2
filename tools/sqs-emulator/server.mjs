#!/usr/bin/env node
// Local SQS-compatible server for LambdaRecon tests and local runs. Wraps the request handler of
// local-aws-sqs (pinned 2.0.2) and patches the gaps that break the AWS SDK for .NET v4, which
// speaks the SQS JSON protocol. README.md lists what works and what does not.
import http from "node:http";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Module, createRequire } from "node:module";
import { dirname } from "node:path";
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

// The library's ChangeMessageVisibility adds 1 to ApproximateReceiveCount, as if it were a receive, so each
// change brings a message nearer the DLQ; SQS counts receives only, and the ledger worker changes the
// visibility of every failed message. Its private queue state is out of reach from here, so the one
// statement is patched in the pinned 2.0.2 source as it loads, and any other version is refused.
function loadLocalAwsSqs() {
  const file = createRequire(import.meta.url).resolve("local-aws-sqs");
  const change = "if(!r)return!1;let n=Number(e);return l(this,D,Wt).call(this,r,n,!0),!0}";
  const source = readFileSync(file, "utf8");
  if (!source.includes(change) || !source.includes("clearRecords(){for(let t of S(this,E))clearTimeout(t.tmRetention),clearTimeout(t.tm);C(this,E,[])}")) {
    console.error(`sqs-emulator: ${file} is not the local-aws-sqs 2.0.2 whose ChangeMessageVisibility this server fixes`);
    process.exit(1);
  }
  const library = new Module(file);
  library.filename = file;
  library.paths = Module._nodeModulePaths(dirname(file));
  // ReceiveMessage is done here (receive() below): the queue's entries and its hide step (count a receive,
  // new receipt handle, visible again or to the DLQ when the timeout runs out) are exposed for it.
  const clear = "clearRecords(){for(let t of S(this,E))clearTimeout(t.tmRetention),clearTimeout(t.tm);C(this,E,[])}";
  library._compile(source.replace(change,
    "if(!r)return!1;let n=Number(e);r.record.attributes.ApproximateReceiveCount=String(Number(r.record.attributes.ApproximateReceiveCount)-1);return l(this,D,Wt).call(this,r,n,!0),!0}")
    .replace(clear, `${clear}entries(){return S(this,E)}hide(t,e){l(this,D,Wt).call(this,t,e)}`),
    file);
  return library.exports;
}
const { createRequestHandler } = loadLocalAwsSqs();

const { values: args } = parseArgs({
  options: { port: { type: "string" }, queues: { type: "string" }, region: { type: "string" }, "account-id": { type: "string" } },
});
const HOST = "127.0.0.1"; // loopback only: a test tool, never reachable from outside
const port = Number(args.port ?? process.env.SQS_PORT ?? 9324);
const queuesFile = args.queues ?? process.env.SQS_QUEUES_FILE ?? fileURLToPath(new URL("./queues.json", import.meta.url));
const region = args.region ?? process.env.AWS_REGION ?? "us-east-1";
const accountId = args["account-id"] ?? process.env.SQS_ACCOUNT_ID ?? "000000000000";
const JSON_CT = "application/x-amz-json-1.0";
const ok = (reply) => ({ status: 200, headers: { "content-type": JSON_CT }, body: JSON.stringify(reply) });
const hash = (alg, s) => createHash(alg).update(String(s)).digest("hex");

// queues.json holds plain JSON values; CreateQueue wants strings, and a RedrivePolicy naming its
// DLQ by ARN, so deadLetterTargetName is turned into one here.
const toCreateQueue = ({ name, attributes = {} }) => ({
  QueueName: name,
  Attributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => {
    if (k === "RedrivePolicy" && v?.deadLetterTargetName) {
      const { deadLetterTargetName, ...rest } = v;
      v = { deadLetterTargetArn: `arn:aws:sqs:${region}:${accountId}:${deadLetterTargetName}`, ...rest };
    }
    return [k, typeof v === "object" ? JSON.stringify(v) : String(v)];
  })),
});

let service, requestHandler;
try {
  const { queues = [] } = JSON.parse(readFileSync(queuesFile, "utf8"));
  // A RedrivePolicy's DLQ must exist first: create queues without one before the others.
  const ordered = [...queues].sort((a, b) => !!a.attributes?.RedrivePolicy - !!b.attributes?.RedrivePolicy);
  ({ service, requestHandler } = createRequestHandler({
    port, hostname: HOST, region, accountId, queues: ordered.map(toCreateQueue),
    emulateQueueCreationLifecycle: false, // tests may delete and re-create a queue at once
  }));
} catch (err) {
  console.error(`sqs-emulator: cannot create queues from ${queuesFile}: ${err.message}`);
  process.exit(1);
}
const findQueue = (url) => typeof url === "string" && service.Queues.find((q) => q.QueueName === url.split("/").pop());

// Runs the library handler on an in-memory request/response (it only uses headers, the body
// stream, setHeader, statusCode and end), so replies can be fixed before they reach the client.
function invoke(headers, body) {
  const req = Readable.from([Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body))]);
  req.headers = headers;
  return new Promise((resolve) => {
    const res = {
      statusCode: 200, headers: {},
      setHeader(k, v) { this.headers[k.toLowerCase()] = v; },
      end(b) { resolve({ status: this.statusCode, headers: this.headers, body: b == null ? "" : String(b) }); },
    };
    requestHandler(req, res).catch((err) => { // e.g. a JSON request without X-Amz-Target
      res.statusCode = 500;
      res.end(JSON.stringify({ __type: "InternalError", message: String(err) }));
    });
  });
}

// The library's ReceiveMessage polls every 10 ms until MaxNumberOfMessages are found (or WaitTimeSeconds +
// 40 ms), scanning the whole queue at each tick, re-delivers a message whose visibility ran out in between
// (duplicates in one reply), hands out a FIFO group's next message while an earlier one is in flight, and
// reads only the legacy AttributeNames. So receives are done here, as SQS does them: one pass over the
// queue in its order takes up to MaxNumberOfMessages at once, and a long poll waits for a send, delete or
// visibility change on the queue (or 50 ms, for a visibility timeout or delay running out) before the next.
const waiters = new Map(); // queue name -> Set of functions that wake a waiting receive
// On the next tick: a visibility changed to 0 comes true on a timer the library set first.
const wake = (q) => setTimeout(() => { for (const w of waiters.get(q?.QueueName) ?? []) w(); });

// One pass in queue order. FIFO: a group with a message in flight (or still delayed) gives nothing, so a
// group's next message comes only once the earlier ones are deleted or visible again; what one pass takes
// of a group is in the group's order. Each message taken counts one receive (the library's hide step, which
// also moves it to the DLQ when its visibility runs out after maxReceiveCount receives).
function take(queue, max, visibility) {
  const taken = [], blocked = new Set();
  for (const entry of queue.entries()) {
    const group = queue.FifoQueue ? entry.record.attributes.MessageGroupId : undefined;
    if (group !== undefined && blocked.has(group)) continue;
    if (entry.delayed || !entry.visible) {
      if (group !== undefined) blocked.add(group);
      continue;
    }
    queue.hide(entry, visibility);
    // A copy: the reply shows this receive's count, not a later one's.
    taken.push({ ...entry.record, attributes: { ...entry.record.attributes } });
    if (taken.length === max) break;
  }
  return taken;
}

// The reply as the library writes it: Attributes by name or All; MessageAttributes by name, All, .* or prefix.*.
function toMessage(record, attributeNames, messageAttributeNames) {
  const m = { Body: record.MessageBody, MD5OfBody: record.MD5OfMessageBody, MessageId: record.MessageId, ReceiptHandle: record.ReceiptHandle };
  const attributes = attributeNames.includes("All") ? record.attributes
    : Object.fromEntries(attributeNames.filter((n) => record.attributes[n]).map((n) => [n, record.attributes[n]]));
  if (Object.keys(attributes).length) m.Attributes = attributes;
  const all = record.MessageAttributes ?? {};
  const wanted = (name) => messageAttributeNames.some((n) => n === "All" || n === ".*" || n === name
    || (n.endsWith(".*") && name.startsWith(n.slice(0, -2))));
  const messageAttributes = Object.fromEntries(Object.entries(all).filter(([name]) => wanted(name)));
  if (Object.keys(messageAttributes).length) {
    m.MessageAttributes = messageAttributes;
    m.MD5OfMessageAttributes = md5OfAttributes(messageAttributes);
  }
  return m;
}

// The library marks every message it stores as delayed until a timer with the delay (0 ms without one)
// fires; SQS hands a message sent without a delay to the very next receive. The newest entries are the new
// messages; a de-duplicated send names one already stored, which is not delayed either.
function undelay(queue, batch, body, reply) {
  if (queue.DelaySeconds) return;
  const entries = batch ? body.Entries ?? [] : [body];
  const ids = new Set((batch ? reply.Successful ?? [] : [reply])
    .filter((r) => !Number(entries.find((e) => !batch || String(e.Id) === String(r.Id))?.DelaySeconds))
    .map((r) => r.MessageId));
  const all = queue.entries();
  for (let i = all.length - 1; i >= 0 && ids.size; i--) if (ids.delete(all[i].record.MessageId)) all[i].delayed = false;
}

async function receive(headers, body, res) {
  const queue = findQueue(body.QueueUrl);
  const wait = Number(body.WaitTimeSeconds ?? queue?.ReceiveMessageWaitTimeSeconds ?? 0);
  const max = Number(body.MaxNumberOfMessages ?? 1);
  const visibility = body.VisibilityTimeout === undefined ? NaN : Number(body.VisibilityTimeout); // NaN: the queue's
  const valid = (n, lo, hi) => Number.isInteger(n) && n >= lo && n <= hi;
  if (!queue || !valid(wait, 0, 20) || !valid(max, 1, 10) || !(Number.isNaN(visibility) || valid(visibility, 0, 43200))) {
    return invoke(headers, body); // the library reports the error
  }
  const attributeNames = [...(body.AttributeNames ?? []), ...(body.MessageSystemAttributeNames ?? [])];
  const messageAttributeNames = body.MessageAttributeNames ?? [];
  const deadline = Date.now() + wait * 1000;
  while (true) {
    const taken = take(queue, max, visibility);
    if (taken.length) return ok({ Messages: taken.map((r) => toMessage(r, attributeNames, messageAttributeNames)) });
    if (res.destroyed || Date.now() >= deadline) return ok({});
    await new Promise((resolve) => {
      const set = waiters.get(queue.QueueName) ?? waiters.set(queue.QueueName, new Set()).get(queue.QueueName);
      const done = () => (clearTimeout(timer), set.delete(done), res.off("close", done), resolve());
      const timer = setTimeout(done, Math.min(50, deadline - Date.now()));
      set.add(done);
      res.on("close", done); // the client gave up
    });
  }
}

// The MD5 of message attributes as SQS computes it, and as the SDK checks it: each attribute in name
// order as its name, data type, a transport byte (1 string, 2 binary) and value, each but the byte
// preceded by its length (4 bytes, big-endian). Undefined when there are none.
const md5OfAttributes = (attributes) => {
  const names = Object.keys(attributes ?? {}).sort();
  if (!names.length) return undefined;
  const parts = [];
  const field = (bytes) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of names) {
    const { DataType, StringValue, BinaryValue } = attributes[name];
    const binary = DataType.startsWith("Binary");
    field(Buffer.from(name, "utf8"));
    field(Buffer.from(DataType, "utf8"));
    parts.push(Buffer.from([binary ? 2 : 1]));
    field(binary ? Buffer.from(BinaryValue, "base64") : Buffer.from(StringValue, "utf8"));
  }
  return createHash("md5").update(Buffer.concat(parts)).digest("hex");
};

// The library forgets a FIFO MessageDeduplicationId once its message is deleted; SQS remembers it
// for 5 minutes, which idempotent publishing relies on. So accepted ids are remembered here. A repeat
// is answered with the first message's id, and with the digests of what this request sent, as SQS
// does: they let the sender check its own request (a republish carries other attributes).
const seen = new Map(); // queue, scope, dedup id -> { until, reply }
const dedupKey = (q, e) => {
  const id = e?.MessageDeduplicationId ?? (q.ContentBasedDeduplication && e?.MessageBody && hash("sha256", e.MessageBody));
  return id && `${q.QueueName}\n${q.DeduplicationScope === "messageGroup" ? e.MessageGroupId : ""}\n${id}`;
};
const forget = (q) => { for (const k of seen.keys()) if (k.startsWith(`${q.QueueName}\n`)) seen.delete(k); };
async function send(headers, body, q, batch) {
  const entries = batch ? body.Entries : [body];
  if (!q?.FifoQueue || !Array.isArray(entries)) return invoke(headers, body);
  const now = Date.now();
  // Every entry lives 5 minutes from its insertion and a Map iterates in insertion order, so the expired
  // ones are a prefix: stop at the first that is not (a full scan per send made sending quadratic).
  for (const [k, v] of seen) {
    if (v.until > now) break;
    seen.delete(k);
  }
  const hits = entries.map((e) => seen.has(dedupKey(q, e)) && {
    ...seen.get(dedupKey(q, e)).reply,
    ...(batch && { Id: e.Id }),
    MD5OfMessageBody: hash("md5", e.MessageBody),
    MD5OfMessageAttributes: md5OfAttributes(e.MessageAttributes),
    MD5OfMessageSystemAttributes: md5OfAttributes(e.MessageSystemAttributes),
  });
  const fresh = entries.filter((e, i) => !hits[i]);
  if (!batch && hits[0]) return ok(hits[0]);
  const out = fresh.length ? await invoke(headers, batch ? { ...body, Entries: fresh } : body) : ok({ Successful: [] });
  if (out.status !== 200) return out;
  const reply = JSON.parse(out.body);
  for (const r of batch ? reply.Successful ?? [] : [reply]) {
    const key = dedupKey(q, batch ? fresh.find((e) => String(e.Id) === String(r.Id)) : body);
    const { MessageId, SequenceNumber } = r;
    if (key && !seen.has(key)) seen.set(key, { until: now + 5 * 60 * 1000, reply: { MessageId, SequenceNumber } });
  }
  if (batch) reply.Successful = [...(reply.Successful ?? []), ...hits.filter(Boolean)];
  return { ...out, body: JSON.stringify(reply) };
}

// A Parameter Store stand-in, in memory, for secrets read at run time: the engine reads a Secrets
// Manager secret as GetParameter on /aws/reference/secretsmanager/<id>, so a PutParameter of that
// name (which AWS itself refuses) is how a local secret is set, or rotated, before it is read.
const parameters = new Map(); // name -> { value, version }
function ssm(action, raw) {
  const SSM_CT = "application/x-amz-json-1.1";
  const reply = (status, body) => ({ status, headers: { "content-type": SSM_CT }, body: JSON.stringify(body) });
  let body = {};
  try { body = JSON.parse(raw.toString() || "{}"); } catch {}
  if (typeof body.Name !== "string" || !body.Name) return reply(400, { __type: "ValidationException", message: "Name is required" });
  if (action === "PutParameter") {
    const old = parameters.get(body.Name);
    if (old && !body.Overwrite) return reply(400, { __type: "ParameterAlreadyExists", message: `${body.Name} exists` });
    const version = (old?.version ?? 0) + 1;
    parameters.set(body.Name, { value: String(body.Value ?? ""), version });
    return reply(200, { Version: version, Tier: "Standard" });
  }
  if (action === "GetParameter") {
    const p = parameters.get(body.Name);
    if (!p) return reply(400, { __type: "ParameterNotFound", message: `Parameter ${body.Name} not found.` });
    return reply(200, { Parameter: {
      Name: body.Name, Type: "SecureString", Value: p.value, Version: p.version, DataType: "text",
      ARN: `arn:aws:ssm:${region}:${accountId}:parameter${body.Name.startsWith("/") ? "" : "/"}${body.Name}`,
    } });
  }
  return reply(400, { __type: "InvalidAction", message: `${action} is not emulated: GetParameter and PutParameter are` });
}

async function handle(req, res) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const raw = Buffer.concat(chunks), headers = { ...req.headers };
  const ssmAction = /^AmazonSSM\.(\w+)$/.exec(headers["x-amz-target"] ?? "")?.[1];
  if (ssmAction) {
    const out = ssm(ssmAction, raw);
    res.writeHead(out.status, out.headers);
    return res.end(out.body);
  }
  const action = /^AmazonSQS\.(\w+)$/.exec(headers["x-amz-target"] ?? "")?.[1];
  let out, body = {};
  if (!action) out = await invoke(headers, raw); // Query (XML) protocol: passed through untouched
  else {
    headers["content-type"] = JSON_CT; // the library spots JSON only on this exact value (no charset)
    try { body = JSON.parse(raw.toString() || "{}"); } catch {}
    const q = findQueue(body.QueueUrl);
    if (action === "ReceiveMessage") out = await receive(headers, body, res);
    else if (action === "SendMessage" || action === "SendMessageBatch") {
      out = await send(headers, body, q, action !== "SendMessage");
      if (out.status === 200 && q) undelay(q, action !== "SendMessage", body, JSON.parse(out.body)), wake(q);
    }
    else if (action === "PurgeQueue" && q) {
      // The library empties the queue only 60 s later (dropping messages sent in between) and
      // refuses another purge meanwhile; tests need it empty now. Dedup ids are forgotten too.
      q.clearRecords(), forget(q), (out = ok({}));
    } else {
      out = await invoke(headers, raw);
      if (action === "DeleteQueue" && out.status === 200) forget(q);
      // A delete or a visibility change may free a FIFO group, or a message: a waiting receive looks again.
      if (/^(DeleteMessage|ChangeMessageVisibility)/.test(action) && out.status === 200) wake(q);
      // The library counts in-flight messages in ApproximateNumberOfMessages; SQS does not.
      const attrs = action === "GetQueueAttributes" && out.status === 200 && out.body && JSON.parse(out.body).Attributes;
      if (attrs?.ApproximateNumberOfMessages && q) {
        const inFlight = q.getAttributes(["ApproximateNumberOfMessagesNotVisible"]).ApproximateNumberOfMessagesNotVisible;
        attrs.ApproximateNumberOfMessages = String(attrs.ApproximateNumberOfMessages - inFlight);
        out.body = JSON.stringify({ Attributes: attrs });
      }
    }
    if (out.status === 200 && !out.body) out.body = "{}"; // SDK v4 cannot parse an empty JSON reply
  }
  if (res.destroyed) return; // the client gave up (e.g. during a long poll)
  res.writeHead(out.status, out.headers);
  res.end(out.body);
}

const server = http.createServer((req, res) => handle(req, res).catch((err) => {
  if (!res.headersSent) res.writeHead(500, { "content-type": JSON_CT });
  res.end(JSON.stringify({ __type: "InternalError", message: String(err) }));
}));
server.on("error", (err) => { console.error(`sqs-emulator: ${err.message}`); process.exit(1); });
server.listen(port, HOST, () => {
  service.PORT = server.address().port; // queue URLs must carry the real port with --port 0
  console.log(`sqs-emulator listening on http://${HOST}:${service.PORT}`);
});
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections(); // also ends keep-alive and long-poll connections
    setTimeout(() => process.exit(0), 1000).unref(); // never hang a test run's teardown
  });
}
