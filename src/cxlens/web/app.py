"""The FastAPI application of ``cxlens serve``: dashboard pages, the API, survey forms.

``create_app`` wires the parts together; each page, the API and the survey forms live
in their own module with their own router. The application holds no warehouse
connection between requests (see ``cxlens.web.access``).
"""

from __future__ import annotations

import logging
from importlib import import_module
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from cxlens.errors import ConfigError, CxlensError, WarehouseError
from cxlens.settings import Settings
from cxlens.store import Warehouse
from cxlens.web.access import Access
from cxlens.web.overview import warm_overview

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
# Routers, in the order their paths are matched.
ROUTERS = (
    "cxlens.web.overview",
    "cxlens.web.tickets",
    "cxlens.web.agents",
    "cxlens.web.customers",
    "cxlens.web.surveys",
    "cxlens.web.actions",
    "cxlens.web.quality",
    "cxlens.web.api",
    "cxlens.web.forms",
)
# Bodies larger than this are refused before they are read (a survey answer is a few
# hundred bytes; a batch of records a few megabytes).
MAX_BODY_BYTES = 8 * 1024 * 1024
SECURITY_HEADERS = {
    # Scripts only from this server (no inline script, no CDN); Plotly styles inline.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def create_app(settings: Settings, warehouse: Warehouse | None = None) -> FastAPI:
    """The application over ``warehouse`` (default: the project's) with ``settings``."""
    warehouse = warehouse or Warehouse.for_settings(settings)
    app = FastAPI(
        title="cxlens",
        summary="Customer-service KPIs, records and survey answers",
        version=_version(),
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # FastAPI's page loads Swagger UI from a CDN: see _api_docs
        redoc_url=None,
    )
    app.state.access = Access(warehouse, settings)
    app.state.settings = settings

    app.add_api_route("/static/plotly.min.js", _plotly, include_in_schema=False)
    app.add_api_route("/api/v1/docs", _api_docs, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for name in ROUTERS:
        app.include_router(import_module(name).router)

    app.middleware("http")(_limits_and_headers)
    app.add_exception_handler(ConfigError, _bad_request)
    app.add_exception_handler(WarehouseError, _unavailable)
    app.add_exception_handler(CxlensError, _bad_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.router.add_event_handler("shutdown", app.state.access.stop)
    app.router.add_event_handler("startup", app.state.access.warm_in_background)
    app.state.access.add_warmer(lambda: warm_overview(app.state.access))
    return app


def serve(settings: Settings, warehouse: Warehouse, host: str = "127.0.0.1", port: int = 8000):
    """Run the application with uvicorn until interrupted."""
    import uvicorn

    app = create_app(settings, warehouse)
    log.info("serving %s on http://%s:%d", warehouse.location, host, port)
    uvicorn.run(app, host=host, port=port, log_level="warning")


async def _limits_and_headers(request: Request, call_next):
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        return JSONResponse(
            {"errors": [{"problem": f"request body over {MAX_BODY_BYTES} bytes; send less"}]},
            status_code=413,
        )
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _plotly() -> FileResponse:
    import plotly

    bundled = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return FileResponse(bundled, media_type="text/javascript")


def _api_docs(request: Request):
    """The OpenAPI document as a plain page: every path, its parameters and bodies.

    Served from here, with no script and no CDN (Swagger UI is neither bundled nor
    allowed by the pages' content policy); the JSON document is one link away.
    """
    from cxlens.web.pages import TEMPLATES

    document = request.app.openapi()
    operations = [
        {
            "method": method.upper(),
            "path": path,
            "summary": spec.get("summary", ""),
            "description": spec.get("description", ""),
            "parameters": spec.get("parameters", []),
            "body": _body_fields(spec, document),
            "secured": bool(spec.get("security")),
            "responses": sorted(spec.get("responses", {})),
        }
        for path, methods in document.get("paths", {}).items()
        for method, spec in methods.items()
    ]
    context = {"document": document, "operations": operations}
    return TEMPLATES.TemplateResponse(request, "apidocs.html", context)


def _body_fields(spec: dict, document: dict) -> list[dict]:
    """The fields of an operation's JSON body (one record's), with required ones marked."""
    content = spec.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = content.get("schema", {})
    for option in schema.get("anyOf", [schema]):
        if option.get("type") == "array":
            option = option.get("items", {})
        if "$ref" in option:
            option = document["components"]["schemas"][option["$ref"].rsplit("/", 1)[1]]
        if "properties" in option:
            required = set(option.get("required", []))
            return [
                {"name": name, "required": name in required, "about": field.get("description", "")}
                for name, field in option["properties"].items()
            ]
    return []


def _http_error(request: Request, error: StarletteHTTPException):
    """Not found, wrong method and the like: the error page, or the API's error shape."""
    from cxlens.web.words import word

    lang = request.query_params.get("lang")
    lang = lang if lang in ("zh", "en") else request.app.state.settings.language
    generic = error.status_code == 404 and error.detail in (None, "", "Not Found")
    message = word("not_found", lang) if generic else str(error.detail)  # a page's own words
    response = _error(request, Exception(message), error.status_code)
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


def _bad_request(request: Request, error: Exception):
    return _error(request, error, 400)


def _unavailable(request: Request, error: Exception):
    return _error(request, error, 503)


def _error(request: Request, error: Exception, status: int):
    from cxlens.web.pages import error_page

    if request.url.path.startswith("/api/") or request.query_params.get("format") == "json":
        return JSONResponse({"errors": [{"problem": str(error)}]}, status_code=status)
    if request.url.path.startswith("/static/"):
        return PlainTextResponse(str(error), status_code=status)
    return error_page(request, str(error), status)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cxlens")
    except PackageNotFoundError:
        return "0"
