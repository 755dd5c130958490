"""What every viewer of a course's player shares, built once per catalog version.

The course row, its sections and published lessons (each with its video's rendition set
and its captions, reached by name: learning imports nothing of the video app) and the
curriculum sidebar's HTML are the same for everyone who opens the course. They are built
in one go (three queries and one template render) and cached together under the course's
slug, with the *catalog version* (lms.lib.page_cache) they were built at. Every change to
a course, section or lesson bumps that version — saves and deletes through signals, bulk
updates by their callers — and so does every change to a rendition set or a caption
(``follow_player_models``): the next request rebuilds, so a new lesson, a reorder, an
unpublished lesson, a renamed section or a changed pacing shows at once.

Nothing personal is in it. Who may see the course, whether the viewer is enrolled, what
they completed, what is locked for them and which lesson they are on are read or worked
out for each request (learning.access) and kept apart from it: the objects here are
shared by every request a process serves, so a request never sets anything on them
(the player copies the course; locks live in a dict). The sidebar's per-viewer parts
are markers that ``personal_curriculum`` replaces (ticks, locks, the current lesson).

A process that holds the content at the current version pays one small cache read (the
version) and no query. With the cache down every request builds its own copy, as
before caching.
"""

import functools
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.validators import slug_re
from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from catalog.models import Course, Lesson, Section
from lms.lib.page_cache import VERSION_KEY, shown_on_public_pages, start_catalog_version

# What the player joins to each lesson, by name: its HLS rendition set and its captions
# (video.models.Transcode and Caption; video.captions reads the prefetched captions).
PLAYER_RELATED = "transcode"
PLAYER_PREFETCHED = "captions"
# Rows of apps above learning that the shared content shows: their changes bump the
# version too (connected in LearningConfig.ready through ``follow_player_models``).
PLAYER_MODELS = ("video.Transcode", "video.Caption")
KEY = "lectern:player-content:{release}:{slug}"
# Each process also keeps the contents it served last, checked against the catalog
# version at every request (one small cache read instead of the whole content).
LOCAL_COURSES = 64
_local: dict[str, tuple[int, "CourseContent"]] = {}
logger = logging.getLogger(__name__)
SLUG_LENGTH = Course._meta.get_field("slug").max_length  # a longer one names no course


@dataclass
class CourseContent:
    """A course as every viewer of its player sees it (no viewer annotations)."""

    course: Course
    sections: list[Section]  # in order, each with ``published_lessons`` in order
    lessons: list[Lesson]  # the published lessons, in curriculum order
    curriculum: str  # the sidebar's HTML, with markers for what is personal


def follow_player_models() -> None:
    """Bump the catalog version when a rendition set or a caption changes, through the
    page cache's own receiver (the video app's models, looked up by name once every app
    is loaded). Their other writes are UPDATEs of progress and state that the player does
    not show: a set becomes ready, or is replaced, by a save."""
    shown_on_public_pages(*(apps.get_model(label) for label in PLAYER_MODELS))


def course_content(slug: str) -> tuple[int | None, CourseContent]:
    """The shared content of the course at ``slug`` (any status: the caller checks who
    may see it) and the catalog version it is valid at (None when the cache is down),
    else 404. Read-only: a request keeps what is its own elsewhere.

    One cache round trip (the catalog version) while this process holds the content at
    that version; else one more for the stored content, and three queries when it must
    be built."""
    if not slug_re.match(slug) or len(slug) > SLUG_LENGTH:
        raise Http404("No such course.")
    key = KEY.format(release=release(), slug=slug)
    version = _catalog_version()
    return version, _versioned(key, version, lambda: build(slug), _local, LOCAL_COURSES)


def _versioned(key: str, version, make, local: dict, most: int):
    """What ``make()`` returns, kept at catalog ``version``: from this process's ``local``
    (at most ``most`` entries), else from the cache, else made and stored in both. With
    no version (the cache is down) it is made for this request alone."""
    if version is None:
        return make()
    here = local.get(key)
    if here is not None and here[0] == version:
        return here[1]
    stored = _cache_get(key)
    if stored is not None and stored[0] == version:
        value = stored[1]
    else:
        value = make()
        try:
            cache.set(key, (version, value), None)
        except Exception:
            logger.warning("Could not store %s in the cache", key, exc_info=True)
    if len(local) >= most:
        local.clear()  # crude but safe: the next requests refill it
    local[key] = (version, value)
    return value


@functools.cache
def release() -> str:
    """A fingerprint of the code and templates that make the shared content and pages:
    part of every key, so a deploy that changes them never serves what the previous
    one built (another release's copies simply stop matching)."""
    digest = hashlib.sha256()
    roots = [Path(folder) for engine in settings.TEMPLATES for folder in engine["DIRS"]]
    roots += [Path(app.path) / "templates" for app in apps.get_app_configs()]
    files = [path for root in roots if root.is_dir() for path in root.rglob("*.html")]
    files += list(Path(__file__).parent.glob("*.py"))
    for path in sorted(set(files)):
        digest.update(str(path.name).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _catalog_version():
    """The catalog version, started if there is none; None when the cache is down."""
    try:
        return cache.get(VERSION_KEY) or start_catalog_version()
    except Exception:
        logger.warning("Catalog version unavailable", exc_info=True)
        return None


def _cache_get(key: str):
    try:
        return cache.get(key)
    except Exception:
        logger.warning("Player content unavailable from the cache", exc_info=True)
        return None


def build(slug: str) -> CourseContent:
    """Three queries (sections with their course, their published lessons with rendition
    sets, the lessons' captions; the course alone when it has no section) and the
    sidebar rendered once, with markers."""
    # An article's text (up to 100,000 characters) is read only for the lesson shown.
    lessons = (
        Lesson.objects.filter(is_published=True)
        .order_by("order")
        .select_related(PLAYER_RELATED)
        .prefetch_related(PLAYER_PREFETCHED)
        .defer("body")
    )
    sections = list(
        Section.objects.filter(course__slug=slug)
        .select_related("course")
        .order_by("order")
        .prefetch_related(Prefetch("lessons", queryset=lessons, to_attr="published_lessons"))
    )
    course = sections[0].course if sections else Course.objects.filter(slug=slug).first()
    if course is None:
        raise Http404("No such course.")
    for section in sections:
        section.course = course  # one course object: what a request sets on it, all see
    ordered = [item for section in sections for item in section.published_lessons]
    for item in ordered:
        item.state = Markers(item.pk)
    curriculum = render_to_string(
        "learning/curriculum.html", {"course": course, "sections": sections}
    )
    for item in ordered:
        del item.state
    return CourseContent(course=course, sections=sections, lessons=ordered, curriculum=curriculum)


# --- The sidebar's personal parts --------------------------------------------------------
# A marker is NUL, a letter for the part and the lesson's id, NUL: no text of the page can
# hold one (PostgreSQL refuses NUL, and titles refuse control characters).
MARKER = re.compile("\x00([cdtal])([0-9]+)\x00")


class Markers:
    """The per-viewer parts of one curriculum entry as markers (the shared render)."""

    def __init__(self, pk: int):
        self.li_class = mark_safe(f"\x00c{pk}\x00")  # noqa: S308 — a marker, no input
        self.tick_class = mark_safe(f"\x00d{pk}\x00")  # noqa: S308
        self.tick = mark_safe(f"\x00t{pk}\x00")  # noqa: S308
        self.current = mark_safe(f"\x00a{pk}\x00")  # noqa: S308
        self.lock_note = mark_safe(f"\x00l{pk}\x00")  # noqa: S308


class EntryState:
    """What one viewer sees of one curriculum entry: the same parts, filled in.

    ``templates/learning/curriculum.html#player-lesson`` renders an entry alone with it
    (an out-of-band swap), ``personal_curriculum`` puts its parts in place of markers.
    """

    def __init__(self, *, current: bool, done: bool, lock=None):
        classes = " ".join(name for name, on in (("current", current), ("locked", lock)) if on)
        self.li_class = mark_safe(f' class="{classes}"') if classes else ""  # noqa: S308
        self.tick_class = " tick-done" if done else ""
        self.tick = tick_done_html() if done else ""
        self.current = mark_safe(' aria-current="page"') if current else ""
        self.lock_note = lock_note_html(lock.label) if lock is not None else ""

    def part(self, letter: str) -> str:
        return {
            "c": self.li_class,
            "d": self.tick_class,
            "t": self.tick,
            "a": self.current,
            "l": self.lock_note,
        }[letter]


@functools.cache
def tick_done_html() -> SafeString:
    return mark_safe(render_to_string("learning/curriculum_state.html#tick-done").strip())  # noqa: S308 — our template's output


@functools.lru_cache(maxsize=1024)
def lock_note_html(label: str) -> SafeString:
    """The lock note of an entry ("Opens 5 Dec", "After “Intro”"), rendered once per label."""
    html = render_to_string("learning/curriculum_state.html#lock-note", {"label": label})
    return mark_safe(html.rstrip())  # noqa: S308 — our template's output, label escaped


def personal_curriculum(
    content: CourseContent, *, current_pk: int, completed_ids, locks: dict
) -> SafeString:
    """The shared sidebar with this viewer's ticks and locks and this page's current
    lesson in place of the markers (entries with nothing to show lose their markers)."""
    states = {}
    for pk in {current_pk, *completed_ids, *locks}:
        states[pk] = EntryState(
            current=pk == current_pk, done=pk in completed_ids, lock=locks.get(pk)
        )

    def fill(match) -> str:
        state = states.get(int(match.group(2)))
        return state.part(match.group(1)) if state is not None else ""

    return mark_safe(MARKER.sub(fill, content.curriculum))  # noqa: S308 — escaped parts


# --- Whole player pages, for nobody ------------------------------------------------------
# The player page of a video or article lesson is the same for every viewer of one kind
# but for a few holes: the CSRF token, the viewer's signature in the media links, where
# playback resumes, the status block and the curriculum. It is rendered once per lesson,
# kind of viewer and catalog version *for nobody* — a request with no session, no cookie
# and a stand-in user that is signed in and nothing else, its holes markers — and each
# request fills the holes with its own. Whatever a template might show of the real
# viewer is absent from the shared copy, so nothing personal can reach another viewer.
LOCAL_PAGES = 256
_local_pages: dict[str, tuple[int, str]] = {}
PAGE_KEY = "lectern:player-page:{release}:{lesson}:{kind}"
HOLE = re.compile("\x00([A-Z])\x00")


class Hole:
    """The markers of a shared page's holes (filled by ``fill``)."""

    CSRF = mark_safe("\x00T\x00")
    QUERY = "\x00Q\x00"  # a URL part: escaped by the template like the query it stands for
    START = mark_safe("\x00P\x00")
    STATUS = mark_safe("\x00S\x00")
    CURRICULUM = mark_safe("\x00C\x00")


class NoOne:
    """The viewer a shared page is rendered for: signed in, no name, no rights but the
    one the page's kind names (``can_author_courses``: the navigation's Admin link)."""

    is_authenticated = True
    is_anonymous = False
    pk = id = None

    def __init__(self, *, can_author_courses: bool):
        self.can_author_courses = can_author_courses


def nobodys_request(request) -> HttpRequest:
    """A request for the same page with nothing of the viewer: no cookies, no session."""
    blank = HttpRequest()
    blank.method, blank.path, blank.path_info = "GET", request.path, request.path_info
    blank.META = {"SERVER_NAME": request.get_host(), "SERVER_PORT": request.get_port()}
    return blank


def shared_page(*, version, lesson_pk: int, kind: str, render) -> str | None:
    """The page of ``lesson_pk`` for viewers of ``kind`` at catalog ``version``, from
    this process, the cache, or ``render()`` (then stored). None renders, never stores,
    when the version is unknown (the cache is down)."""
    key = PAGE_KEY.format(release=release(), lesson=lesson_pk, kind=kind)
    return _versioned(key, version, render, _local_pages, LOCAL_PAGES)


def fill(page: str, holes: dict[str, str]) -> str:
    """``page`` with each hole's marker replaced by ``holes``' (escaped) text."""
    return HOLE.sub(lambda match: holes[match.group(1)], page)
