"""The churn-predict endpoint: POST a JSON list of rows, get churn probabilities (standard library)."""

import json
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import numpy as np
from common import predict

MODEL = json.loads(Path("model.json").read_text())


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        rows = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"[]")
        body = json.dumps(predict(MODEL, np.array(rows, dtype=float)).tolist()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    HTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
