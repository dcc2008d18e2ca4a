#!/usr/bin/env python3
"""A stand-in for the Gemini and OpenAI image APIs, on 127.0.0.1 only.

mock_image_api.py PORTFILE LOGFILE: listens on a free port, writes the port to
PORTFILE, logs one JSON line per request to LOGFILE. Markers in the prompt
choose the answer: [fixed] (one answer, encoded once) [429-once:SECONDS] [500-once] [503-once] [truncate-once]
[slow:SECONDS] [blocked] [no-image] [text-only] [bad-base64] [big] [jpeg] [per-day] [400]
[insufficient]. Environment: MOCK_KEY (the key it accepts), MOCK_JPEG (a JPEG
to answer with), MOCK_LATENCY (seconds added to every answer), MOCK_IMAGE_BYTES
(about how large a PNG to answer with), MOCK_SAVE (a file to save that PNG in),
MOCK_SAVE_FIXED (a file to save the [fixed] answer in, for bench/mockd.c).
Every request is logged with its body (each inline image as its sha256 and
size) and, for a multipart edit, its form fields and files. Answers carry
usage; OpenAI's honour output_format webp (tests/fixtures/answer.webp) and
background transparent (an RGBA PNG, its left half clear); [thought] puts an
interim thought image before Gemini's image.
Faults for the pipeline suite: MOCK_QUOTA_AFTER=N (every request after the
first N gets the per-day quota answer), MOCK_429_FIRST=N (the first N requests
get a 429 with a short RetryInfo: a storm), MOCK_SERVED (a file to which the
prompt of every image answered is appended, one per line: the calls paid for).
The Batch API (Files API upload, batchGenerateContent, polls, cancel, the
results' download) is tests/mock_batch.py's.
"""
import base64, hashlib, json, os, random, re, struct, sys, threading, time, zlib
from email.parser import BytesParser
from email.policy import HTTP
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mock_batch import BatchHandler  # noqa: E402

KEY = os.environ.get("MOCK_KEY", "test-key")
LATENCY = float(os.environ.get("MOCK_LATENCY", "0"))
lock = threading.Lock()
seen = {}
requests = [0]
QUOTA_AFTER = int(os.environ.get("MOCK_QUOTA_AFTER", "-1"))
STORM = int(os.environ.get("MOCK_429_FIRST", "0"))
SERVED = os.environ.get("MOCK_SERVED")
inflight = [0, 0]  # now, most at once


def png(width, height, noisy, alpha=False, seed=7):
    """An RGB PNG; with alpha, RGBA whose left half is transparent."""
    rng = random.Random(seed)
    if alpha:
        row = b"".join(bytes([200, 30, 30, 0 if x < width // 2 else 255]) for x in range(width))
        raw = b"".join(b"\0" + row for _ in range(height))
    else:
        raw = b"".join(b"\0" + (rng.randbytes(width * 3) if noisy
                                else bytes([(x * 7) % 256 for x in range(width * 3)])) for _ in range(height))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6 if alpha else 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))


size = int(os.environ.get("MOCK_IMAGE_BYTES", "0"))
side = max(8, int((size / 3) ** 0.5)) if size else 16
IMAGE_BYTES = png(side, side, bool(size))
IMAGE = base64.b64encode(IMAGE_BYTES).decode()
if os.environ.get("MOCK_SAVE"):
    open(os.environ["MOCK_SAVE"], "wb").write(IMAGE_BYTES)
FIXED = json.dumps({"candidates": [{"content": {"role": "model", "parts": [{"inlineData": {"mimeType": "image/png", "data": IMAGE}}]},
                    "finishReason": "STOP"}], "responseId": "resp-fixed"}).encode()
if os.environ.get("MOCK_SAVE_FIXED"):  # the answer bench/mockd serves
    open(os.environ["MOCK_SAVE_FIXED"], "wb").write(FIXED)
JPEG = base64.b64encode(open(os.environ["MOCK_JPEG"], "rb").read()).decode() if os.environ.get("MOCK_JPEG") else None
WEBP = base64.b64encode(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "answer.webp"), "rb").read()).decode()
ALPHA = base64.b64encode(png(16, 16, False, alpha=True)).decode()
THOUGHT = base64.b64encode(png(side, side, bool(size), seed=8)).decode()  # as large as the image
GEMINI_USAGE = {"promptTokenCount": 12, "candidatesTokenCount": 1290, "totalTokenCount": 1302,
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 12}],
                "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1290}]}
OPENAI_USAGE = {"total_tokens": 4210, "input_tokens": 50, "output_tokens": 4160,
                "input_tokens_details": {"text_tokens": 10, "image_tokens": 40}}


def described(data):
    """What a request's image was: its sha256 and size, never its bytes."""
    raw = base64.b64decode(data) if isinstance(data, str) else data
    return {"sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw)}


def multipart(content_type, raw):
    """An edit's form: its fields, and its files by sha256."""
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    fields, files = {}, []
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        if part.get_filename() is not None:
            files.append(dict(described(data), name=name, type=part.get_content_type()))
        else:
            fields[name] = data.decode()
    return fields, files


class Handler(BaseHTTPRequestHandler, BatchHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, body, headers=(), truncate=False):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data) * 2 if truncate else len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        if truncate:
            self.close_connection = True

    def do_POST(self):
        with lock:
            inflight[0] += 1
            inflight[1] = max(inflight[1], inflight[0])
        try:
            self.serve()
        finally:
            with lock:
                inflight[0] -= 1

    def do_GET(self):
        if not self.batch_route("GET", KEY, sys.argv[2], IMAGE, GEMINI_USAGE, described):
            self.answer(404, {"error": {"code": 404, "message": "not here", "status": "NOT_FOUND"}})

    def serve(self):
        if self.batch_route("POST", KEY, sys.argv[2], IMAGE, GEMINI_USAGE, described):
            return
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        gemini = ":generateContent" in self.path
        files = []
        if self.headers.get("Content-Type", "").startswith("multipart/form-data"):
            body, files = multipart(self.headers["Content-Type"], raw)
        else:
            body = json.loads(raw or b"{}")
        if gemini:
            parts = body["contents"][0]["parts"]
            prompt = parts[0]["text"]
            inline = any("inlineData" in p for p in parts[1:])
            for p in parts:  # logged by sha256, not by bytes
                if "inlineData" in p:
                    p["inlineData"]["data"] = described(p["inlineData"]["data"])
            key = self.headers.get("x-goog-api-key")
        else:
            prompt, inline = body.get("prompt", ""), bool(files)
            key = (self.headers.get("Authorization") or "").replace("Bearer ", "")
        with lock:
            count = seen[prompt] = seen.get(prompt, 0) + 1
            requests[0] += 1
            nth = requests[0]
            with open(sys.argv[2], "a") as log:
                log.write(json.dumps({"t": time.time(), "path": self.path, "prompt": prompt, "attempt": count,
                                      "key_ok": key == KEY, "inline": inline, "body": body, "files": files,
                                      "max_inflight": inflight[1]}) + "\n")
        if LATENCY:
            time.sleep(LATENCY)
        m = re.search(r"\[slow:([0-9.]+)\]", prompt)
        if m:
            time.sleep(float(m.group(1)))
        if gemini and 0 <= QUOTA_AFTER < nth:
            prompt += " [per-day]"
        if gemini and nth <= STORM:
            return self.answer(429, {"error": {"code": 429, "message": "Resource exhausted.", "status": "RESOURCE_EXHAUSTED",
                "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.05s"}]}})
        if key != KEY:
            return self.answer(403, {"error": {"code": 403, "message": "Permission denied: bad key.", "status": "PERMISSION_DENIED"}})
        m = re.search(r"\[429-once:([0-9.]+)\]", prompt)
        if m and count == 1:
            if gemini:
                return self.answer(429, {"error": {"code": 429, "message": "Resource exhausted.", "status": "RESOURCE_EXHAUSTED",
                    "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": m.group(1) + "s"}]}})
            return self.answer(429, {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}},
                               headers=[("retry-after-ms", str(int(float(m.group(1)) * 1000)))])
        for code in (500, 503):
            if f"[{code}-once]" in prompt and count == 1:
                return self.answer(code, {"error": {"code": code, "message": "try again", "status": "UNAVAILABLE"}})
        if "[truncate-once]" in prompt and count == 1:
            return self.answer(200, {"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": IMAGE}}]}}]}, truncate=True)
        if "[400]" in prompt:
            return self.answer(400, {"error": {"code": 400, "message": "Invalid argument.", "status": "INVALID_ARGUMENT"}})
        if "[per-day]" in prompt:
            return self.answer(429, {"error": {"code": 429, "message": "Quota exceeded for the day.", "status": "RESOURCE_EXHAUSTED",
                "details": [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]},
                            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "36s"}]}})
        if "[insufficient]" in prompt:
            return self.answer(429, {"error": {"message": "You exceeded your current quota.", "type": "insufficient_quota", "code": "insufficient_quota"}})
        if not gemini:
            fmt = body.get("output_format", "png")
            image = (JPEG if "[jpeg]" in prompt else WEBP if fmt == "webp" else
                     ALPHA if body.get("background") == "transparent" else IMAGE)
            return self.answer(200, {"created": 1, "data": [{"b64_json": image}], "output_format": fmt,
                                     "usage": OPENAI_USAGE})
        if "[blocked]" in prompt:
            return self.answer(200, {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "responseId": "r-blocked"})
        if "[no-image]" in prompt:
            return self.answer(200, {"candidates": [{"finishReason": "NO_IMAGE", "index": 0}], "responseId": "r-none"})
        if "[bad-base64]" in prompt:  # small, or past ig-gen's 64 KB big-string mark
            data = "*" * (100000 if "[big]" in prompt else 100)
            return self.answer(200, {"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": data}}]}}]})
        if "[huge]" in prompt:  # past ig-gen's largest answer, streamed
            chunk, n = b"a" * (1 << 20), 260
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(chunk) * n + 2))
            self.end_headers()
            try:
                self.wfile.write(b'"')
                for _ in range(n):
                    self.wfile.write(chunk)
                self.wfile.write(b'"')
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
            return
        if "[big-key]" in prompt:  # a key past the big-string mark (issue 12.1)
            return self.answer(200, {"candidates": [], "k" * 70000: 1})
        if "[text-only]" in prompt:
            return self.answer(200, {"candidates": [{"content": {"parts": [{"text": "I would rather describe it."}]}, "finishReason": "STOP"}]})
        if "[jpeg]" not in prompt and "[fixed]" in prompt:
            return self.answer(200, FIXED)  # encoded once: for benchmarks
        mime, data = ("image/jpeg", JPEG) if "[jpeg]" in prompt else ("image/png", IMAGE)
        if SERVED:
            with lock, open(SERVED, "a") as f:
                f.write(prompt + "\n")
        parts = [{"text": "Here it is."}, {"inlineData": {"mimeType": mime, "data": data}}]
        if "[thought]" in prompt:  # an interim thought image first, as Gemini 3 Pro may send
            parts.insert(0, {"inlineData": {"mimeType": "image/png", "data": THOUGHT}, "thought": True})
        return self.answer(200, {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP"}],
            "usageMetadata": GEMINI_USAGE, "modelVersion": "mock", "responseId": "resp-" + str(abs(hash(prompt)) % 10**8)})


class Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default 5 drops 64 clients connecting at once


server = Server(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
