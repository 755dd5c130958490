"""What the player shows for each kind of lesson: a video, an article or a quiz.

``body_context`` gives the player page the template of the lesson's main part
(``lesson_body``) and what that template needs; a locked lesson shows why instead.
"""

from django.urls import reverse

from catalog.markdown import render_markdown
from catalog.models import Lesson
from learning import streaming
from learning.player import player_media

BODY_TEMPLATES = {
    Lesson.Kind.VIDEO: "learning/lesson_video.html",
    Lesson.Kind.ARTICLE: "learning/lesson_article.html",
    Lesson.Kind.QUIZ: "learning/lesson_quiz.html",
}


def body_context(request, player, *, query: str | None = None) -> dict:
    """``query``: the media links' signature, when not the viewer's own (a shared page's
    marker, learning.content)."""
    current = player.current
    lock = player.locks.get(current.pk)
    if lock is not None:
        return {
            "lesson_body": "learning/lesson_locked.html",
            "lock": lock,
            # The lesson to complete first, when it is open itself (its link is offered).
            "after_open": lock.after is not None and lock.after.pk not in player.locks,
        }
    context = {"lesson_body": BODY_TEMPLATES[current.kind]}
    if current.kind == Lesson.Kind.ARTICLE:
        context["article_html"] = render_markdown(current.body)
    elif current.kind == Lesson.Kind.QUIZ:
        from learning.quiz_views import quiz_context

        context.update(quiz_context(request, player))
    else:
        context.update(video_sources(request, current, query=query))
    return context


def video_sources(request, current, *, query: str | None = None) -> dict:
    """The player's sources: ``video_url`` (the original file, "" without video), and
    once its adaptive HLS set is ready ``hls_url`` and ``poster_url`` (else None: the
    player plays ``video_url``); ``captions`` (the <track>s) and ``transcript`` (the
    default track's cues, video.captions). All signed for this viewer, expiring."""
    if not current.video:
        return {
            "video_url": "",
            "hls_url": None,
            "poster_url": None,
            "captions": [],
            "transcript": None,
        }
    if query is None:
        query = streaming.signed_query(user=request.user, lesson=current)
    return {
        "video_url": reverse("learning:stream", args=[current.pk]) + "?" + query,
        **streaming.player_sources(current, query=query),
        **player_media(current, query=query),
    }
