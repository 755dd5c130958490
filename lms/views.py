from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from catalog.models import Course
from catalog.views import categories_with_counts


@require_GET
def home(request):
    published = Course.objects.published().for_listing()
    return render(
        request,
        "home.html",
        {
            "featured": published.filter(featured=True)[:4],
            "newest": published.order_by("-published_at", "-pk")[:8],
            "popular": published.filter(enrollment_count__gt=0).order_by(
                "-enrollment_count", "-published_at", "-pk"
            )[:8],
            "categories": categories_with_counts(),
        },
    )


def bare_ok(request):
    """The benchmark's yardstick: a Django view that does nothing (BENCHMARK_ENDPOINTS=1)."""
    return HttpResponse("ok", content_type="text/plain")
