"""What apps above learning add to a lesson's player: its captions and transcript.

learning may not import the apps above it (README, "Layout"), yet the player page and
the API's lesson show what they keep. Each registers a provider in its ``ready()``
(video: ``video.captions.player_media``); learning asks them all and knows only the
keys: ``captions`` (tracks with ``language``, ``label``, ``url``, ``default`` and
``as_dict()``) and ``transcript`` (None, or ``language``, ``label``, ``cues``).
"""

from collections.abc import Callable

_providers: list[Callable[..., dict]] = []


def add_player_media(provider: Callable[..., dict]) -> None:
    """Register ``provider(lesson, *, query, absolute=None) -> dict`` (idempotent)."""
    if provider not in _providers:
        _providers.append(provider)


def player_media(lesson, *, query: str, absolute=None) -> dict:
    """Everything the providers add for ``lesson``, its URLs signed with ``query`` (the
    viewer's token) and made absolute by ``absolute`` when given (the API)."""
    media = {"captions": [], "transcript": None}
    for provider in _providers:
        media.update(provider(lesson, query=query, absolute=absolute))
    return media
