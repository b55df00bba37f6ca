"""URL image and document sources: Converse takes only inline bytes, so the gateway fetches them
(bounded in size and time) and sends base64 upstream; a failed fetch is a clear 400."""

import base64
import http.server
import threading

import anthropic
import pytest

from gateway_testkit import MINIMAL_PDF, PNG_1x1


class _Files(http.server.BaseHTTPRequestHandler):
    files = {
        "/pixel.png": ("image/png", base64.b64decode(PNG_1x1)),
        "/pixel-no-type": ("application/octet-stream", base64.b64decode(PNG_1x1)),
        "/report.pdf": ("application/pdf", base64.b64decode(MINIMAL_PDF)),
    }

    def do_GET(self):  # noqa: N802 (http.server's naming)
        entry = self.files.get(self.path)
        if entry is None:
            self.send_response(404)
            self.end_headers()
            return
        content_type, body = entry
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def file_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("path", ["/pixel.png", "/pixel-no-type"])
def test_url_image_is_fetched_and_sent_inline(client, model, file_server, path):
    msg = client.messages.create(model=model, max_tokens=256, messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "url", "url": file_server + path}},
        {"type": "text", "text": "sim:echo describe the image"}]}])
    assert msg.content[0].text == "sim:echo describe the image"


def test_url_document_is_fetched_and_sent_inline(client, model, file_server):
    msg = client.messages.create(model=model, max_tokens=256, messages=[{"role": "user", "content": [
        {"type": "document", "source": {"type": "url", "url": file_server + "/report.pdf"}},
        {"type": "text", "text": "sim:echo summarise"}]}])
    assert msg.content[0].text == "sim:echo summarise"


def test_url_that_cannot_be_fetched_is_a_clear_400(client, model, file_server):
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.messages.create(model=model, max_tokens=256, messages=[{"role": "user", "content": [
            {"type": "image", "source": {"type": "url", "url": file_server + "/missing.png"}},
            {"type": "text", "text": "hi"}]}])
    message = raised.value.body["error"]["message"]
    assert "messages.0.content.0.source.url" in message
    assert "404" in message
