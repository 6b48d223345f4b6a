"""What labkit's own client code needs to talk to the emulator's labkit-only endpoints.

Client code (``control``, the CLI, notebooks) imports this module, never the server side.
"""

from __future__ import annotations

HEALTH_PATH = "/labkit/health"  # GET: is this our emulator, and which process is it
INTERNAL_PREFIXES = ("/labkit/", "/moto-api")  # labkit's and moto's own endpoints

# Every request to an internal endpoint must carry this header. A web page cannot add a
# custom header to a cross-origin request without a CORS preflight, and the emulator
# refuses the preflight of any origin it does not allow, so a page the learner happens to
# open cannot reach these endpoints (https://fetch.spec.whatwg.org/#cors-safelisted-request-header).
CLIENT_HEADER = "X-Labkit-Client"
CLIENT_HEADERS = {CLIENT_HEADER: "1"}
