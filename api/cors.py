"""CORS for browser-based xAPI content: only configured origins, preflight answered openly."""

from __future__ import annotations

import falcon

#: Methods a cross-origin xAPI client may use (every resource's methods, checklist §2.5).
ALLOW_METHODS = "GET, HEAD, PUT, POST, DELETE"
#: Request headers a cross-origin client may send. Listed by name: a `*` would not cover
#: `Authorization`, which browsers never let a wildcard allow.
ALLOW_HEADERS = (
    "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match, "
    "Accept-Language, X-Request-Id"
)
#: Response headers a cross-origin client may read besides the CORS-safelisted ones.
EXPOSE_HEADERS = (
    "ETag, Last-Modified, X-Experience-API-Version, X-Experience-API-Consistent-Through, "
    "X-Request-Id, X-Ledger-Position"
)
#: How long a browser may cache a preflight answer, in seconds.
MAX_AGE = "7200"


class CorsMiddleware:
    """Answer cross-origin requests from the configured origins (checklist §2.5).

    No normative xAPI text covers CORS; cross-domain browser tracking is a stated goal of
    1.0.3 Comm §1.3. A request whose `Origin` is not configured gets no CORS headers (the
    browser then withholds the response). A preflight (`OPTIONS` with
    `Access-Control-Request-Method`) needs neither credentials nor the version header: the
    version and auth middleware let `OPTIONS` through, and Falcon answers it for every route.

    falcon's own `CORSMiddleware` is not used: it allows whatever request headers the
    preflight asks for, takes the allowed methods from each resource, and sends no
    `Vary: Origin` — here the lists are fixed and the answer varies by origin for caches.
    """

    def __init__(self, origins: tuple[str, ...]) -> None:
        self.any_origin = origins == ("*",)
        self.origins = frozenset(origin.lower() for origin in origins)

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        """Add the CORS headers when the request's origin is allowed."""
        if not self.origins:
            return
        if not self.any_origin:
            # The answer differs by Origin: a shared cache must not serve one origin's to another.
            resp.append_header("Vary", "Origin")
        origin = req.get_header("Origin")
        if origin is None or not (self.any_origin or origin.lower() in self.origins):
            return
        resp.set_header("Access-Control-Allow-Origin", "*" if self.any_origin else origin)
        resp.set_header("Access-Control-Expose-Headers", EXPOSE_HEADERS)
        if req.method == "OPTIONS" and req.get_header("Access-Control-Request-Method"):
            resp.set_header("Access-Control-Allow-Methods", ALLOW_METHODS)
            resp.set_header("Access-Control-Allow-Headers", ALLOW_HEADERS)
            resp.set_header("Access-Control-Max-Age", MAX_AGE)
