import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.views.decorators.http import require_POST, require_safe

from catalog.access import get_lesson_in_course, get_visible_course
from catalog.markdown import render_markdown
from catalog.models import Lesson
from learning import content, pacing, services, streaming
from learning.access import (
    WatchRefused,
    can_watch,
    get_certificate,
    get_learnable_lesson,
    get_outline,
    get_player,
    lessons_with_enrollment,
    load_course,
)
from learning.certificates import pdf_of
from learning.content import PLAYER_RELATED, EntryState
from learning.lesson_kinds import body_context, video_sources
from learning.models import (
    Certificate,
    Enrollment,
    LessonProgress,
    continue_lesson_subquery,
    percent,
)


# --- Enrolment --------------------------------------------------------------------------
@login_required
@require_POST
def enroll(request, course_slug: str):
    course = get_visible_course(request.user, course_slug)
    try:
        _, created = services.enroll(user=request.user, course=course)
    except services.EnrollmentRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(course)
    if created:
        messages.success(request, f"You are enrolled in “{course}”. Enjoy the course!")
    return redirect("learning:continue", course_slug=course.slug)


@login_required
@require_POST
def unenroll(request, course_slug: str):
    course = get_visible_course(request.user, course_slug)
    try:
        left = services.unenroll(user=request.user, course=course)
    except services.EnrollmentRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(course)
    if left:
        messages.success(
            request,
            f"You left “{course}”. Your progress is kept if you enrol again.",
        )
    return redirect(course)


# --- My learning ------------------------------------------------------------------------
@login_required
@require_safe
def my_learning(request):
    enrollments = list(
        Enrollment.objects.of(request.user)
        .select_related("course__instructor__profile", "course__category")
        .with_progress()
        .recent_first()
    )
    in_progress = [e for e in enrollments if e.progress_percent < 100]
    completed = [e for e in enrollments if e.progress_percent >= 100]
    certificates = Certificate.objects.filter(user=request.user)
    return render(
        request,
        "learning/my_learning.html",
        {"in_progress": in_progress, "completed": completed, "certificates": certificates},
    )


@login_required
@require_safe
def continue_course(request, course_slug: str):
    """Back to the lesson last worked on, else the first lesson; in a paced course, never
    to a lesson that is not open yet (then the first open lesson not done, else the first
    open one; when none is open, the course page says when the first opens).

    Only for those who learn the course or edit it: anyone else has nothing to continue
    and goes back to the course page (which offers enrolment and any free previews),
    even when the first lesson is a free preview.
    """
    course = load_course(
        request.user,
        course_slug,
        continue_lesson_id=continue_lesson_subquery(user=request.user.pk, course_ref="pk"),
    )
    if not (course.viewer_enrolled or course.is_editable_by(request.user)):
        messages.info(request, "Enrol in the course to watch its lessons.")
        return redirect(course)
    lesson_pk = course.continue_lesson_id
    if lesson_pk is None:
        messages.info(request, "This course has no lessons yet.")
        return redirect(course)
    if pacing.applies(request.user, course, enrolled=course.viewer_enrolled):
        outline = get_outline(request.user, course)
        if lesson_pk in outline.locks:
            target = outline.first_open(not_completed=True) or outline.first_open()
            if target is None:
                first = outline.lessons[0]
                messages.info(request, f"“{first.title}”: {outline.locks[first.pk].reason}")
                return redirect(course)
            lesson_pk = target.pk
    return redirect("learning:lesson", course_slug=course.slug, lesson_pk=lesson_pk)


# --- The player -------------------------------------------------------------------------
def status_context(
    *, course, lesson, progress, done: int, user, learning: bool = True, oob: bool = False
) -> dict:
    """What the status block (course progress, mark complete, completion) shows.

    ``oob``: also refresh the lesson's tick in the sidebar (HTMX out-of-band swap).
    """
    course_percent = percent(done, course.lesson_count) if learning else 0  # 0 if no lessons
    complete = learning and course_percent >= 100
    certificate = Certificate.objects.filter(user=user, course=course).first() if complete else None
    return {
        "certificate": certificate,
        "course": course,
        "lesson": lesson,
        "progress": progress,
        "learning": learning,
        "is_editor": course.is_editable_by(user),
        "done_count": done,
        "course_percent": course_percent,
        "course_complete": complete,
        "oob": oob,
    }


@login_required
@require_safe
def lesson(request, course_slug: str, lesson_pk: int):
    """The player: the user, their enrolment and their progress rows (three queries); the
    course and its curriculum come shared from the cache (learning.content)."""
    try:
        player = get_player(request.user, course_slug, lesson_pk)
    except WatchRefused as refusal:
        messages.info(request, str(refusal))
        return redirect(refusal.course)
    course, current = player.course, player.current
    status_only = bool(request.htmx) and request.htmx.target == "lesson-status"
    status = status_context(
        course=course,
        lesson=current,
        progress=player.progress,
        done=len(player.completed_ids),
        learning=player.learning,
        user=request.user,
        oob=status_only,
    )
    if status_only:
        return render(request, "learning/lesson.html#lesson-status", status)
    position = player.progress.position if player.progress else 0
    context = {
        **status,
        "previous": player.previous,
        "next": player.next,
        "start_position": f"{position:.1f}",
    }
    if not _shareable(request, player):
        context["curriculum"] = player.curriculum()
        context.update(body_context(request, player))
        if current.pk in player.locks:  # where the student can go on instead
            context["resume"] = player.first_open(not_completed=True)
        return render(request, "learning/lesson.html", context)
    return HttpResponse(
        _personal_page(request, player, status=status, start=context["start_position"])
    )


# Lessons whose player page is shared by its viewers but for a few holes (learning.content):
# a quiz shows each student their own questions and attempts, a locked lesson its reason.
SHARED_PAGE_KINDS = frozenset({Lesson.Kind.VIDEO, Lesson.Kind.ARTICLE})


def _shareable(request, player) -> bool:
    """Whether the page may come from the shared copy: an open video or article lesson,
    and no message waiting to be shown (messages are the viewer's)."""
    messages_waiting = getattr(request, "_messages", None)
    return (
        player.current.kind in SHARED_PAGE_KINDS
        and player.current.pk not in player.locks
        and not (messages_waiting is not None and len(messages_waiting))
    )


def _personal_page(request, player, *, status: dict, start: str) -> str:
    """The player page as this viewer sees it: the shared page of the lesson for their
    kind of viewer (learning or watching; with or without the Admin link), its holes
    filled with their CSRF token, signature, resume position, status and curriculum."""
    user, current = request.user, player.current
    media = current.kind == Lesson.Kind.VIDEO and current.video
    query = streaming.signed_query(user=user, lesson=current) if media else ""
    # The status block needs only the status: the media links, captions and transcript
    # are the shared page's, signed for this viewer by the "Q" hole alone.
    holes = {
        "S": render_to_string("learning/lesson.html#lesson-status", status, request=request),
        "T": get_token(request),
        "Q": escape(query),
        "P": start,
        "C": player.curriculum(),
    }
    kind = f"{'learning' if player.learning else 'watching'}-{int(user.can_author_courses)}"
    page = content.shared_page(
        version=player.version,
        lesson_pk=current.pk,
        kind=kind,
        render=lambda: _page_for_nobody(request, player, kind_can_author=user.can_author_courses),
    )
    return content.fill(page, holes)


def _page_for_nobody(request, player, *, kind_can_author: bool) -> str:
    """The page rendered with nothing of the viewer: a blank request, a stand-in user,
    only what every viewer of this kind shares, and markers for the holes."""
    Hole = content.Hole
    blank = content.nobodys_request(request)
    blank.user = content.NoOne(can_author_courses=kind_can_author)
    shared = {
        "course": player.content.course,
        "lesson": player.current,
        "learning": player.learning,
        "previous": player.previous,
        "next": player.next,
        "user": blank.user,
        "csrf_token": Hole.CSRF,
        "start_position": Hole.START,
        "status_html": Hole.STATUS,
        "curriculum": Hole.CURRICULUM,
        **body_context(blank, player, query=Hole.QUERY),
    }
    return render_to_string("learning/lesson.html", shared, request=blank)


@login_required
@require_POST
def save_progress(request, lesson_pk: int):
    """Position and played segment from the player (fetch/sendBeacon, every few seconds)."""
    try:
        data = (
            json.loads(request.body) if request.content_type == "application/json" else request.POST
        )
        position = float(data["position"])
        segment = None
        if data.get("start") not in (None, "") and data.get("end") not in (None, ""):
            segment = (float(data["start"]), float(data["end"]))
    except (KeyError, TypeError, ValueError, json.JSONDecodeError):
        get_learnable_lesson(request.user, lesson_pk)  # who may report comes first (404, 403)
        return HttpResponseBadRequest("Send a numeric position (and optionally start and end).")
    try:
        # Checks who may report (as get_learnable_lesson) and records, in two round trips.
        result = services.report_progress(
            user=request.user, lesson_pk=lesson_pk, position=position, segment=segment
        )
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    return JsonResponse(result.report())


@login_required
@require_POST
def toggle_complete(request, lesson_pk: int):
    """The "mark complete" button and its undo; HTMX swaps the status block."""
    current = get_learnable_lesson(request.user, lesson_pk)
    completed = request.POST.get("completed") == "1"
    try:
        result = services.set_completed(user=request.user, lesson=current, completed=completed)
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    course = current.section.course
    if request.htmx:
        done = LessonProgress.objects.completed_in(user=request.user, course=course)
        context = status_context(
            course=course,
            lesson=current,
            progress=result.progress,
            done=done,
            user=request.user,
            oob=True,
        )
        response = render(request, "learning/lesson.html#lesson-status", context)
        return with_next_lesson_entry(request, response, current)
    if result.course_completed_now:
        messages.success(request, f"Congratulations, you completed “{course}”!")
    return redirect("learning:lesson", course_slug=course.slug, lesson_pk=current.pk)


def with_next_lesson_entry(request, response, lesson):
    """In a sequential course, completing ``lesson`` (or undoing it) opens (or closes)
    the next one: its sidebar entry joins ``response`` as an out-of-band swap. Two
    queries, for sequential courses only."""
    course = lesson.section.course
    if course.pacing != course.Pacing.SEQUENTIAL:
        return response
    item = pacing.next_lesson(request.user, lesson)
    if item is None:
        return response
    item.state = EntryState(current=False, done=item.done, lock=pacing.lock_of(request.user, item))
    context = {"item": item, "course": course, "oob": True}
    entry = render_to_string("learning/curriculum.html#player-lesson", context, request=request)
    response.content += entry.encode()
    return response


# --- Free previews and video bytes ------------------------------------------------------
@require_safe
def preview(request, course_slug: str, lesson_pk: int):
    """A free-preview lesson, playable (or, an article, readable) without enrolling.
    A quiz has no preview: its questions are for students."""
    course = get_visible_course(request.user, course_slug)
    current = get_lesson_in_course(course, lesson_pk, related=[PLAYER_RELATED])
    article = current.kind == current.Kind.ARTICLE
    if not (current.video if current.kind == current.Kind.VIDEO else article):
        raise Http404("No such lesson.")
    if not can_watch(request.user, current):
        raise PermissionDenied("Enrol in the course to watch this lesson.")
    if pacing.lock_of(request.user, current) is not None:  # enrolled: the player explains
        return redirect("learning:lesson", course_slug=course.slug, lesson_pk=current.pk)
    sources = {"article_html": render_markdown(current.body)} if article else {}
    return render(
        request,
        "learning/preview.html",
        {
            "course": course,
            "lesson": current,
            **(sources or video_sources(request, current)),
        },
    )


@require_safe
def stream(request, lesson_pk: int):
    """The video bytes, for a viewer with a valid signed URL and the right to watch.

    The signature is checked first (a forged or expired link costs no lesson query);
    the lesson and "enrolled?" then come in one query (and its lock, in a paced course,
    in another).
    """
    viewer = streaming.viewer(request, lesson_pk=lesson_pk)
    if viewer is None:
        raise PermissionDenied("This video link has expired or is not yours. Reload the page.")
    current = get_object_or_404(lessons_with_enrollment(viewer), pk=lesson_pk)
    if not current.video:
        raise Http404("This lesson has no video.")
    if not can_watch(viewer, current, enrolled=current.enrolled):
        raise PermissionDenied("Enrol in the course to watch this lesson.")
    # Checked at every request: a link made before the lesson closed opens nothing.
    pacing.refuse_if_locked(viewer, current)  # no query unless the course is paced
    return streaming.video_response(request, current.video)


# --- Certificates ----------------------------------------------------------------------
@require_safe
def verify_certificate(request, code: str):
    """Public: anyone with the code (or the QR code) can check a certificate."""
    return render(
        request, "learning/certificate_verify.html", {"certificate": get_certificate(code)}
    )


@login_required
@require_safe
def certificate_pdf(request, code: str):
    """The PDF, for its owner and staff only (others get the same 404 as a wrong code)."""
    certificate = get_certificate(code)
    if certificate.user_id != request.user.pk and not request.user.is_platform_staff:
        raise Http404("No such certificate.")
    pdf = pdf_of(certificate)  # the stored one, or drawn now if not made yet
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="lectern-certificate-{code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
