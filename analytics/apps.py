from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """The staff and instructor dashboard: reads every other app, and nothing reads it."""

    name = "analytics"
    verbose_name = "Analytics"
