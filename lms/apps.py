from django.apps import AppConfig


class LmsConfig(AppConfig):
    """The project root as an app for its management commands (demo data, scale data,
    load checks) and the system checks that refuse broken settings (lms/checks.py). It
    connects no receivers: each app connects its own."""

    name = "lms"
    verbose_name = "Lectern"

    def ready(self):
        from lms import checks  # noqa: F401 (registers the checks)
