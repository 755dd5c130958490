from django.apps import AppConfig


class LmsConfig(AppConfig):
    """The project root as an app only for its management commands (demo data, scale
    data, load checks). It wires nothing: each app connects its own receivers."""

    name = "lms"
    verbose_name = "Lectern"
