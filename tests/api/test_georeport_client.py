"""An independent Open311 client (PyPI `georeport`) against a live server.

The server is the real app behind werkzeug's threaded server on 127.0.0.1 and
a free port; the request is filed through Open311 with plain `requests`
(georeport only reads), then read back by georeport in JSON and XML.
"""
import threading

import georeport
import pytest
import requests
from werkzeug.serving import make_server


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # shutdown() waits for the loop's next poll (0.5 s by default)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_georeport_lists_services_and_reads_a_filed_request(app, live_server, mapped, o311_key):
    root = f"{live_server}/open311/v2"
    filed = requests.post(f"{root}/requests.json", timeout=10, data={
        "api_key": o311_key, "service_code": "ELD", "lat": "25.005", "long": "102.005",
        "description": "独居老人需要助餐服务", "attribute[text_public]": "true"})
    assert filed.status_code == 201, filed.text
    code = filed.json()[0]["service_request_id"]

    for fmt in ("json", "xml"):
        client = georeport.GeoReport(root, output_format=fmt)
        services = client.get_service_list()
        assert "ELD" in {s["service_code"] for s in services}
        definition = client.get_service_definition("ELD")
        assert definition["service_code"] == "ELD"
        request = client.get_service_request(code)
        assert request["service_request_id"] == code
        assert request["service_code"] == "ELD" and request["status"] == "open"
        assert request["description"] == "独居老人需要助餐服务"
        assert request["agency_responsible"] == "网格1-1-1"
        listed = client.get_service_requests(service_request_id=code)
        listed = listed if isinstance(listed, list) else [listed]  # xmltodict: one is a dict
        assert [r["service_request_id"] for r in listed] == [code]
        recent = client.get_service_requests(service_code="ELD", status="open")
        recent = recent if isinstance(recent, list) else [recent]
        assert code in [r["service_request_id"] for r in recent]
