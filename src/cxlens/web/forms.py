"""Survey forms (``/s/{link}``): the page a customer opens from a survey link, and its answer.

``cxlens survey links`` makes signed, expiring, single-use links (``cxlens.web.links``);
this module shows the survey a link asks (CSAT, NPS or CES, in Chinese or English, a
row of large buttons that fits a phone, an optional comment) and records the answer.

Answers are written in batches: a write costs about the same for one answer as for
hundreds, so one writer thread takes every answer waiting (``SubmissionQueue``),
writes them with ``submit_responses`` under the warehouse's exclusive lock, and hands
each waiting request its own outcome; the cleaned tables and the KPIs take them in
with the next coalesced clean. An answer still queued after a minute is withdrawn
and its sender told to try again (503), so it is never written after that.

A link that cannot be answered gets a friendly page with a status a script can read:
forged 404 (saying nothing about why), expired 410, already answered 409. Submissions
are limited per client address in a sliding minute, forged and invalid ones included,
so guessing links is slow; form bodies larger than any answer (24 KiB) are refused
before they are parsed.

The form body is parsed here with ``urllib.parse`` rather than by Starlette's form
parser: a survey answer is two short fields, and reading the body ourselves lets us
stop at the size cap even when no Content-Length is sent.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from cxlens.errors import CxlensError, InputError, WarehouseError
from cxlens.web.links import (
    Answer,
    LinkExpired,
    LinkForged,
    LinkUsed,
    SurveyLink,
    claimed,
    open_link,
    scale,
    submit_responses,
)
from cxlens.web.pages import TEMPLATES, access_of
from cxlens.web.words import word

log = logging.getLogger(__name__)

router = APIRouter()

COMMENT_MAX_CHARS = 2000
# The largest form a customer can send: the comment at its limit in 4-byte UTF-8
# characters, each percent-encoded to 12 bytes, plus the score and the language
# (2,000 Chinese characters alone take 18,000 bytes).
FORM_MAX_BYTES = 24 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
WINDOW_SECONDS = 60.0
# Addresses the limiter remembers before it forgets those idle for a whole window.
LIMITER_SWEEP_AT = 4096
LANGUAGES = ("zh", "en")
# Refusals of a link: the status a script reads and the word keys of the page.
LINK_REFUSALS = (
    (LinkForged, 404, "forged"),
    (LinkExpired, 410, "expired"),
    (LinkUsed, 409, "used"),
)
NO_STORE = {"Cache-Control": "no-store"}
# How long a request waits for its answer to be written before it is told to try again.
ANSWER_WAIT_SECONDS = 60.0
# How long it waits more once its batch is being written (it cannot be withdrawn then).
WRITING_WAIT_SECONDS = 300.0
BATCH_MAX = 500
# After the first answer arrives, the writer waits this long for others to join its batch.
GATHER_SECONDS = 0.05
# The page for an answer not written in time (its words are this module's own).
_limiter_lock = threading.Lock()


class SubmissionLimiter:
    """Survey submissions per client address in a sliding window, in memory, thread-safe.

    Only admitted submissions are remembered: a client that keeps trying while refused
    gets through again one window after its earliest admitted submission.
    """

    def __init__(
        self,
        per_window: int,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_window = per_window
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._times: dict[str, deque[float]] = {}

    def admit(self, address: str) -> float | None:
        """Count one submission from ``address``: None if admitted, else seconds to wait."""
        with self._lock:
            now = self._clock()
            times = self._times.setdefault(address, deque())
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.per_window:
                return times[0] + self.window - now
            times.append(now)
            if len(self._times) > LIMITER_SWEEP_AT:
                self._forget_idle(now)
            return None

    def _forget_idle(self, now: float) -> None:
        idle = [
            a for a, times in self._times.items() if not times or times[-1] <= now - self.window
        ]
        for address in idle:
            del self._times[address]


class SubmissionQueue:
    """Answers waiting to be written, and the one thread that writes them in batches.

    ``submit`` puts an answer on the queue and waits for its outcome. The writer takes
    everything waiting (up to ``BATCH_MAX``) once it holds the warehouse's exclusive
    lock, so answers arriving while a clean or the previous batch runs share the next
    batch. Every answer taken gets an outcome, whatever happens to its batch.
    """

    def __init__(self, access: Any, batch_max: int = BATCH_MAX) -> None:
        self._access = access
        self._batch_max = batch_max
        self._state = threading.Condition()
        self._waiting: deque[_Waiting] = deque()
        self._writer: threading.Thread | None = None
        self._stopping = False

    async def submit(self, answer: Answer, timeout: float) -> str | CxlensError | None:
        """The answer's response_id or refusal; None if it was not written in ``timeout``.

        An answer the writer has not taken when the time is up is withdrawn, so None
        means it was not written; once taken, its batch is waited for. The request
        waits on its event loop, holding no worker thread.
        """
        waiting = _Waiting(answer, asyncio.get_running_loop())
        with self._state:
            if self._stopping:
                return None
            self._waiting.append(waiting)
            self._start_writer()
            self._state.notify_all()
        try:
            return await asyncio.wait_for(asyncio.shield(waiting.future), timeout)
        except TimeoutError:
            with self._state:
                if waiting in self._waiting:
                    self._waiting.remove(waiting)
                    return None
        try:
            return await asyncio.wait_for(waiting.future, WRITING_WAIT_SECONDS)
        except TimeoutError:
            return None

    @property
    def waiting(self) -> int:
        """Answers queued and not yet taken by the writer."""
        with self._state:
            return len(self._waiting)

    @property
    def running(self) -> bool:
        """Whether the writer thread is alive."""
        return self._writer is not None and self._writer.is_alive()

    def stop(self) -> None:
        """Write what is waiting, then end the writer (the application is shutting down)."""
        with self._state:
            self._stopping = True
            self._state.notify_all()
            writer = self._writer
        if writer is not None:
            writer.join(timeout=WRITING_WAIT_SECONDS)

    def _start_writer(self) -> None:
        if self._writer is None or not self._writer.is_alive():
            self._writer = threading.Thread(
                target=self._write_loop, name="cxlens-survey-writer", daemon=True
            )
            self._writer.start()

    def _write_loop(self) -> None:
        while True:
            with self._state:
                self._state.wait_for(lambda: self._waiting or self._stopping)
                if not self._waiting:
                    return
                # Let answers sent together share a batch (new arrivals do not cut this short).
                self._state.wait_for(
                    lambda: self._stopping or len(self._waiting) >= self._batch_max,
                    GATHER_SECONDS,
                )
            self._write_batch()

    def _write_batch(self) -> None:
        """Write what is waiting, note the write for the cleaner, hand out the outcomes."""
        batch: list[_Waiting] = []
        outcomes: list[Any] = []
        try:
            outcomes = self._write_waiting(batch)
            if any(isinstance(outcome, str) for outcome in outcomes):
                self._access.mark_dirty()  # before the requests hear: settled() then waits
        except Exception as error:  # noqa: BLE001 - every waiting request must get an answer
            log.exception("writing %d survey answer(s) failed", len(batch))
            outcomes = outcomes or [WarehouseError(f"answers not saved ({error})")] * len(batch)
        finally:
            if len(outcomes) != len(batch):
                outcomes = [WarehouseError("survey answers were not saved")] * len(batch)
            for waiting, outcome in zip(batch, outcomes, strict=True):
                waiting.settle(outcome)

    def _write_waiting(self, batch: list[_Waiting]) -> list[str | CxlensError]:
        """Under the exclusive lock, move what is waiting into ``batch`` and write it.

        The lock is taken directly rather than through ``Access.write`` so that a batch
        of refusals only (forged or used links), which writes nothing, asks for no clean.
        """
        with self._access.lock.exclusive():
            with self._state:
                while self._waiting and len(batch) < self._batch_max:
                    batch.append(self._waiting.popleft())
            if not batch:
                return []
            return submit_responses(self._access.warehouse, [w.answer for w in batch])


class _Waiting:
    """One answer on the queue and the future its request awaits on its event loop."""

    def __init__(self, answer: Answer, loop: asyncio.AbstractEventLoop) -> None:
        self.answer = answer
        self.future: asyncio.Future = loop.create_future()
        self._loop = loop

    def settle(self, outcome: str | CxlensError) -> None:
        """Hand the outcome to the waiting request (from the writer thread)."""
        try:
            self._loop.call_soon_threadsafe(self._resolve, outcome)
        except RuntimeError:  # the event loop has closed: nobody waits any more
            log.warning("a survey answer's request was gone before its outcome: %r", outcome)

    def _resolve(self, outcome: str | CxlensError) -> None:
        if not self.future.done():
            self.future.set_result(outcome)


@router.get("/s/{text}", include_in_schema=False)
def survey_page(request: Request, text: str) -> Response:
    """The survey a link asks, or the page saying why it cannot be answered."""
    access = access_of(request)
    try:
        link = access.run(lambda: open_link(access.warehouse, text))
    except (LinkForged, LinkExpired, LinkUsed) as refusal:
        return _link_refused(request, refusal, _language(request))
    return _form(request, link, _language(request, link.lang))


@router.get("/s/{text}/thanks", include_in_schema=False)
def thanks_page(request: Request, text: str) -> Response:
    """The thank-you page after an answer (a link not yet answered goes back to its form)."""
    access = access_of(request)
    lang = _language(request)
    try:
        link = access.run(lambda: open_link(access.warehouse, text))
    except LinkUsed:
        return _page(request, "survey_thanks.html", lang, 200)
    except (LinkForged, LinkExpired) as refusal:
        return _link_refused(request, refusal, lang)
    return RedirectResponse(f"/s/{link.text}?lang={_language(request, link.lang)}", status_code=303)


@router.post("/s/{text}", include_in_schema=False)
async def survey_answer(request: Request, text: str) -> Response:
    """Record an answer: rate limit, size cap, then the link and the score are checked."""
    lang = _language(request)
    wait = limiter_of(request).admit(request.client.host if request.client else "unknown")
    if wait is not None:
        headers = {"Retry-After": str(max(1, math.ceil(wait)))}
        return _refused(request, "too_many", 429, lang, headers)

    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        return _refused(request, "bad_form", 415, lang)
    body = await _bounded_body(request)
    if body is None:
        return _refused(request, "too_large", 413, lang)
    form = _parsed(body)
    if form is None:
        return _refused(request, "bad_form", 400, lang)
    return await _answer(request, text, form)


def limiter_of(request: Request) -> SubmissionLimiter:
    """The application's submission limiter, made on first use from ``[serve]``."""
    state = request.app.state
    with _limiter_lock:
        limiter = getattr(state, "survey_limiter", None)
        if limiter is None:
            per_minute = access_of(request).settings.serve.get("survey_submissions_per_minute", 30)
            limiter = state.survey_limiter = SubmissionLimiter(int(per_minute))
    return limiter


def submissions_of(request: Request) -> SubmissionQueue:
    """The application's submission queue, made on first use; it stops with the application."""
    state = request.app.state
    with _limiter_lock:
        queue = getattr(state, "survey_submissions", None)
        if queue is None:
            queue = state.survey_submissions = SubmissionQueue(access_of(request))
            request.app.router.add_event_handler("shutdown", queue.stop)
    return queue


async def _answer(request: Request, text: str, form: dict[str, str]) -> Response:
    """Check the answer, queue it for the writer and wait (holding no worker thread).

    The link's own claims (its scale and language) shape the reply; the writer checks
    its signature, expiry and single use.
    """
    answered = datetime.now(UTC)
    asked = form.get("lang")
    link = claimed(text)
    if link is None:
        return _link_refused(
            request, LinkForged(), asked if asked in LANGUAGES else _language(request)
        )
    token, kind, link_lang = link
    lang = asked if asked in LANGUAGES else _language(request, link_lang)

    comment = form.get("comment", "").replace("\r\n", "\n")
    score = _score(scale(kind), form.get("score", ""))
    problem = _problem(scale(kind), score, comment, lang)
    if problem is not None:
        return await _form_again(request, text, lang, problem, comment, form.get("score"))

    answer = Answer(token, score, comment, answered_at=answered)
    outcome = await submissions_of(request).submit(answer, ANSWER_WAIT_SECONDS)
    if outcome is None or isinstance(outcome, WarehouseError):
        return _busy(request, lang)
    if isinstance(outcome, LinkForged | LinkExpired | LinkUsed):
        return _link_refused(request, outcome, lang)
    if isinstance(outcome, CxlensError):
        return await _form_again(request, text, lang, str(outcome), comment, form.get("score"))
    return RedirectResponse(f"/s/{token}/thanks?lang={lang}", status_code=303)


async def _form_again(
    request: Request, text: str, lang: str, problem: str, comment: str, chosen: str | None
) -> Response:
    """The form once more, saying what to change (or why the link cannot be answered)."""
    access = access_of(request)
    try:
        link = await run_in_threadpool(access.run, lambda: open_link(access.warehouse, text))
    except (LinkForged, LinkExpired, LinkUsed) as refusal:
        return _link_refused(request, refusal, lang)
    return _form(request, link, lang, problem, comment, chosen, status=422)


def _busy(request: Request, lang: str) -> Response:
    """503: the answer was not written in time (and will not be); send it again."""
    headers = {"Retry-After": str(int(WINDOW_SECONDS))}
    return _refused(request, "busy", 503, lang, headers)


def _score(scale: tuple[int, int], given: str) -> int | None:
    """The chosen score as a whole number on the survey's scale, or None."""
    low, high = scale
    given = given.strip()
    if not given.isascii() or not given.isdigit() or len(given) > 2:
        return None
    score = int(given)
    return score if low <= score <= high else None


def _problem(scale: tuple[int, int], score: int | None, comment: str, lang: str) -> str | None:
    """What the customer must change before the answer can be recorded, or None."""
    if score is None:
        low, high = scale
        return word("form_pick_score", lang, low=low, high=high)
    if len(comment) > COMMENT_MAX_CHARS:
        return word(
            "form_comment_too_long", lang, max=f"{COMMENT_MAX_CHARS:,}", n=f"{len(comment):,}"
        )
    return None


async def _bounded_body(request: Request) -> bytes | None:
    """The request body, or None as soon as it passes ``FORM_MAX_BYTES``."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > FORM_MAX_BYTES):
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_MAX_BYTES:
            return None
    return bytes(body)


def _parsed(body: bytes) -> dict[str, str] | None:
    """The form's fields (the first value of each), or None if it is not a UTF-8 form."""
    try:
        fields = parse_qs(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=20
        )
    except (UnicodeDecodeError, ValueError):
        return None
    return {name: values[0] for name, values in fields.items()}


def _language(request: Request, link_lang: str | None = None) -> str:
    """The visitor's explicit ?lang= choice, else the link's language, else the project's.

    The explicit choice comes first so that the page's language switch works on links
    made with a language.
    """
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    if link_lang in LANGUAGES:
        return link_lang
    project = access_of(request).settings.language
    return project if project in LANGUAGES else "en"


def _form(
    request: Request,
    link: SurveyLink,
    lang: str,
    problem: str | None = None,
    comment: str = "",
    chosen: str | None = None,
    status: int = 200,
) -> Response:
    """The survey form of ``link`` (again with ``problem`` when the answer was refused)."""
    low, high = link.scale
    higher_is_easier = bool(access_of(request).settings.ces.get("higher_is_easier", True))
    wording = _wording(link.kind, higher_is_easier)
    context = {
        "link_text": link.text,
        "kind": link.kind,
        "question": word(f"form_question_{wording}", lang),
        "subject": word(f"form_about_{link.subject_type}", lang, id=link.subject_id),
        "scores": list(range(low, high + 1)),
        "chosen": chosen,
        "low_end": f"{low} = {word(f'form_low_{wording}', lang)}",
        "high_end": f"{high} = {word(f'form_high_{wording}', lang)}",
        "problem": problem,
        "comment": comment,
        "comment_max": COMMENT_MAX_CHARS,
    }
    return _page(request, "survey.html", lang, status, context)


def _wording(kind: str, higher_is_easier: bool) -> str:
    """Which question and scale ends a kind asks with (CES by the settings' direction)."""
    if kind == "ces":
        return "ces_easy" if higher_is_easier else "ces_effort"
    return kind


def _link_refused(request: Request, refusal: InputError, lang: str) -> Response:
    for kind, status, reason in LINK_REFUSALS:
        if isinstance(refusal, kind):
            return _refused(request, reason, status, lang)
    raise refusal


def _refused(
    request: Request, reason: str, status: int, lang: str, headers: dict | None = None
) -> Response:
    """A friendly page saying why an answer cannot be taken, with a status scripts read."""
    context = {
        "heading": word(f"form_{reason}_heading", lang),
        "body": word(f"form_{reason}_body", lang),
    }
    return _page(request, "survey_refused.html", lang, status, context, headers)


def _page(
    request: Request,
    template: str,
    lang: str,
    status: int,
    context: dict[str, Any] | None = None,
    headers: dict | None = None,
) -> Response:
    other = "en" if lang == "zh" else "zh"
    context = {
        "lang": lang,
        "switch_language": f"{request.url.path}?lang={other}",
        **(context or {}),
    }
    return TEMPLATES.TemplateResponse(
        request, template, context, status_code=status, headers={**NO_STORE, **(headers or {})}
    )
