"""The Gemini Batch API's stand-in, for mock_image_api.py (127.0.0.1 only).

The Files API's resumable upload (start, then "upload, finalize" at the
x-goog-upload-url it answers), models/M:batchGenerateContent over an uploaded
JSONL file or inline requests, batches/ID whose state advances over polls,
batches/ID:cancel, and the responses file's download. Every call is logged,
the uploaded and inline requests line by line (key, request, each inline
image as its sha256). Markers in a request's prompt: [expire] and [fail] end
its batch EXPIRED or FAILED; [line-error] (INVALID_ARGUMENT) and [line-retry]
(INTERNAL) give that line an error; [blocked] a blocked response; [no-answer]
leaves the line out; [batch-429-once] and [batch-per-day] answer the create
with a 429 (once, with RetryInfo; or the day's quota). Environment:
MOCK_BATCH_POLLS (polls answered RUNNING before the batch ends; 1),
MOCK_BATCH_LINE_DELAY (seconds before each line of the download), and
MOCK_BATCH_IMAGE_BYTES is MOCK_IMAGE_BYTES's image, shared.
"""
import json, os, re, threading, time
from urllib.parse import urlparse, parse_qs

POLLS = int(os.environ.get("MOCK_BATCH_POLLS", "1"))
LINE_DELAY = float(os.environ.get("MOCK_BATCH_LINE_DELAY", "0"))
lock = threading.Lock()
uploads, files, batches = {}, {}, {}
created = [0]


def prompt_of(request):
    try:
        return request["contents"][0]["parts"][0]["text"]
    except (KeyError, IndexError, TypeError):
        return ""


def response_for(prompt, image, usage):
    if "[blocked]" in prompt:
        return {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "responseId": "r-blocked"}
    return {"candidates": [{"content": {"role": "model", "parts": [
        {"text": "Here it is."}, {"inlineData": {"mimeType": "image/png", "data": image}}]}, "finishReason": "STOP"}],
        "usageMetadata": usage, "modelVersion": "mock", "responseId": "batch-resp-" + str(abs(hash(prompt)) % 10**8)}


def entry_for(key, prompt, image, usage, inline):
    """A result: a JSONL line's object, or an inlined response; None to leave it out."""
    if "[no-answer]" in prompt:
        return None
    if "[line-error]" in prompt or "[line-retry]" in prompt:
        code = 3 if "[line-error]" in prompt else 13
        out = {"error": {"code": code, "message": "INVALID_ARGUMENT: bad request" if code == 3 else "INTERNAL: try later"}}
    else:
        out = {"response": response_for(prompt, image, usage)}
    if inline:
        out["metadata"] = {"key": key}
    else:
        out = dict({"key": key}, **out)
    return out


class BatchHandler:
    """Mixed into the mock's handler: batch_route() answers what it knows."""

    def batch_key_ok(self, key, logfile):
        if self.headers.get("x-goog-api-key") != key:
            self.batch_log({"key_ok": False}, logfile)
            self.answer(403, {"error": {"code": 403, "message": "Permission denied: bad key.", "status": "PERMISSION_DENIED"}})
            return False
        return True

    def batch_log(self, entry, logfile):
        with lock, open(logfile, "a") as log:
            log.write(json.dumps(dict({"t": time.time(), "path": self.path}, **entry)) + "\n")

    def batch_route(self, method, key, logfile, image, usage, described):
        url = urlparse(self.path)
        path = url.path
        if not (path.startswith("/upload/v1beta/files") or path.startswith("/v1beta/batches/") or
                path.startswith("/download/v1beta/files/") or path.endswith(":batchGenerateContent")):
            return False
        if method == "POST" and path == "/upload/v1beta/files":
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if not self.batch_key_ok(key, logfile):
                return True
            command = self.headers.get("X-Goog-Upload-Command", "")
            if command == "start":
                with lock:
                    uid = str(len(uploads) + 1)
                    uploads[uid] = {"size": int(self.headers.get("X-Goog-Upload-Header-Content-Length", "-1")),
                                    "mime": self.headers.get("X-Goog-Upload-Header-Content-Type"),
                                    "meta": json.loads(raw or b"{}")}
                self.batch_log({"upload": "start", "upload_id": uid, "size": uploads[uid]["size"],
                                "mime": uploads[uid]["mime"], "meta": uploads[uid]["meta"]}, logfile)
                host = self.headers.get("Host")
                return self.answer(200, {}, headers=[("x-goog-upload-url", f"http://{host}/upload/v1beta/files?upload_id={uid}"),
                                                     ("x-goog-upload-status", "active")]) or True
            uid = parse_qs(url.query).get("upload_id", [""])[0]
            up = uploads.get(uid)
            if (up is None or "upload" not in command or "finalize" not in command or
                    self.headers.get("X-Goog-Upload-Offset") != "0" or len(raw) != up["size"]):
                self.batch_log({"upload": "refused", "upload_id": uid, "bytes": len(raw)}, logfile)
                return self.answer(400, {"error": {"code": 400, "message": "bad upload", "status": "INVALID_ARGUMENT"}}) or True
            with lock:
                name = "files/in-" + uid
                files[name] = raw
            self.batch_log({"upload": "finalize", "upload_id": uid, "bytes": len(raw), "file": name}, logfile)
            return self.answer(200, {"file": {"name": name, "uri": "http://mock/" + name, "mimeType": up["mime"],
                                              "sizeBytes": str(len(raw))}}) or True
        if method == "POST" and path.endswith(":batchGenerateContent"):
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if not self.batch_key_ok(key, logfile):
                return True
            return self.batch_create(path, json.loads(raw or b"{}"), logfile, described) or True
        m = re.fullmatch(r"/v1beta/(batches/[A-Za-z0-9_-]+)(:cancel)?", path)
        if m and m.group(2) and method == "POST":
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if not self.batch_key_ok(key, logfile):
                return True
            b = batches.get(m.group(1))
            if b is None:
                return self.answer(404, {"error": {"code": 404, "message": "no such batch", "status": "NOT_FOUND"}}) or True
            with lock:
                if b["state"] not in ("SUCCEEDED", "FAILED", "EXPIRED"):
                    b["state"] = b["final"] = "CANCELLED"
            self.batch_log({"cancel": m.group(1)}, logfile)
            return self.answer(200, {}) or True
        if m and method == "GET":
            if not self.batch_key_ok(key, logfile):
                return True
            b = batches.get(m.group(1))
            if b is None:
                return self.answer(404, {"error": {"code": 404, "message": "no such batch", "status": "NOT_FOUND"}}) or True
            return self.batch_poll(b, image, usage, logfile) or True
        m = re.fullmatch(r"/download/v1beta/(files/[A-Za-z0-9_-]+):download", path)
        if m and method == "GET":
            if not self.batch_key_ok(key, logfile):
                return True
            b = next((b for b in batches.values() if b.get("results") == m.group(1)), None)
            if b is None or parse_qs(url.query).get("alt") != ["media"]:
                return self.answer(404, {"error": {"code": 404, "message": "no such file", "status": "NOT_FOUND"}}) or True
            self.batch_log({"download": m.group(1)}, logfile)
            return self.batch_download(b, image, usage) or True
        return self.answer(404, {"error": {"code": 404, "message": "not here", "status": "NOT_FOUND"}}) or True

    def batch_create(self, path, body, logfile, described):
        batch = body.get("batch", {})
        config = batch.get("inputConfig", {})
        if "fileName" in config:
            data = files.get(config["fileName"])
            if data is None:
                return self.answer(400, {"error": {"code": 400, "message": "no such file", "status": "INVALID_ARGUMENT"}})
            lines = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
            mode = "file"
        else:
            lines = [{"key": r.get("metadata", {}).get("key"), "request": r.get("request")}
                     for r in config.get("requests", {}).get("requests", [])]
            mode = "inline"
        prompts = [prompt_of(line.get("request")) for line in lines]
        with lock:
            created[0] += 1
            nth = created[0]
        if any("[batch-per-day]" in p for p in prompts):
            return self.answer(429, {"error": {"code": 429, "message": "Quota exceeded for the day.", "status": "RESOURCE_EXHAUSTED",
                "details": [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": "BatchRequestsPerDayPerProject"}]}]}})
        if any("[batch-429-once]" in p for p in prompts) and nth == 1:
            self.batch_log({"create": "429"}, logfile)
            return self.answer(429, {"error": {"code": 429, "message": "Resource exhausted.", "status": "RESOURCE_EXHAUSTED",
                "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.2s"}]}})
        logged = []
        for line in lines:
            request = json.loads(json.dumps(line.get("request")))
            for content in request.get("contents", []):
                for part in content.get("parts", []):
                    if "inlineData" in part:
                        part["inlineData"]["data"] = described(part["inlineData"]["data"])
            logged.append({"key": line.get("key"), "request": request})
        final = ("EXPIRED" if any("[expire]" in p for p in prompts) else
                 "FAILED" if any("[fail]" in p for p in prompts) else "SUCCEEDED")
        with lock:
            name = "batches/b-" + str(len(batches) + 1)
            batches[name] = {"name": name, "display": batch.get("displayName"), "model": path.split("/")[-1].split(":")[0],
                             "mode": mode, "lines": lines, "polls": 0, "state": "PENDING", "final": final}
        self.batch_log({"create": name, "mode": mode, "display": batch.get("displayName"),
                        "model": batches[name]["model"], "lines": logged}, logfile)
        return self.answer(200, {"name": name, "metadata": {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
            "name": name, "displayName": batch.get("displayName"), "model": "models/" + batches[name]["model"],
            "state": "BATCH_STATE_PENDING"}})

    def batch_poll(self, b, image, usage, logfile):
        with lock:
            b["polls"] += 1
            if b["state"] != "CANCELLED":
                b["state"] = "RUNNING" if b["polls"] <= POLLS else b["final"]
            state = b["state"]
        meta = {"@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
                "name": b["name"], "displayName": b["display"], "model": "models/" + b["model"],
                "state": "BATCH_STATE_" + state}
        if state == "SUCCEEDED":
            if b["mode"] == "file":
                b["results"] = "files/out-" + b["name"].split("-")[-1]
                meta["output"] = {"responsesFile": b["results"]}
            else:
                entries = [entry_for(line["key"], prompt_of(line["request"]), image, usage, True) for line in b["lines"]]
                meta["output"] = {"inlinedResponses": {"inlinedResponses": [e for e in entries if e is not None]}}
        self.batch_log({"poll": b["name"], "state": state, "n": b["polls"]}, logfile)
        return self.answer(200, {"name": b["name"], "metadata": meta, "done": state in ("SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED")})

    def batch_download(self, b, image, usage):
        # the lines one at a time, never the file whole: it may be gigabytes
        tmpl = json.dumps(entry_for("KEY", "", "@IMAGE@", usage, False))
        before, after = tmpl.split('"@IMAGE@"')
        lines = []
        for line in b["lines"]:
            p = prompt_of(line["request"])
            e = entry_for(line["key"], p, image, usage, False)
            if e is None:
                continue
            if "response" in e and "[blocked]" not in p:
                lines.append((before.replace('"KEY"', json.dumps(line["key"])) + '"', '"' + after + "\n"))
            else:
                lines.append((json.dumps(e) + "\n", None))
        total = sum(len(a.encode()) + (len(image) + len(z.encode()) if z is not None else 0) for a, z in lines)
        self.send_response(200)
        self.send_header("Content-Type", "application/jsonl")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        data = image.encode()
        try:
            for a, z in lines:
                if LINE_DELAY:
                    time.sleep(LINE_DELAY)
                self.wfile.write(a.encode())
                if z is not None:
                    self.wfile.write(data)
                    self.wfile.write(z.encode())
        except (BrokenPipeError, ConnectionResetError):
            pass
