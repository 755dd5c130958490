"""Learning endpoints of the JSON API (lms/api.py mounts this router at /api/v1/):
enrolment, my courses, a lesson for a learner with its video URL, progress reports,
completion, certificates.

Every endpoint calls what the web views call (``learning.services``, the getters in
``learning.access``), so the same situation gets the same answer; README, "API".
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from catalog.access import get_visible_course
from catalog.api import CourseOut, course_summary
from learning import services, streaming
from learning.access import (
    Outline,
    get_certificate,
    get_learnable_lesson,
    get_outline,
    get_player,
    load_course,
)
from learning.models import (
    Certificate,
    Enrollment,
    LessonProgress,
    continue_lesson_subquery,
    percent,
)
from learning.pacing import LessonLocked, Lock
from learning.player import player_media
from lms.lib.api import (
    ApiError,
    Input,
    PageQuery,
    Problem,
    optional_token_auth,
    paginate,
    token_auth,
    token_session_id,
)

router = Router(tags=["Learning"], auth=token_auth)


# --- Schemas --------------------------------------------------------------------------------
class MyCourseOut(Schema):
    course: CourseOut
    enrolled_at: datetime
    progress_percent: int = Field(description="Completed published lessons ÷ published lessons.")
    completed_lessons: int
    total_lessons: int
    completed_at: datetime | None = Field(description="When the course first reached 100 %.")
    last_activity_at: datetime | None
    continue_lesson_id: int | None = Field(
        description="The lesson to continue with: the one last worked on, else the first "
        "(the web's “Continue”); null while the course has no lessons."
    )
    certificate_code: str | None = Field(description="See GET /certificates/{code}.")


class MyCoursePage(Schema):
    count: int
    page: int
    pages: int
    results: list[MyCourseOut]


class CourseRef(Schema):
    slug: str
    title: str


class SectionRef(Schema):
    id: int
    title: str


class CourseProgressOut(Schema):
    completed_lessons: int
    total_lessons: int
    percent: int
    completed: bool = Field(description="Every published lesson is completed.")
    certificate_code: str | None


class CaptionOut(Schema):
    language: str = Field(description="Language code, e.g. en, pt-br.")
    label: str = Field(description="The language's name, e.g. English.")
    url: str = Field(description="The WebVTT file (text/vtt), signed for you like stream_url.")
    default: bool = Field(
        description="In the course's language: the track to show unless the viewer chooses."
    )


class LessonDetailOut(Schema):
    id: int
    title: str
    description: str
    duration: int = Field(description="Seconds.")
    is_free_preview: bool
    course: CourseRef
    section: SectionRef
    previous_lesson_id: int | None
    next_lesson_id: int | None
    progress_recorded: bool = Field(
        description="Your progress counts (you are enrolled): report it with POST "
        "/lessons/{id}/progress. False for free previews and for the course's "
        "instructor and staff, who watch without recording."
    )
    position: float = Field(description="Where to resume playback, in seconds.")
    watched_seconds: float
    completed: bool
    course_progress: CourseProgressOut | None = Field(description="Null unless progress_recorded.")
    stream_url: str | None = Field(
        description="The video (HTTP Range supported), signed for you: no cookie needed, "
        "valid until stream_expires_at and while you stay signed in. Null without video."
    )
    stream_expires_at: datetime | None
    hls_url: str | None = Field(
        description="The adaptive, AES-128 encrypted HLS master playlist (its key and "
        "segments signed likewise), signed for you like stream_url and expiring with it; "
        "null until the lesson's renditions are ready: play stream_url meanwhile."
    )
    poster_url: str | None = Field(
        description="The poster frame (JPEG), signed likewise; null with hls_url."
    )
    captions: list[CaptionOut] = Field(
        description="The lesson's WebVTT caption files, one per language (empty without "
        "video); their URLs are signed like stream_url and expire with it."
    )


class LockedProblem(Problem):
    """A 403; for a lesson of a paced course that is not open to you yet, with why
    (``detail``) and when or after what."""

    locked: bool | None = Field(None, description="True: the lesson is not open to you yet.")
    opens_at: datetime | None = Field(
        None, description="When it opens (drip pacing: midnight in your time zone)."
    )
    after_lesson_id: int | None = Field(
        None, description="Sequential pacing: the lesson to complete first."
    )


class OutlineLessonOut(Schema):
    id: int
    title: str
    kind: str = Field(description="video, article or quiz.")
    duration: int = Field(description="Seconds.")
    is_free_preview: bool
    completed: bool
    locked: bool = Field(description="Not open to you yet (paced courses): see lock_reason.")
    lock_reason: str | None = Field(description="Why, as a sentence to show; null when open.")
    opens_at: datetime | None = Field(
        description="When it opens (drip pacing: midnight in your time zone)."
    )
    after_lesson_id: int | None = Field(
        description="Sequential pacing: the lesson to complete first."
    )


class OutlineSectionOut(Schema):
    id: int
    title: str
    lessons: list[OutlineLessonOut]


class CourseOutlineOut(Schema):
    course: CourseRef
    pacing: str = Field(
        description="free (any order), sequential (a lesson opens when the one before is "
        "complete) or drip (each section opens some days after enrolment)."
    )
    progress_recorded: bool = Field(
        description="You are enrolled: completion and locks are yours. False for the "
        "course's instructor and staff, for whom every lesson is open."
    )
    completed_lessons: int
    total_lessons: int
    sections: list[OutlineSectionOut]


class ProgressIn(Input):
    position: float = Field(
        ge=0, allow_inf_nan=False, description="Where playback is now, in seconds."
    )
    start: float | None = Field(
        None,
        ge=0,
        allow_inf_nan=False,
        description="Start of the segment played since the previous report (send with end).",
    )
    end: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="Its end (send with start)."
    )


class ProgressOut(Schema):
    position: float
    watched_seconds: float = Field(description="The union of played segments, in seconds.")
    # A list, not a tuple: ninja writes a tuple as OpenAPI 3.0's `items: [...]`, which is
    # not valid in the 3.1 schema (Schemathesis's long run found it).
    credited: list[float] | None = Field(
        min_length=2,
        max_length=2,
        description="The part of the reported segment that counted: all of it at real "
        "playback speed, less for a burst faster than playback; null without a segment.",
    )
    completed: bool
    completed_now: bool
    course_completed_now: bool


class CompletionOut(Schema):
    lesson_id: int
    completed: bool
    completed_manually: bool
    completed_now: bool
    course_completed_now: bool
    course_progress: CourseProgressOut


class CertificateOut(Schema):
    code: str
    valid: bool = Field(description="False once revoked.")
    student_name: str
    course_title: str
    instructor_name: str
    issued_at: datetime
    revoked_at: datetime | None
    revoked_reason: str
    quiz_score: float | None = Field(
        description="The best score (percent) on the course's final quiz, when the course "
        "prints it on its certificates; else null."
    )
    course_slug: str | None = Field(description="While the course is published.")
    verify_url: str = Field(description="The public verification page.")


class CertificatePage(Schema):
    count: int
    page: int
    pages: int
    results: list[CertificateOut]


# --- Helpers --------------------------------------------------------------------------------
def my_courses(user):
    """``user``'s enrolments as My learning lists them, with what an item shows."""
    certificate = Certificate.objects.filter(user=OuterRef("user"), course=OuterRef("course"))
    return (
        Enrollment.objects.of(user)
        .select_related("course__category", "course__instructor__profile")
        .with_progress()
        .annotate(
            continue_lesson_id=continue_lesson_subquery(),
            certificate_code=Subquery(certificate.values("code")[:1]),
        )
        .recent_first()
    )


def _my_course(request, enrollment: Enrollment) -> dict:
    return {
        "course": course_summary(request, enrollment.course),
        "enrolled_at": enrollment.created_at,
        "progress_percent": enrollment.progress_percent,
        "completed_lessons": enrollment.done,
        "total_lessons": enrollment.course.lesson_count,
        "completed_at": enrollment.completed_at,
        "last_activity_at": enrollment.last_activity,
        "continue_lesson_id": enrollment.continue_lesson_id,
        "certificate_code": enrollment.certificate_code,
    }


def _course_progress(*, user, course, done: int) -> dict:
    """The web player's status block as data (``learning.views.status_context``)."""
    course_percent = percent(done, course.lesson_count)
    complete = course_percent >= 100
    code = (
        Certificate.objects.filter(user=user, course=course).values_list("code", flat=True).first()
        if complete
        else None
    )
    return {
        "completed_lessons": done,
        "total_lessons": course.lesson_count,
        "percent": course_percent,
        "completed": complete,
        "certificate_code": code,
    }


def _media_query(request, lesson) -> str:
    """The signature of ``lesson``'s media URLs (video, HLS, captions) for the caller,
    playable without a cookie: for a signed-in app, bound to its API sign-in; for an
    anonymous one, the web's anonymous link."""
    if request.user.is_authenticated:
        return streaming.app_signed_query(
            user=request.user, lesson=lesson, session_id=token_session_id(request)
        )
    return streaming.signed_query(user=request.user, lesson=lesson)


def _video_urls(request, lesson, *, query: str) -> dict:
    """Absolute video URLs signed by ``query``: ``stream_url``, and ``hls_url`` and
    ``poster_url`` once the HLS set is ready (all None without video)."""
    if not lesson.video:
        return {"stream_url": None, "hls_url": None, "poster_url": None}
    stream_url = reverse("learning:stream", args=[lesson.pk]) + "?" + query
    urls = {"stream_url": stream_url, **streaming.player_sources(lesson, query=query)}
    return {name: url and request.build_absolute_uri(url) for name, url in urls.items()}


def _captions(request, lesson, *, query: str) -> list[dict]:
    """The lesson's captions with URLs signed by ``query`` (one query)."""
    if not lesson.video:
        return []
    media = player_media(lesson, query=query, absolute=request.build_absolute_uri)
    return [track.as_dict() for track in media["captions"]]


def _certificate(request, certificate: Certificate) -> dict:
    course = certificate.course
    return {
        "code": certificate.code,
        "valid": not certificate.is_revoked,
        "student_name": certificate.student_name,
        "course_title": certificate.course_title,
        "instructor_name": certificate.instructor_name,
        "issued_at": certificate.issued_at,
        "revoked_at": certificate.revoked_at,
        "revoked_reason": certificate.revoked_reason,
        "quiz_score": None if certificate.quiz_score is None else float(certificate.quiz_score),
        "course_slug": course.slug if course is not None and course.is_published else None,
        "verify_url": request.build_absolute_uri(certificate.get_absolute_url()),
    }


def lock_members(lock: Lock) -> dict:
    """A locked lesson's problem members (``LockedProblem``): lms/api.py's handler of
    ``LessonLocked`` adds them to the 403."""
    return {
        "locked": True,
        "opens_at": lock.opens_at,
        "after_lesson_id": lock.after.pk if lock.after is not None else None,
    }


def _outline_lesson(lesson, *, outline: Outline) -> dict:
    lock = outline.locks.get(lesson.pk)
    return {
        "id": lesson.pk,
        "title": lesson.title,
        "kind": lesson.kind,
        "duration": lesson.duration,
        "is_free_preview": lesson.is_free_preview,
        "completed": lesson.pk in outline.completed_ids,
        "locked": lock is not None,
        "lock_reason": lock.reason if lock else None,
        "opens_at": lock.opens_at if lock else None,
        "after_lesson_id": lock.after.pk if lock and lock.after is not None else None,
    }


UNAUTHORIZED = {401: Problem}
# Routes with an integer id in the path also answer 422 for an id that is not a number.


# --- Enrolment ------------------------------------------------------------------------------
@router.post(
    "/courses/{slug}/enrollment",
    response={200: MyCourseOut, 201: MyCourseOut, **UNAUTHORIZED, 403: Problem, 404: Problem},
    operation_id="enroll",
)
def enroll(request, slug: str):
    """Enrol in a free, published course: 201 when new, 200 when already enrolled. A
    course that cannot be enrolled in here (paid, not open) is a 403 saying why."""
    course = get_visible_course(request.user, slug)
    enrollment, created = services.enroll(user=request.user, course=course)
    item = _my_course(request, my_courses(request.user).get(pk=enrollment.pk))
    return Status(201 if created else 200, item)


@router.delete(
    "/courses/{slug}/enrollment",
    response={204: None, **UNAUTHORIZED, 403: Problem, 404: Problem},
    operation_id="unenroll",
)
def unenroll(request, slug: str):
    """Leave a free course (progress is kept for a later return); 404 if not enrolled."""
    course = get_visible_course(request.user, slug)
    if not services.unenroll(user=request.user, course=course):
        raise ApiError(404, "You are not enrolled in this course.")
    return Status(204, None)


@router.get(
    "/me/courses",
    response={200: MyCoursePage, **UNAUTHORIZED, 422: Problem},
    operation_id="list_my_courses",
)
def list_my_courses(request, query: Query[PageQuery]):
    """The courses I am enrolled in, the latest activity first, with my progress."""
    return paginate(
        my_courses(request.user), query, lambda enrollment: _my_course(request, enrollment)
    )


# --- Lessons and progress ---------------------------------------------------------------
@router.get(
    "/courses/{slug}/outline",
    response={200: CourseOutlineOut, **UNAUTHORIZED, 403: Problem, 404: Problem},
    operation_id="get_course_outline",
)
def get_course_outline(request, slug: str):
    """The course's published sections and lessons as you learn them: what you completed
    and, in a paced course, what is not open to you yet (why, and when or after which
    lesson). For enrolled students, the course's instructor and staff; 403 for others."""
    course = load_course(request.user, slug)
    editor = course.is_editable_by(request.user)
    if not (course.viewer_enrolled or editor):
        raise ApiError(403, "Enrol in the course to follow its lessons.")
    outline = get_outline(request.user, course)
    return {
        "course": {"slug": course.slug, "title": course.title},
        "pacing": course.pacing,
        "progress_recorded": bool(course.viewer_enrolled) and course.is_published,
        "completed_lessons": len(outline.completed_ids),
        "total_lessons": len(outline.lessons),
        "sections": [
            {
                "id": section.pk,
                "title": section.title,
                "lessons": [
                    _outline_lesson(lesson, outline=outline) for lesson in section.published_lessons
                ],
            }
            for section in outline.sections
        ],
    }


@router.get(
    "/courses/{slug}/lessons/{lesson_id}",
    response={
        200: LessonDetailOut,
        **UNAUTHORIZED,
        403: LockedProblem,
        404: Problem,
        422: Problem,
    },
    operation_id="get_lesson",
    auth=optional_token_auth,
)
def get_lesson(request, slug: str, lesson_id: int):
    """A lesson to watch: free previews for anyone; other lessons for enrolled students,
    the course's instructor and staff (403 for others, 404 if the course is not visible).
    A lesson of a paced course that is not open to you yet is a 403 saying why, with
    ``locked``, ``opens_at`` and ``after_lesson_id`` (see GET /courses/{slug}/outline)."""
    player = get_player(request.user, slug, lesson_id)
    lock = player.locks.get(player.current.pk)
    if lock is not None:
        raise LessonLocked(lock)
    lesson, progress = player.current, player.progress
    query = _media_query(request, lesson) if lesson.video else ""
    urls = _video_urls(request, lesson, query=query)
    return {
        "id": lesson.pk,
        "title": lesson.title,
        "description": lesson.description,
        "duration": lesson.duration,
        "is_free_preview": lesson.is_free_preview,
        "course": {"slug": player.course.slug, "title": player.course.title},
        "section": {"id": lesson.section.pk, "title": lesson.section.title},
        "previous_lesson_id": player.previous.pk if player.previous else None,
        "next_lesson_id": player.next.pk if player.next else None,
        "progress_recorded": player.learning,
        "position": progress.position if progress else 0.0,
        "watched_seconds": round(progress.watched_seconds, 1) if progress else 0.0,
        "completed": bool(progress and progress.is_complete),
        "course_progress": _course_progress(
            user=request.user, course=player.course, done=len(player.completed_ids)
        )
        if player.learning
        else None,
        **urls,
        "stream_expires_at": timezone.now() + timedelta(seconds=settings.VIDEO_URL_MAX_AGE)
        if urls["stream_url"]
        else None,
        "captions": _captions(request, lesson, query=query),
    }


@router.post(
    "/lessons/{lesson_id}/progress",
    response={200: ProgressOut, **UNAUTHORIZED, 403: LockedProblem, 404: Problem, 422: Problem},
    operation_id="report_progress",
)
def report_progress(request, lesson_id: int, payload: ProgressIn):
    """The player's report: where playback is, and the segment played since the last
    report. Watched time is credited only as fast as real playback allows (README,
    "Learning"); the answer says what was."""
    if (payload.start is None) != (payload.end is None):
        get_learnable_lesson(request.user, lesson_id)  # who may report comes first (404, 403)
        missing = "start" if payload.start is None else "end"
        raise ApiError(
            422,
            "Some of the input is not valid.",
            errors=[{"field": missing, "message": "Send start and end together, or neither."}],
        )
    segment = (payload.start, payload.end) if payload.start is not None else None
    try:
        # Checks who may report (as get_learnable_lesson) and records, in two round trips.
        result = services.report_progress(
            user=request.user, lesson_pk=lesson_id, position=payload.position, segment=segment
        )
    except ValidationError as error:
        raise ApiError(
            422,
            " ".join(error.messages),
            errors=[
                {"field": field, "message": message}
                for field, messages in error.message_dict.items()
                for message in messages
            ],
        ) from None
    return result.report()


def _set_completed(request, lesson_id: int, *, completed: bool) -> dict:
    lesson = get_learnable_lesson(request.user, lesson_id)
    try:
        result = services.set_completed(user=request.user, lesson=lesson, completed=completed)
    except ValidationError as error:
        raise ApiError(422, " ".join(error.messages)) from None
    course = lesson.section.course
    done = LessonProgress.objects.completed_in(user=request.user, course=course)
    return {
        "lesson_id": lesson.pk,
        "completed": result.progress.is_complete,
        "completed_manually": result.progress.completed_manually,
        "completed_now": result.lesson_completed_now,
        "course_completed_now": result.course_completed_now,
        "course_progress": _course_progress(user=request.user, course=course, done=done),
    }


@router.put(
    "/lessons/{lesson_id}/completion",
    response={
        200: CompletionOut,
        **UNAUTHORIZED,
        403: LockedProblem,
        404: Problem,
        422: Problem,
    },
    operation_id="complete_lesson",
)
def complete_lesson(request, lesson_id: int):
    """Mark the lesson complete (the player's button); again changes nothing."""
    return _set_completed(request, lesson_id, completed=True)


@router.delete(
    "/lessons/{lesson_id}/completion",
    response={
        200: CompletionOut,
        **UNAUTHORIZED,
        403: LockedProblem,
        404: Problem,
        422: Problem,
    },
    operation_id="uncomplete_lesson",
)
def uncomplete_lesson(request, lesson_id: int):
    """Undo: the lesson is not completed (watched time is kept)."""
    return _set_completed(request, lesson_id, completed=False)


# --- Certificates ---------------------------------------------------------------------------
@router.get(
    "/me/certificates",
    response={200: CertificatePage, **UNAUTHORIZED, 422: Problem},
    operation_id="list_my_certificates",
)
def list_my_certificates(request, query: Query[PageQuery]):
    """My certificates, the newest first (revoked ones too, marked not valid)."""
    certificates = (
        Certificate.objects.filter(user=request.user)
        .select_related("course")
        .order_by("-issued_at", "-pk")
    )
    return paginate(certificates, query, lambda certificate: _certificate(request, certificate))


@router.get(
    "/certificates/{code}",
    response={200: CertificateOut, **UNAUTHORIZED, 404: Problem},
    operation_id="verify_certificate",
    auth=optional_token_auth,
)
def verify_certificate(request, code: str):
    """Public verification, as the certificate's web page: anyone with the code."""
    return _certificate(request, get_certificate(code))
